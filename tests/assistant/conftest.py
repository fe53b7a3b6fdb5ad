"""Fixtures: the whole assistant stack, started once per test session over real HTTP.

The model is trained once per run (skipped when data, config and domain are unchanged), the
open-data server and the action server run with a pinned clock so answers are deterministic.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
PINNED_CLOCK = "2026-11-23T08:15:00+01:00"  # Monday morning, as in tests/opendata
VENV = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


TELEGRAM_SECRET = "stadtlotse-test-secret"
# The test stack runs Rasa's HTTP API (JWT only) so that tests can read what was stored.
JWT_SECRET = "stadtlotse-test-jwt-secret-0123456789abcdef"


@dataclass
class Stack:
    env: dict[str, str]
    opendata_url: str
    action_url: str
    rasa_url: str
    processes: dict[str, subprocess.Popen]
    telegram: Any = None  # the Bot API double the Telegram channel talks to

    def say(self, sender: str, message: str, timeout: float = 30) -> list[dict]:
        response = httpx.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=timeout,
        )
        response.raise_for_status()
        return response.json()

    def rest_id(self, sender: str) -> str:
        """The Rasa sender id of the REST channel's conversation `sender`."""
        from connectors.guard import conversation_id

        return conversation_id("rest", sender, salt=self.env["CLIENT_KEY_SALT"])

    def tracker(self, sender_id: str) -> dict[str, Any]:
        """A stored conversation through Rasa's HTTP API (authenticated with a JWT)."""
        response = httpx.get(
            f"{self.rasa_url}/conversations/{sender_id}/tracker",
            headers=api_headers(),
            timeout=10,
        )
        response.raise_for_status()
        return response.json()


def api_headers() -> dict[str, str]:
    """Authorization for Rasa's HTTP API in the test stack (HS256 JWT, admin role)."""
    import jwt

    token = jwt.encode({"user": {"username": "tests", "role": "admin"}}, JWT_SECRET, "HS256")
    return {"Authorization": f"Bearer {token}"}


def stack_environment(tmp: Path) -> dict[str, str]:
    """Environment of a test stack: free ports, temporary databases, pinned clock."""
    sys.path.insert(0, str(ROOT))
    from bot.launcher import allowed_origins, environment

    env = environment()
    ports = {
        name: str(free_port()) for name in ("OPENDATA_PORT", "ACTION_SERVER_PORT", "RASA_PORT")
    }
    env.update(ports)
    env.pop("STADTLOTSE_ALLOWED_ORIGINS", None)
    env["STADTLOTSE_ALLOWED_ORIGINS"] = allowed_origins(env)  # the stack's own port
    env.update(
        OPENDATA_URL=f"http://127.0.0.1:{ports['OPENDATA_PORT']}",
        OPENDATA_DATABASE_URL=f"sqlite:///{tmp / 'opendata.sqlite'}",
        OPENDATA_CLOCK=PINNED_CLOCK,
        STADTLOTSE_CLOCK=PINNED_CLOCK,
        TRACKER_DB=str(tmp / "tracker.sqlite"),
        FEEDBACK_DB_URL=f"sqlite:///{tmp / 'feedback.sqlite'}",
        HTTP_TIMEOUT="2.5",
        RASA_ENABLE_API="1",
        RASA_JWT_SECRET=JWT_SECRET,
    )
    for key in ("CKAN_URL", "PARKAPI_URL", "EFA_URL", "ZUFI_URL", "APPLICATIONS_URL"):
        env.pop(key, None)
    return env


@pytest.fixture(scope="session")
def trained_model() -> Path:
    sys.path.insert(0, str(ROOT))
    from bot.launcher import MODEL, build_and_train, environment

    build_and_train(environment())
    return MODEL


@pytest.fixture(scope="session")
def stack_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return stack_environment(tmp_path_factory.mktemp("stack"))


@pytest.fixture(scope="session")
def opendata_url(
    stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The embedded open-data server with a pinned clock (shared by client tests and the stack)."""
    from bot.launcher import server_commands

    log = (tmp_path_factory.mktemp("logs") / "opendata.log").open("w")
    process = subprocess.Popen(
        server_commands(stack_env)["opendata"],
        cwd=ROOT,
        env=stack_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = stack_env["OPENDATA_URL"]
    try:
        wait_for(f"{url}/health", process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture(scope="session")
def stack(
    trained_model: Path,
    stack_env: dict[str, str],
    opendata_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    from bot.launcher import server_commands
    from tests.assistant.telegram_double import TelegramDouble

    tmp = tmp_path_factory.mktemp("stack-logs")
    telegram = TelegramDouble().start()
    env = {**stack_env, **telegram.environment(secret_token=TELEGRAM_SECRET)}
    logs = {name: (tmp / f"{name}.log").open("w") for name in ("actions", "rasa")}
    processes: dict[str, subprocess.Popen] = {}

    def start(name: str, command: list[str]) -> subprocess.Popen:
        processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=logs[name], stderr=subprocess.STDOUT
        )
        return processes[name]

    action_url = f"http://127.0.0.1:{env['ACTION_SERVER_PORT']}"
    rasa_url = f"http://127.0.0.1:{env['RASA_PORT']}"
    try:
        commands = server_commands(env, trained_model)
        actions = start("actions", commands["actions"])
        rasa = start("rasa", commands["rasa"])
        wait_for(f"{action_url}/health", actions)
        wait_for(f"{rasa_url}/", rasa)
        yield Stack(env, opendata_url, action_url, rasa_url, processes, telegram)
    finally:
        telegram.stop()
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for handle in logs.values():
            handle.close()
        if os.environ.get("STADTLOTSE_KEEP_LOGS"):
            print(f"stack logs in {tmp}", file=sys.stderr)
