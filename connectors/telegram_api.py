"""The Bot API client: python-telegram-bot's `telegram.Bot` with timeouts and bounded retries.

Every call has connect/read/write/pool timeouts. A 429 (`RetryAfter`) is retried after the time
Telegram asks for, network failures with a short back-off, both a bounded number of times so a
conversation never waits longer than Rasa's lock allows. Sending a message is retried only when
the request surely did not reach Telegram (a duplicate answer is worse than a missing one).
The bot token never reaches the logs.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from datetime import timedelta
from typing import Any

import httpx
from telegram import Bot, User
from telegram.error import NetworkError, RetryAfter
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from connectors.telegram_config import TelegramConfig

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
WRITE_TIMEOUT = 10.0
POOL_TIMEOUT = 5.0
# The exception causes after which a request may already have been processed by Telegram.
_MAYBE_DELIVERED = (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError)


class _RedactToken(logging.Filter):
    """httpx logs every request URL, and Bot API URLs contain the token."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<token>"), None
        return True


def quiet_library_logs(token: str) -> None:
    """No token, no message text in logs: redact httpx URLs, keep PTB's payload dumps off."""
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactToken) and f.token == token for f in httpx_logger.filters):
        httpx_logger.addFilter(_RedactToken(token))
    if httpx_logger.level == logging.NOTSET:
        httpx_logger.setLevel(logging.WARNING)  # one INFO line per API call otherwise
    ptb_logger = logging.getLogger("telegram")
    if ptb_logger.level < logging.INFO:  # also when NOTSET: a later --debug must not reach it
        ptb_logger.setLevel(logging.INFO)  # PTB's DEBUG lines carry chat ids and texts


def retry_after_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _request(pool_size: int, read_timeout: float) -> HTTPXRequest:
    return HTTPXRequest(
        connection_pool_size=pool_size,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=read_timeout,
        write_timeout=WRITE_TIMEOUT,
        pool_timeout=POOL_TIMEOUT,
    )


class TelegramApi:
    """One bot, its HTTP connection pools and the retry policy around each call."""

    def __init__(
        self,
        config: TelegramConfig,
        *,
        attempts: int = 3,
        max_retry_after: float = 20.0,
        backoff: float = 0.5,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        quiet_library_logs(config.token)
        self.config = config
        self.attempts = attempts
        self.max_retry_after = max_retry_after
        self.backoff = backoff
        # getUpdates long-polls on its own connection; PTB adds the poll timeout to READ_TIMEOUT.
        self.bot = Bot(
            config.token,
            base_url=config.api_base_url,
            base_file_url=config.file_base_url,
            request=_request(pool_size=16, read_timeout=read_timeout),
            get_updates_request=_request(pool_size=1, read_timeout=read_timeout),
        )
        self._user: User | None = None

    async def me(self) -> User:
        """The bot's own user: getMe once, asked again on the next call if it failed.

        Not `Bot.initialize()`: its InvalidToken message quotes the token, which would be logged.
        """
        if self._user is None:
            self._user = await self.call("get_me")
        return self._user

    async def call(self, method: str, /, *, idempotent: bool = True, **kwargs: Any) -> Any:
        """`Bot.<method>(**kwargs)` with bounded retries; re-raises the last TelegramError."""
        function = getattr(self.bot, method)
        for attempt in range(1, self.attempts + 1):
            last = attempt == self.attempts
            try:
                return await function(**kwargs)
            except RetryAfter as error:
                wait = retry_after_seconds(error)
                if last or wait > self.max_retry_after:
                    raise
                log.warning("Telegram %s: flood control, retrying in %.0f s", method, wait)
                await asyncio.sleep(wait)
            except NetworkError as error:
                maybe_delivered = isinstance(error.__cause__, _MAYBE_DELIVERED)
                if last or (maybe_delivered and not idempotent):
                    raise
                wait = self.backoff * 2 ** (attempt - 1)
                log.warning(
                    "Telegram %s: %s, retrying in %.1f s", method, type(error).__name__, wait
                )
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def close(self) -> None:
        try:
            await self.bot.shutdown()
        except Exception as error:  # shutting down must not fail the server's shutdown
            log.debug("Telegram bot shutdown: %s", type(error).__name__)
