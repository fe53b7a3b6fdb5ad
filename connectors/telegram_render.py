"""How Rasa responses look on Telegram: message chunks, inline keyboards, the location button,
and what a group chat must not see again.

Pure functions plus one bounded map, so the rules are easy to test without a network. Text is sent
without a parse mode: whatever the bot says (even `<b>`) arrives literally, nothing to escape.
"""

from __future__ import annotations

import base64
import hashlib
import re
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
# What takes the place of a code-like token in an answer to a group chat (see EchoFilter).
MASK = "…"
_WORD = re.compile(r"[A-Za-z0-9]+(?:[-_/.:][A-Za-z0-9]+)*")
_CODE_CHARS = re.compile(r"[<>{}`$\\]")
_SEPARATORS = r"[\s\-_/.:]*"
_DATE_OR_TIME = re.compile(r"\d{1,4}([-./:])\d{1,2}(\1\d{1,4})?")


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

    def encode(self, payload: str, hide: bool = False) -> str:
        """callback_data for `payload`: the payload itself if it fits (and `hide` is not set),
        else a short key."""
        short = len(payload.encode()) <= MAX_CALLBACK_BYTES
        if short and not hide and not payload.startswith(_KEY_PREFIX):
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


class EchoFilter:
    """Keeps code-like tokens of a group member's message out of the bot's answer to the group.

    Code-like: a word that mixes letters and digits (5+ characters without separators, e.g. an
    access code K7M2Q9 or an application number DU-2026-004711), a run of 6+ digits, or a token
    with code or markup characters (`< > { } ` $ \\`, e.g. `/intent{...}` payloads or `<b>`).
    The answer's text and button titles get `MASK` in their place (found also when the bot
    re-spaced or re-cased them); button payloads that contain one go behind a callback key.
    """

    def __init__(self, *texts: str | None) -> None:
        found: dict[str, tuple[int, re.Pattern[str]]] = {}
        for text in texts:
            for word in _WORD.findall(text or ""):
                canon = re.sub(r"[^A-Za-z0-9]", "", word)
                if _code_like(canon) and not _DATE_OR_TIME.fullmatch(word):
                    body = _SEPARATORS.join(re.escape(char) for char in canon)
                    pattern = re.compile(rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])", re.I)
                    found.setdefault(canon.upper(), (len(word), pattern))
            for token in (text or "").split():
                if len(token) > 1 and _CODE_CHARS.search(token):
                    found.setdefault(token, (len(token), re.compile(re.escape(token), re.I)))
        # Longest first, so a whole payload is masked before a code inside it.
        self._patterns = [pattern for _, pattern in sorted(found.values(), key=lambda f: -f[0])]

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def touches(self, text: str) -> bool:
        return any(pattern.search(text) for pattern in self._patterns)

    def clean(self, text: str) -> str:
        for pattern in self._patterns:
            text = pattern.sub(MASK, text)
        return text


def _code_like(canon: str) -> bool:
    digits = sum(char.isdigit() for char in canon)
    return digits >= 6 or (len(canon) >= 5 and 0 < digits < len(canon))


def _button(
    button: Mapping[str, Any], store: CallbackStore, echo: EchoFilter | None = None
) -> InlineKeyboardButton:
    title = str(button.get("title") or button.get("payload") or "?")
    url = button.get("url")
    payload = str(button.get("payload") or title)
    if not url and payload.startswith(("https://", "http://")):
        url = payload
    if echo:
        title = echo.clean(title)
    if url:
        return InlineKeyboardButton(title, url=str(url))
    hide = bool(echo) and echo.touches(payload)
    return InlineKeyboardButton(title, callback_data=store.encode(payload, hide=hide))


def inline_keyboard(
    buttons: Iterable[Mapping[str, Any]], store: CallbackStore, echo: EchoFilter | None = None
) -> InlineKeyboardMarkup | None:
    """One button per row; two neighbours share a row when both titles are short (👍 👎)."""
    rows: list[list[InlineKeyboardButton]] = []
    pending_short: InlineKeyboardButton | None = None
    for spec in buttons:
        button = _button(spec, store, echo)
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
