"""Rasa's responses sent to a Telegram chat: text in chunks, inline buttons, location request.

Rasa's recipient id is a keyed conversation id (`telegram-<hmac>`), never a chat id: the output
channel made for an update sends to that update's chat and ignores the recipient id Rasa passes.
The channel's own output (`TelegramInput.get_output_channel`, for messages Rasa sends on its own)
finds the chat in the channel's map of conversations it has seen; an unknown conversation gets
nothing. In group chats, code-like tokens of the group member's message are masked (EchoFilter).

Text goes out without a parse mode, so whatever the bot says (even `<b>`) arrives literally. A
send that fails after the bounded retries in TelegramApi is logged (chat pseudonym, error type)
and the rest of that answer is dropped: Rasa's conversation goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import OutputChannel
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError

from connectors.telegram_api import TelegramApi
from connectors.telegram_render import (
    BUTTONS_PROMPT,
    LOCATION_PROMPT,
    LOCATION_PROMPT_GROUP,
    CallbackStore,
    EchoFilter,
    inline_keyboard,
    location_keyboard,
    split_message,
)

log = logging.getLogger("connectors.telegram")


@dataclass(frozen=True)
class ChatRef:
    """Where the answers of one conversation go (kept in memory only, never given to Rasa)."""

    chat_id: int
    chat_type: str = ChatType.PRIVATE
    thread_id: int | None = None

    @property
    def private(self) -> bool:
        return self.chat_type == ChatType.PRIVATE


class TelegramOutput(OutputChannel):
    """Sends Rasa's responses to one Telegram chat (a fresh instance per incoming update).

    `chat`: the chat of the update this output was made for (every recipient id goes there).
    `chats`: without `chat`, the channel's map from conversation id to chat.
    `echo`: in group chats, what must not be repeated from the member's message.
    """

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(
        self,
        api: TelegramApi,
        callbacks: CallbackStore,
        chat: ChatRef | None = None,
        *,
        chats: Mapping[str, ChatRef] | None = None,
        echo: EchoFilter | None = None,
    ) -> None:
        self.api = api
        self.callbacks = callbacks
        self.chat = chat
        self.chats = chats
        self.echo = echo

    def target(self, recipient_id: str) -> ChatRef | None:
        """The chat to send to: this output's own chat, else the conversation's known chat."""
        if self.chat is not None:
            return self.chat
        if self.chats is not None:
            return self.chats.get(str(recipient_id))
        return None

    @staticmethod
    def wants_location(custom: Any) -> bool:
        """`{"request_location": true}`, also wrapped as socket.io needs it: `{"data": {...}}`."""
        if not isinstance(custom, dict):
            return False
        data = custom.get("data")
        return bool(
            custom.get("request_location")
            or (isinstance(data, dict) and data.get("request_location"))
        )

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """As Rasa's, except that a location request rides on the text it comes with."""
        custom = message.get("custom")
        if (
            self.wants_location(custom)
            and message.get("text")
            and not message.get("buttons")
            and not message.get("quick_replies")
        ):
            rest = dict(message)
            text, _ = rest.pop("text"), rest.pop("custom")
            chat = self.target(recipient_id)
            await self._send_text(chat, text, self._location_markup(chat))
            await super().send_response(recipient_id, rest)
            return
        await super().send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send_text(self.target(recipient_id), text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        markup = inline_keyboard(buttons, self.callbacks, self.echo)
        await self._send_text(self.target(recipient_id), text or BUTTONS_PROMPT, markup)

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        chat = self.target(recipient_id)
        if self.wants_location(json_message):
            private = chat is None or chat.private
            prompt = json_message.get("text") or (
                LOCATION_PROMPT if private else LOCATION_PROMPT_GROUP
            )
            await self._send_text(chat, str(prompt), self._location_markup(chat))
        elif isinstance(json_message.get("text"), str):
            await self._send_text(chat, json_message["text"])
        else:
            log.debug("Telegram: custom payload without a Telegram form skipped")

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        chat = self.target(recipient_id)
        if chat is None:
            self._unknown()
            return
        try:
            await self.api.call(
                "send_photo", idempotent=False, chat_id=chat.chat_id, photo=image,
                message_thread_id=chat.thread_id,
            )  # fmt: skip
        except TelegramError as error:
            log.warning("Telegram sendPhoto failed (%s); sending the link", type(error).__name__)
            await self._send_text(chat, image)

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        if isinstance(attachment, str):
            await self._send_text(self.target(recipient_id), attachment)

    @staticmethod
    def _location_markup(chat: ChatRef | None) -> Any:
        # request_location buttons exist in private chats only; groups get a text prompt.
        return location_keyboard() if chat is not None and chat.private else None

    @staticmethod
    def _unknown() -> None:
        log.warning("Telegram: no chat known for this conversation; message not sent")

    async def _send_text(self, chat: ChatRef | None, text: str, markup: Any = None) -> None:
        if chat is None:
            self._unknown()
            return
        if self.echo:
            text = self.echo.clean(text or "")
        chunks = split_message(text or "")
        if not chunks and markup is not None:
            chunks = [BUTTONS_PROMPT]
        pseudonym = self.api.config.pseudonym(chat.chat_id)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            try:
                await self.api.call(
                    "send_message",
                    idempotent=False,
                    chat_id=chat.chat_id,
                    text=chunk,
                    reply_markup=markup if last else None,
                    message_thread_id=chat.thread_id,
                )
            except Forbidden:
                log.info("Telegram: chat %s blocked the bot", pseudonym)
                return
            except TelegramError as error:
                log.error(
                    "Telegram sendMessage to chat %s failed: %s: %s",
                    pseudonym, type(error).__name__, error,
                )  # fmt: skip
                return
