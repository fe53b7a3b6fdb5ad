"""Polling mode for machines without a public URL: `python -m connectors.telegram_polling`.

Fetches updates with getUpdates (long polling) and posts each one, unchanged and with the secret
header, to the channel's webhook on the local Rasa server -- so polling and webhook mode share one
code path. An update is confirmed to Telegram (offset) only after Rasa accepted it; while Rasa is
starting or away, the runner waits and tries again. Started by `python -m bot.launcher` when
TELEGRAM_TOKEN is set and TELEGRAM_WEBHOOK_URL is empty.

Environment: TELEGRAM_TOKEN, TELEGRAM_SECRET_TOKEN, TELEGRAM_API_BASE_URL (as for Rasa), RASA_PORT
(default 5005) or TELEGRAM_FORWARD_URL (full webhook URL), TELEGRAM_POLL_TIMEOUT (s, default 25).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Mapping
from typing import TypeVar

import httpx
from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError

from connectors.telegram_api import TelegramApi, retry_after_seconds
from connectors.telegram_config import (
    ALLOWED_UPDATES,
    SECRET_HEADER,
    TelegramConfig,
    TelegramConfigError,
)

log = logging.getLogger("connectors.telegram_polling")

FORWARD_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
MAX_BACKOFF = 30.0  # between failed Bot API calls
FORWARD_BACKOFF = 5.0  # between attempts to reach the local Rasa (it may be loading a model)
T = TypeVar("T")


class FatalPollingError(RuntimeError):
    """Configuration that waiting cannot fix (rejected token, secret mismatch)."""


def forward_url(environ: Mapping[str, str]) -> str:
    explicit = (environ.get("TELEGRAM_FORWARD_URL") or "").strip()
    if explicit:
        return explicit
    port = (environ.get("RASA_PORT") or "").strip() or "5005"
    return f"http://127.0.0.1:{port}/webhooks/telegram/webhook"


class Poller:
    """getUpdates -> POST to the local webhook, one update at a time, until `stop` is set."""

    def __init__(
        self,
        config: TelegramConfig,
        target_url: str,
        *,
        poll_timeout: int = 25,
        api: TelegramApi | None = None,
    ) -> None:
        self.config = config
        self.target_url = target_url
        self.poll_timeout = poll_timeout
        self.api = api or TelegramApi(config)
        self.stop = asyncio.Event()
        self.forwarded = 0

    async def run(self) -> None:
        """Raises FatalPollingError on configuration errors; returns when `stop` is set."""
        try:
            if await self._prepare():
                async with httpx.AsyncClient(timeout=FORWARD_TIMEOUT, trust_env=False) as http:
                    await self._loop(http)
        except InvalidToken as error:
            raise FatalPollingError(
                "Telegram rejected TELEGRAM_TOKEN; copy the token from @BotFather"
            ) from error
        finally:
            await self.api.close()

    async def _prepare(self) -> bool:
        """getMe and deleteWebhook (getUpdates answers 409 while a webhook is set), retried."""
        failures = 0
        while not self.stop.is_set():
            try:
                me = await self._until_stopped(self.api.me())
                if me is None:
                    return False
                await self.api.call("delete_webhook", drop_pending_updates=False)
            except InvalidToken:
                raise
            except TelegramError as error:
                failures += 1
                log.warning("Telegram not reachable yet: %s", type(error).__name__)
                await self._pause(min(MAX_BACKOFF, 2.0**failures))
                continue
            log.info("Polling Telegram as @%s, forwarding to %s", me.username, self.target_url)
            return True
        return False

    async def _loop(self, http: httpx.AsyncClient) -> None:
        offset: int | None = None
        failures = 0
        while not self.stop.is_set():
            try:
                updates = await self._until_stopped(
                    self.api.bot.get_updates(
                        offset=offset,
                        timeout=self.poll_timeout,
                        allowed_updates=list(ALLOWED_UPDATES),
                    )
                )
                failures = 0
            except RetryAfter as error:
                await self._pause(retry_after_seconds(error))
                continue
            except InvalidToken:
                raise
            except TelegramError as error:  # network trouble, 409 from a second poller, ...
                failures += 1
                log.warning("Telegram getUpdates failed: %s: %s", type(error).__name__, error)
                await self._pause(min(MAX_BACKOFF, 2.0**failures))
                continue
            for update in updates or ():
                if not await self._forward(http, update):
                    break  # stopped while Rasa was away: this update stays unconfirmed
                offset = update.update_id + 1
        if offset is not None:  # confirm what was forwarded, so a restart does not repeat it
            with contextlib.suppress(TelegramError):
                await self.api.bot.get_updates(offset=offset, timeout=0, limit=1)

    async def _forward(self, http: httpx.AsyncClient, update: Update) -> bool:
        """True once the channel took the update (or refused it for good); False if stopped."""
        headers = {SECRET_HEADER: self.config.secret_token}
        failures = 0
        while not self.stop.is_set():
            try:
                answer = await http.post(self.target_url, json=update.to_dict(), headers=headers)
            except httpx.HTTPError as error:
                status, reason = None, type(error).__name__
            else:
                status, reason = answer.status_code, answer.text[:200]
            if status is not None and 200 <= status < 300:
                self.forwarded += 1
                return True
            if status == 403:
                raise FatalPollingError(
                    "the Telegram channel refused the secret header; Rasa and this runner must "
                    "see the same TELEGRAM_TOKEN and TELEGRAM_SECRET_TOKEN"
                )
            if status in (400, 413):
                log.warning(
                    "Update %d refused by the channel (%s): skipped", update.update_id, status
                )
                return True
            failures += 1
            if failures == 1 or failures % 10 == 0:
                hint = " (is connectors.telegram.TelegramInput in credentials.yml?)"
                log.warning(
                    "Rasa did not take update %d yet (%s %s)%s; retrying",
                    update.update_id,
                    status or "",
                    reason,
                    hint if status == 404 else "",
                )
            await self._pause(min(FORWARD_BACKOFF, 0.5 * 2 ** (failures - 1)))
        return False

    async def _until_stopped(self, awaitable: Awaitable[T]) -> T | None:
        """The awaitable's result, or None (and the awaitable cancelled) once `stop` is set."""
        task = asyncio.ensure_future(awaitable)
        stopper = asyncio.ensure_future(self.stop.wait())
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, TelegramError):
            await task
        return None

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=seconds)


async def _main(environ: Mapping[str, str]) -> int:
    try:
        config = TelegramConfig.from_env(environ)
    except TelegramConfigError as error:
        log.error("%s", error)
        return 2
    if not config.enabled:
        log.error("TELEGRAM_TOKEN is not set: nothing to poll")
        return 2
    if config.webhook_url:
        log.error("TELEGRAM_WEBHOOK_URL is set: Telegram pushes updates, polling is not needed")
        return 2
    poll_timeout = int((environ.get("TELEGRAM_POLL_TIMEOUT") or "").strip() or 25)
    poller = Poller(config, forward_url(environ), poll_timeout=poll_timeout)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, poller.stop.set)
    try:
        await poller.run()
    except FatalPollingError as error:
        log.error("Telegram polling stopped: %s", error)
        return 1
    log.info("Telegram polling stopped after %d updates", poller.forwarded)
    return 0


def main() -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return asyncio.run(_main(os.environ))


if __name__ == "__main__":
    sys.exit(main())
