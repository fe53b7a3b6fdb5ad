"""Telegram channel for Rasa 3.6 on python-telegram-bot (Rasa's bundled one needs aiogram 2).

Registered in credentials.yml as `connectors.telegram.TelegramInput` (see connectors/TELEGRAM.md).
Routes under /webhooks/telegram/: `GET /` health, `POST /webhook` updates from Telegram (webhook
mode) or from `python -m connectors.telegram_polling` (polling mode) -- one code path for both.

The webhook checks the secret header (constant time) before it reads the body, reads at most
MAX_BODY_BYTES, answers at once and handles the update in the background, one update after
another per chat, so Telegram never times out and retries. Retried deliveries (same update_id)
are handled once. Logs carry update ids and chat pseudonyms, never texts.

Rasa never sees a Telegram id: a chat's conversation is `conversation_id("telegram", chat_id)`
(keyed hash), the metadata carries only `chat_type` and `update_type`, and the chat an answer
goes to is kept by the channel (the output made for an update, or the in-memory map for
messages Rasa sends on its own). Every message, command and pressed button passes the
MessageGuard (size, rate per chat) before Rasa's NLU; a refusal is answered with the domain's
response.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from cachetools import LRUCache, TTLCache
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Update
from telegram.error import TelegramError

from connectors.guard import RATE_LIMITED, TOO_LONG, MessageGuard, conversation_id, response_text
from connectors.telegram_api import TelegramApi
from connectors.telegram_config import (
    ALLOWED_UPDATES,
    DISABLED_REASON,
    SECRET_HEADER,
    TelegramConfig,
)
from connectors.telegram_output import ChatRef, TelegramOutput
from connectors.telegram_render import CallbackStore, EchoFilter
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
        guard: MessageGuard | None = None,
        salt: str | None = None,
        recent_updates: int = 2048,
        stored_callbacks: int = 10_000,
        known_chats: int = 10_000,
        api_options: dict[str, Any] | None = None,
    ) -> None:
        self.config = config
        self.guard = guard or MessageGuard()
        self.callbacks = CallbackStore(stored_callbacks)
        self._salt = salt  # None: CLIENT_KEY_SALT (tests may pass their own)
        # conversation id -> chat, for messages Rasa sends on its own; in memory only.
        self._chats: LRUCache[str, ChatRef] = LRUCache(maxsize=known_chats)
        # conversations told lately that they are over the rate limit (told once per window)
        self._told_to_wait: TTLCache[str, bool] = TTLCache(
            maxsize=known_chats, ttl=self.guard.limits.per_conversation[1]
        )
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
        try:  # read the refusals' words now: a domain without them shows at startup
            for name in (TOO_LONG, RATE_LIMITED):
                response_text(name)
        except Exception as error:
            log.error("Telegram: the domain's refusal responses are unreadable: %r", error)
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

    def conversation(self, chat_id: int | str) -> str:
        """The Rasa sender id of a chat's conversation (`telegram-<keyed hash>`)."""
        return conversation_id("telegram", str(chat_id), salt=self._salt)

    def get_output_channel(self) -> TelegramOutput | None:
        """For messages Rasa sends on its own (trigger_intent): they go to the chat of a
        conversation this channel has seen; a recipient id is never read as a chat id."""
        if not self.config.enabled:
            return None
        return TelegramOutput(self.api, self.callbacks, chats=self._chats)

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

        # stream=True: the body is read here, after the secret check and only up to the bound
        @telegram.route("/webhook", methods=["POST"], stream=True)
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
            _limit_stream(request, MAX_BODY_BYTES)  # its body is never read, at most drained
            return response.text("Forbidden", status=403)
        body = await _bounded_body(request, MAX_BODY_BYTES)
        if body is None:
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
        where = ChatRef(decision.chat_id, decision.chat_type, decision.thread_id)
        sender_id = self.conversation(decision.chat_id)
        echo = None
        if not where.private and isinstance(decision, ToAssistant):
            echo = EchoFilter(decision.typed, decision.text)
        output = TelegramOutput(self.api, self.callbacks, where, echo=echo)
        if isinstance(decision, ToAssistant) and decision.callback_query_id:
            await self._answer_callback(decision.callback_query_id)
        refusal = self._refusal(sender_id, decision)
        if refusal is not None:
            log.info("Telegram update %d refused: %s", update.update_id, refusal)
            if refusal != RATE_LIMITED or self._first_notice(sender_id):
                await output.send_text_message(sender_id, response_text(refusal))
            return
        if isinstance(decision, Reply):
            await output.send_text_message(sender_id, decision.text)
            return
        assert isinstance(decision, ToAssistant)
        self._chats[sender_id] = where
        await self._typing(where)
        message = UserMessage(
            decision.text,
            output,
            sender_id,
            input_channel=self.name(),
            message_id=f"telegram-{update.update_id}",
            # Only what the dialogue needs (session start: private chat or group), no ids.
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
            await output.send_text_message(sender_id, FAILURE_TEXT)

    def _refusal(self, sender_id: str, decision: ToAssistant | Reply) -> str | None:
        """The guard's verdict; a message is as long as the longer of what the user typed and
        what Rasa would get. Over-long messages count against the rate as well."""
        if isinstance(decision, Reply):
            return self.guard.refusal(sender_id, None, None)
        text = decision.text
        if decision.typed is not None and len(decision.typed) > len(text):
            text = decision.typed
        refusal = self.guard.refusal(sender_id, None, text)
        if refusal == TOO_LONG and self.guard.refusal(sender_id, None, None) == RATE_LIMITED:
            return RATE_LIMITED
        return refusal

    def _first_notice(self, sender_id: str) -> bool:
        """True once per rate window and conversation: a flood gets one "please wait", not one
        answer per message."""
        if sender_id in self._told_to_wait:
            return False
        self._told_to_wait[sender_id] = True
        return True

    async def _answer_callback(self, callback_query_id: str, text: str | None = None) -> None:
        """Stops the button's loading spinner; best effort (a stale query only fails quietly)."""
        try:
            await self.api.call(
                "answer_callback_query", callback_query_id=callback_query_id, text=text
            )
        except TelegramError as error:
            log.info("Telegram answerCallbackQuery failed: %s", type(error).__name__)

    async def _typing(self, chat: ChatRef) -> None:
        with contextlib.suppress(TelegramError):  # cosmetic only: no retries, no noise
            await self.api.bot.send_chat_action(
                chat.chat_id, "typing", message_thread_id=chat.thread_id
            )


async def _bounded_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it is longer than `limit` bytes (announced or read).

    The route streams, so nothing was read before the secret check; Sanic drains at most `limit`
    more bytes after the answer and then closes the connection.
    """
    length = (request.headers.get("content-length") or "").strip()
    if length.isdigit() and int(length) > limit:
        _limit_stream(request, limit)
        return None
    stream = request.stream
    if request.body or stream is None:  # not a streaming route: Sanic read the body already
        body = request.body or b""
        return body if len(body) <= limit else None
    _limit_stream(request, limit)
    chunks: list[bytes] = []
    size = 0
    try:
        while (chunk := await stream.read()) is not None:
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
    except PayloadTooLarge:
        return None
    return b"".join(chunks)


def _limit_stream(request: Request, limit: int) -> None:
    with contextlib.suppress(AttributeError):
        request.stream.request_max_size = min(request.stream.request_max_size, limit)
