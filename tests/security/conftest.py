"""The production layout (`python -m bot.launcher production`: nginx in front of Rasa, the action
server and the open-data server), started once for the security suite and attacked from outside.

It runs with its own secrets, a REST token (so that the REST channel's protections can be
attacked too), the Telegram channel in webhook mode against the Bot API double, and temporary
databases; only the proxy's port is public.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.assistant.conftest import (  # noqa: F401  (trained_model is a fixture)
    PINNED_CLOCK,
    ROOT,
    VENV,
    free_port,
    stack_environment,
    trained_model,
    wait_for,
)
from tests.assistant.widget_support import browser  # noqa: F401  (a fixture)

TELEGRAM_SECRET = "stadtlotse-security-suite-secret"


@dataclass
class Layout:
    url: str  # the proxy: what the internet sees
    env: dict[str, str]
    launcher: subprocess.Popen
    telegram: object

    @property
    def rest_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.env['REST_CHANNEL_TOKEN']}"}

    def port(self, name: str) -> int:
        return int(self.env[name])

    def pid_listening_on(self, port: int) -> int:
        output = subprocess.run(
            ["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True
        ).stdout
        return int(output.split("pid=")[1].split(",")[0])


@pytest.fixture(scope="session")
def layout(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Layout]:  # noqa: F811
    from tests.assistant.telegram_double import TelegramDouble

    tmp = tmp_path_factory.mktemp("production")
    env = stack_environment(tmp)
    for name in ("RASA_ENABLE_API", "RASA_JWT_SECRET", "STADTLOTSE_ALLOWED_ORIGINS"):
        env.pop(name, None)
    proxy_port = free_port()
    url = f"http://127.0.0.1:{proxy_port}"
    telegram = TelegramDouble().start()
    env.update(
        telegram.environment(
            secret_token=TELEGRAM_SECRET, webhook_url=f"{url}/webhooks/telegram/webhook"
        )
    )
    env.update(
        {
            name: secrets.token_urlsafe(32)
            for name in (
                "CLIENT_KEY_SALT",
                "ACTION_SERVER_SECRET",
                "APPLICATIONS_API_TOKEN",
                "REST_CHANNEL_TOKEN",
            )
        },
        STADTLOTSE_LISTEN=f"127.0.0.1:{proxy_port}",
        STADTLOTSE_ALLOWED_ORIGINS=url,
        STADTLOTSE_NGINX_PREFIX=str(tmp / "nginx"),
    )
    log = (tmp / "launcher.log").open("w")
    launcher = subprocess.Popen(
        [str(VENV / "python"), "-m", "bot.launcher", "production"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(f"{url}/webhooks/widget/demo", launcher, timeout=300)
        wait_for(f"http://127.0.0.1:{env['RASA_PORT']}/", launcher, timeout=300)
        yield Layout(url, env, launcher, telegram)
    finally:
        launcher.send_signal(signal.SIGINT)
        try:
            launcher.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)
        telegram.stop()
        log.close()
        if os.environ.get("STADTLOTSE_KEEP_LOGS"):
            print(f"production layout log in {tmp}")


def rest(layout: Layout, sender: str, message: str, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{layout.url}/webhooks/rest/webhook",
        json={"sender": sender, "message": message},
        headers={**layout.rest_headers, **headers},
        timeout=30,
    )
