"""Polling mode: getUpdates from the Bot API double, forwarded to the channel's webhook."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from connectors.telegram import TelegramInput
from connectors.telegram_config import TelegramConfig
from connectors.telegram_polling import FatalPollingError, Poller, _main, forward_url
from tests.assistant.telegram_double import (
    BOT_USERNAME,
    ChannelHost,
    TelegramDouble,
    Updates,
)

# fixtures telegram_double, telegram_updates
pytest_plugins = ["tests.assistant.telegram_double"]

ROOT = Path(__file__).resolve().parents[2]
SECRET = "polling-secret"


class PollerThread:
    """A Poller on its own event loop, as in its own process."""

    def __init__(self, poller: Poller) -> None:
        self.poller = poller
        self.error: BaseException | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        try:
            self._loop.run_until_complete(self.poller.run())
        except BaseException as error:
            self.error = error

    def start(self) -> PollerThread:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self.poller.stop.set)
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "poller did not stop"

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


@pytest.fixture(scope="module")
def config(telegram_double: TelegramDouble) -> TelegramConfig:
    return TelegramConfig(
        token=telegram_double.token, secret_token=SECRET, api_base_url=telegram_double.api_base_url
    )


@pytest.fixture(scope="module")
def channel(config: TelegramConfig) -> Iterator[ChannelHost]:
    host = ChannelHost(TelegramInput(config)).start()
    yield host
    host.stop()


@pytest.fixture(autouse=True)
def fresh(channel: ChannelHost, telegram_double: TelegramDouble) -> None:
    channel.drain()
    telegram_double.reset()
    channel.assistant.messages.clear()


def test_forward_url_defaults_to_the_local_rasa_port() -> None:
    assert forward_url({}) == "http://127.0.0.1:5005/webhooks/telegram/webhook"
    assert forward_url({"RASA_PORT": "5123"}) == "http://127.0.0.1:5123/webhooks/telegram/webhook"
    assert forward_url({"TELEGRAM_FORWARD_URL": "http://rasa:80/x"}) == "http://rasa:80/x"


def test_updates_are_forwarded_to_the_webhook_and_confirmed(
    config: TelegramConfig,
    channel: ChannelHost,
    telegram_double: TelegramDouble,
    telegram_updates: Updates,
) -> None:
    # A webhook left from webhook mode: the runner removes it, else getUpdates answers 409.
    httpx.post(
        f"{telegram_double.api_base_url}{telegram_double.token}/setWebhook",
        data={"url": "https://old.example.org/hook"},
    )
    text = telegram_updates.text("Hallo aus dem Polling")
    button = telegram_updates.callback('/feedback{"rating":"positive"}')
    telegram_double.push_update(text)
    telegram_double.push_update(button)
    runner = PollerThread(Poller(config, f"{channel.url}/webhook", poll_timeout=1)).start()
    try:
        telegram_double.wait_for("sendMessage", count=2)
        telegram_double.wait_for("answerCallbackQuery")
    finally:
        runner.stop()
    assert runner.error is None
    assert [m.text for m in channel.assistant.messages] == [
        "Hallo aus dem Polling",
        '/feedback{"rating":"positive"}',
    ]
    assert channel.assistant.messages[0].metadata == {
        "chat_type": "private",
        "update_type": "message",
    }
    methods = [call.method for call in telegram_double.calls()]
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    assert telegram_double.webhook == {}
    polls = telegram_double.calls("getUpdates")
    assert all(call.status == 200 for call in polls)
    assert polls[0].params["allowed_updates"] == ["message", "edited_message", "callback_query"]
    assert int(polls[-1].params["offset"]) == button["update_id"] + 1  # confirmed on the way out
    assert runner.poller.forwarded == 2


def test_update_is_kept_until_rasa_takes_it(
    config: TelegramConfig,
    channel: ChannelHost,
    telegram_double: TelegramDouble,
    telegram_updates: Updates,
) -> None:
    update = telegram_updates.text("Ist jemand da?")
    telegram_double.push_update(update)
    closed = f"http://127.0.0.1:{_closed_port()}/webhooks/telegram/webhook"
    away = PollerThread(Poller(config, closed, poll_timeout=1)).start()
    telegram_double.wait_for("getUpdates")
    away.join(1.5)  # Rasa is not there: the runner waits and retries
    away.stop()
    assert away.error is None
    offsets = [int(c.params.get("offset") or 0) for c in telegram_double.calls("getUpdates")]
    assert max(offsets) <= update["update_id"]  # never confirmed

    back = PollerThread(Poller(config, f"{channel.url}/webhook", poll_timeout=1)).start()
    try:
        [message] = channel.assistant.wait_for(1)
    finally:
        back.stop()
    assert message.text == "Ist jemand da?"


def test_wrong_secret_stops_the_runner(
    config: TelegramConfig,
    channel: ChannelHost,
    telegram_double: TelegramDouble,
    telegram_updates: Updates,
) -> None:
    wrong = TelegramConfig(
        token=config.token, secret_token="not-the-secret", api_base_url=config.api_base_url
    )
    telegram_double.push_update(telegram_updates.text("Hallo"))
    runner = PollerThread(Poller(wrong, f"{channel.url}/webhook", poll_timeout=1)).start()
    runner.join(10)
    assert isinstance(runner.error, FatalPollingError)
    assert channel.assistant.messages == []


def test_rejected_token_stops_the_runner(
    config: TelegramConfig, channel: ChannelHost, telegram_double: TelegramDouble
) -> None:
    wrong = TelegramConfig(token="42:ThisTokenIsNotKnown", api_base_url=config.api_base_url)
    runner = PollerThread(Poller(wrong, f"{channel.url}/webhook", poll_timeout=1)).start()
    runner.join(10)
    assert isinstance(runner.error, FatalPollingError)
    assert "TELEGRAM_TOKEN" in str(runner.error)


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(double: TelegramDouble, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TELEGRAM_")}
    env.update(PYTHONPATH=str(ROOT), TELEGRAM_POLL_TIMEOUT="1", **extra)
    return env


def test_command_line_runner_polls_until_sigterm(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    env = _environment(
        telegram_double,
        **telegram_double.environment(secret_token=SECRET),
        TELEGRAM_FORWARD_URL=f"{channel.url}/webhook",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "connectors.telegram_polling"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        telegram_double.push_update(telegram_updates.text("/start"))
        telegram_double.wait_for("sendMessage", timeout=30)
        assert [m.text for m in channel.assistant.messages] == ["/greet"]
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert f"Polling Telegram as @{BOT_USERNAME}" in output
    assert telegram_double.token not in output
    assert SECRET not in output


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"TELEGRAM_TOKEN": ""}, "TELEGRAM_TOKEN is not set"),
        ({"TELEGRAM_TOKEN": "changeme"}, "does not look like a bot token"),
        (
            {"TELEGRAM_TOKEN": "1:abcdefghij", "TELEGRAM_WEBHOOK_URL": "https://x.example/hook"},
            "TELEGRAM_WEBHOOK_URL is set",
        ),
    ],
)
def test_runner_refuses_unusable_settings(
    variables: dict[str, str], message: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert asyncio.run(_main(variables)) == 2
    assert message in caplog.text
