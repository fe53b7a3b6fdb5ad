"""How Rasa responses look on Telegram: message chunks, inline keyboards, the location button.

Pure functions plus one bounded map, so the rules are easy to test without a network. Text is sent
without a parse mode: whatever the bot says (even `<b>`) arrives literally, nothing to escape.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from cachetools import LRUCache
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

# "Text of the message to be sent, 1-4096 characters after entities parsing" (sendMessage);
# counted in UTF-16 code units like every length in the Bot API, so emoji count twice.
MAX_MESSAGE_LENGTH = 4096
MAX_CALLBACK_BYTES = 64  # InlineKeyboardButton.callback_data: 1-64 bytes
SHORT_TITLE = 16  # two buttons share a row when both titles are at most this long
LOCATION_BUTTON = "📍 Standort teilen"
LOCATION_PROMPT = "Tippen Sie unten auf „📍 Standort teilen“, um Ihren Standort zu senden."
LOCATION_PROMPT_GROUP = "Teilen Sie Ihren Standort als Antwort auf diese Nachricht (📎 → Standort)."
BUTTONS_PROMPT = "Bitte wählen Sie:"
_KEY_PREFIX = "~k:"


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fitting_prefix(text: str, limit: int) -> int:
    """How many code points of `text` fit into `limit` UTF-16 units (never splits a pair)."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def split_message(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Chunks of at most `limit` units, cut at a paragraph, else a line, else a word boundary."""
    chunks: list[str] = []
    rest = text.strip()
    while rest:
        if utf16_length(rest) <= limit:
            chunks.append(rest)
            break
        window = rest[: _fitting_prefix(rest, limit)]
        cut = next(
            (i for sep in ("\n\n", "\n", " ") if (i := window.rfind(sep)) > 0),
            len(window),
        )
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [chunk for chunk in chunks if chunk]


class CallbackStore:
    """Payloads longer than Telegram's 64-byte callback_data, behind short stable keys.

    Bounded (least recently used keys are forgotten) and in memory: a button pressed after a
    restart or eviction resolves to None and the user is asked to repeat the question.
    """

    def __init__(self, maxsize: int = 10_000) -> None:
        self._payloads: LRUCache[str, str] = LRUCache(maxsize=maxsize)

    def encode(self, payload: str) -> str:
        if len(payload.encode()) <= MAX_CALLBACK_BYTES and not payload.startswith(_KEY_PREFIX):
            return payload
        digest = hashlib.sha256(payload.encode()).digest()[:15]
        key = _KEY_PREFIX + base64.urlsafe_b64encode(digest).decode()
        self._payloads[key] = payload
        return key

    def decode(self, data: str) -> str | None:
        if not data.startswith(_KEY_PREFIX):
            return data
        return self._payloads.get(data)

    def __len__(self) -> int:
        return len(self._payloads)


def _button(button: Mapping[str, Any], store: CallbackStore) -> InlineKeyboardButton:
    title = str(button.get("title") or button.get("payload") or "?")
    url = button.get("url")
    payload = str(button.get("payload") or title)
    if not url and payload.startswith(("https://", "http://")):
        url = payload
    if url:
        return InlineKeyboardButton(title, url=str(url))
    return InlineKeyboardButton(title, callback_data=store.encode(payload))


def inline_keyboard(
    buttons: Iterable[Mapping[str, Any]], store: CallbackStore
) -> InlineKeyboardMarkup | None:
    """One button per row; two neighbours share a row when both titles are short (👍 👎)."""
    rows: list[list[InlineKeyboardButton]] = []
    pending_short: InlineKeyboardButton | None = None
    for spec in buttons:
        button = _button(spec, store)
        short = len(button.text) <= SHORT_TITLE
        if pending_short is not None and short:
            rows.append([pending_short, button])
            pending_short = None
            continue
        if pending_short is not None:
            rows.append([pending_short])
            pending_short = None
        if short:
            pending_short = button
        else:
            rows.append([button])
    if pending_short is not None:
        rows.append([pending_short])
    return InlineKeyboardMarkup(rows) if rows else None


def location_keyboard() -> ReplyKeyboardMarkup:
    """The "share location" button; Telegram offers it in private chats only."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(LOCATION_BUTTON, request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def location_payload(latitude: float, longitude: float) -> str:
    """The Rasa intent payload a shared location becomes."""
    return f'/share_location{{"latitude":{latitude},"longitude":{longitude}}}'
