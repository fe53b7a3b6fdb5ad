"""Rasa's responses sent to a Telegram chat: text in chunks, inline buttons, location request.

Text goes out without a parse mode, so whatever the bot says (even `<b>`) arrives literally. A
send that fails after the bounded retries in TelegramApi is logged (chat pseudonym, error type)
and the rest of that answer is dropped: Rasa's conversation goes on.
"""

from __future__ import annotations

import logging
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
    inline_keyboard,
    location_keyboard,
    split_message,
)

log = logging.getLogger("connectors.telegram")


class TelegramOutput(OutputChannel):
    """Sends Rasa's responses to one Telegram chat (a fresh instance per incoming update)."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(
        self,
        api: TelegramApi,
        callbacks: CallbackStore,
        *,
        chat_type: str = ChatType.PRIVATE,
        thread_id: int | None = None,
    ) -> None:
        self.api = api
        self.callbacks = callbacks
        self.chat_type = chat_type
        self.thread_id = thread_id

    @staticmethod
    def wants_location(custom: Any) -> bool:
        """`{"request_location": true}`, also wrapped as socket.io needs it: `{"data": {...}}`."""
        if not isinstance(custom, dict):
            return False
        data = custom.get("data")
        return bool(custom.get("request_location") or (isinstance(data, dict) and data.get("request_location")))

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
            await self._send_text(recipient_id, text, self._location_markup())
            await super().send_response(recipient_id, rest)
            return
        await super().send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send_text(recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        markup = inline_keyboard(buttons, self.callbacks)
        await self._send_text(recipient_id, text or BUTTONS_PROMPT, markup)

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        if self.wants_location(json_message):
            private = self.chat_type == ChatType.PRIVATE
            prompt = json_message.get("text") or (
                LOCATION_PROMPT if private else LOCATION_PROMPT_GROUP
            )
            await self._send_text(recipient_id, str(prompt), self._location_markup())
        elif isinstance(json_message.get("text"), str):
            await self._send_text(recipient_id, json_message["text"])
        else:
            log.debug("Telegram: custom payload without a Telegram form skipped")

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        try:
            await self.api.call(
                "send_photo", idempotent=False, chat_id=recipient_id, photo=image,
                message_thread_id=self.thread_id,
            )  # fmt: skip
        except TelegramError as error:
            log.warning("Telegram sendPhoto failed (%s); sending the link", type(error).__name__)
            await self._send_text(recipient_id, image)

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        if isinstance(attachment, str):
            await self._send_text(recipient_id, attachment)

    def _location_markup(self) -> Any:
        # request_location buttons exist in private chats only; groups get a text prompt.
        return location_keyboard() if self.chat_type == ChatType.PRIVATE else None

    async def _send_text(self, chat_id: str, text: str, markup: Any = None) -> None:
        chunks = split_message(text or "")
        if not chunks and markup is not None:
            chunks = [BUTTONS_PROMPT]
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            try:
                await self.api.call(
                    "send_message",
                    idempotent=False,
                    chat_id=chat_id,
                    text=chunk,
                    reply_markup=markup if last else None,
                    message_thread_id=self.thread_id,
                )
            except Forbidden:
                log.info("Telegram: chat %s blocked the bot", self.api.config.pseudonym(chat_id))
                return
            except TelegramError as error:
                log.error(
                    "Telegram sendMessage to chat %s failed: %s: %s",
                    self.api.config.pseudonym(chat_id), type(error).__name__, error,
                )  # fmt: skip
                return
