"""Telegram channel for Rasa 3.6 on python-telegram-bot (Rasa's bundled one needs aiogram 2).

Registered in credentials.yml as `connectors.telegram.TelegramInput` (see connectors/TELEGRAM.md).
Routes under /webhooks/telegram/: `GET /` health, `POST /webhook` updates from Telegram (webhook
mode) or from `python -m connectors.telegram_polling` (polling mode) -- one code path for both.

The webhook checks the secret header, answers at once and handles the update in the background,
one update after another per chat, so Telegram never times out and retries. Retried deliveries
(same update_id) are handled once. Logs carry update ids and chat pseudonyms, never texts.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from cachetools import LRUCache
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Update
from telegram.error import TelegramError

from connectors.telegram_api import TelegramApi
from connectors.telegram_config import (
    ALLOWED_UPDATES,
    DISABLED_REASON,
    SECRET_HEADER,
    TelegramConfig,
)
from connectors.telegram_output import TelegramOutput
from connectors.telegram_render import CallbackStore
from connectors.telegram_updates import (
    AnswerCallback,
    BotIdentity,
    Ignore,
    Reply,
    ToAssistant,
    interpret,
)

__all__ = ["TelegramInput", "TelegramOutput"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024  # an update is a few KB; anything bigger is not from Telegram
MAX_PENDING = 500  # updates in processing before the webhook asks Telegram to come back later
SHUTDOWN_GRACE = 10.0
FAILURE_TEXT = "Entschuldigung, da ist bei mir etwas schiefgegangen. Bitte versuchen Sie es gleich noch einmal."
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class _RecentIds:
    """Update ids seen lately; Telegram re-delivers an update when our answer was slow or lost."""

    def __init__(self, maxsize: int) -> None:
        self._ids: LRUCache[int, bool] = LRUCache(maxsize=maxsize)

    def first_time(self, update_id: int) -> bool:
        if update_id in self._ids:
            self._ids[update_id] = True  # refresh
            return False
        self._ids[update_id] = True
        return True


class TelegramInput(InputChannel):
    """Receives Telegram updates on /webhooks/telegram/webhook and hands them to Rasa."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramInput:
        return cls(TelegramConfig.from_mapping(credentials))

    def __init__(
        self,
        config: TelegramConfig,
        *,
        recent_updates: int = 2048,
        stored_callbacks: int = 10_000,
        api_options: dict[str, Any] | None = None,
    ) -> None:
        self.config = config
        self.callbacks = CallbackStore(stored_callbacks)
        self._recent = _RecentIds(recent_updates)
        self._api_options = api_options or {}
        self._api: TelegramApi | None = None
        self._me: BotIdentity | None = None
        self._tasks: set[asyncio.Task] = set()
        self._chat_tails: dict[Any, asyncio.Task] = {}
        if not config.enabled:
            log.info(DISABLED_REASON)

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def api(self) -> TelegramApi:
        if self._api is None:
            self._api = TelegramApi(self.config, **self._api_options)
        return self._api

    async def _identity(self) -> BotIdentity:
        if self._me is None:
            user = await self.api.me()
            self._me = BotIdentity(user.id, user.username or "")
        return self._me

    async def startup(self) -> None:
        """getMe, and setWebhook in webhook mode; failures are logged, the server keeps running."""
        if not self.config.enabled:
            return
        try:
            me = await self._identity()
            log.info("Telegram channel ready as @%s (%s mode)", me.username, self.config.mode)
        except TelegramError as error:
            log.error(
                "Telegram getMe failed (%s: %s); updates are refused with 503 until it works",
                type(error).__name__, error,
            )  # fmt: skip
            return
        if self.config.webhook_url:
            if not self.config.webhook_url.startswith("https://"):
                log.warning("Telegram only delivers to https:// webhooks")
            try:
                await self.api.call(
                    "set_webhook",
                    url=self.config.webhook_url,
                    secret_token=self.config.secret_token,
                    allowed_updates=list(ALLOWED_UPDATES),
                )
                log.info("Telegram webhook set")
            except TelegramError as error:
                log.error("Telegram setWebhook failed: %s: %s", type(error).__name__, error)

    async def shutdown(self) -> None:
        """Let updates in progress finish (bounded), then close the HTTP pools."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=SHUTDOWN_GRACE)
            for task in pending:
                task.cancel()
        if self._api is not None:
            await self._api.close()
            self._api = None
            self._me = None

    async def drain(self, timeout: float = 30.0) -> bool:
        """Wait (bounded) until every accepted update is handled; False if some are still open."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._tasks:  # waiting tasks may chain new ones for the same chat
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return False
            await asyncio.wait(set(self._tasks), timeout=remaining)
        return True

    # -- Rasa interface ----------------------------------------------------------------------

    def get_output_channel(self) -> TelegramOutput | None:
        """For messages Rasa sends on its own (trigger_intent, reminders)."""
        return TelegramOutput(self.api, self.callbacks) if self.config.enabled else None

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        telegram = Blueprint("stadtlotse_telegram", __name__)

        @telegram.listener("after_server_start")
        async def start(_app: Any, _loop: Any) -> None:
            await self.startup()

        @telegram.listener("before_server_stop")
        async def stop(_app: Any, _loop: Any) -> None:
            await self.shutdown()

        @telegram.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            body: dict[str, Any] = {"status": "ok", "mode": self.config.mode}
            if not self.config.enabled:
                body.update(status="disabled", reason=DISABLED_REASON)
            else:
                body["ready"] = self._me is not None
            return response.json(body)

        @telegram.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            return await self._receive(request, on_new_message)

        return telegram

    # -- incoming updates --------------------------------------------------------------------

    async def _receive(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        if not self.config.enabled:
            return response.text(DISABLED_REASON, status=503)
        offered = (request.headers.get(SECRET_HEADER) or "").encode()
        if not hmac.compare_digest(offered, self.config.secret_token.encode()):
            log.warning("Telegram webhook: request without the right secret header refused")
            return response.text("Forbidden", status=403)
        body = request.body or b""
        if len(body) > MAX_BODY_BYTES:
            return response.text("Payload too large", status=413)
        try:
            data = json.loads(body)
        except ValueError:
            return response.text("Bad Request: body is not JSON", status=400)
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            return response.text("Bad Request: not a Telegram update", status=400)
        try:
            await self._identity()
        except TelegramError as error:
            log.error("Telegram getMe failed (%s); update refused for now", type(error).__name__)
            return response.text("Service Unavailable: Telegram API not reachable", status=503)
        try:
            update = Update.de_json(data, self.api.bot)
        except Exception as error:
            # Update-shaped but not parseable (a Bot API newer than the library?): acknowledge,
            # a retry by Telegram would not parse either.
            log.warning(
                "Telegram update %d not understood (%s), ignored",
                data["update_id"], type(error).__name__,
            )  # fmt: skip
            return response.text("ok (ignored)")
        if len(self._tasks) >= MAX_PENDING:
            return response.text("Service Unavailable: busy", status=503)
        if not self._recent.first_time(update.update_id):
            log.debug("Telegram update %d: duplicate, skipped", update.update_id)
            return response.text("ok (duplicate)")
        self._schedule(update, on_new_message)
        return response.text("ok")

    def _schedule(self, update: Update, on_new_message: OnNewMessage) -> None:
        """Handle in the background, after the previous update of the same chat."""
        chat = update.effective_chat
        key = chat.id if chat is not None else None
        previous = self._chat_tails.get(key)

        async def run() -> None:
            if previous is not None:
                await asyncio.wait({previous})
            try:
                await self._handle(update, on_new_message)
            except Exception as error:
                log.error(
                    "Telegram update %d not handled: %s", update.update_id, type(error).__name__
                )

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        self._chat_tails[key] = task

        def done(finished: asyncio.Task) -> None:
            self._tasks.discard(finished)
            if self._chat_tails.get(key) is finished:
                del self._chat_tails[key]

        task.add_done_callback(done)

    async def _handle(self, update: Update, on_new_message: OnNewMessage) -> None:
        me = await self._identity()
        decision = interpret(update, me, self.callbacks.decode)
        chat = update.effective_chat
        log.debug(
            "Telegram update %d: %s, chat %s",
            update.update_id, type(decision).__name__,
            self.config.pseudonym(chat.id) if chat else "-",
        )  # fmt: skip
        if isinstance(decision, Ignore):
            return
        if isinstance(decision, AnswerCallback):
            await self._answer_callback(decision.callback_query_id, decision.text)
            return
        output = TelegramOutput(
            self.api, self.callbacks, chat_type=decision.chat_type, thread_id=decision.thread_id
        )
        if isinstance(decision, Reply):
            await output.send_text_message(str(decision.chat_id), decision.text)
            return
        assert isinstance(decision, ToAssistant)
        if decision.callback_query_id:
            await self._answer_callback(decision.callback_query_id)
        await self._typing(decision)
        message = UserMessage(
            decision.text,
            output,
            str(decision.chat_id),
            input_channel=self.name(),
            message_id=f"telegram-{update.update_id}",
            metadata={"chat_type": decision.chat_type, "update_type": decision.update_type},
        )
        try:
            await on_new_message(message)
        except Exception as error:
            log.error(
                "Telegram update %d: the assistant failed (%s)",
                update.update_id, type(error).__name__,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )  # fmt: skip
            await output.send_text_message(str(decision.chat_id), FAILURE_TEXT)

    async def _answer_callback(self, callback_query_id: str, text: str | None = None) -> None:
        """Stops the button's loading spinner; best effort (a stale query only fails quietly)."""
        try:
            await self.api.call(
                "answer_callback_query", callback_query_id=callback_query_id, text=text
            )
        except TelegramError as error:
            log.info("Telegram answerCallbackQuery failed: %s", type(error).__name__)

    async def _typing(self, decision: ToAssistant) -> None:
        with contextlib.suppress(TelegramError):  # cosmetic only: no retries, no noise
            await self.api.bot.send_chat_action(
                decision.chat_id, "typing", message_thread_id=decision.thread_id
            )
