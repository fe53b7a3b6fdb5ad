"""What an incoming Telegram update means for the assistant: a user message, a fixed hint, or nothing.

Pure decisions on python-telegram-bot's `Update` objects, kept apart from HTTP so each rule is
testable and documented in one place (see connectors/TELEGRAM.md):

- text -> the text; `/start` -> `/greet`, `/hilfe` and `/help` -> `/help`, `/datenschutz` ->
  `/privacy_notice`, `/loeschen` (typed by hand also `/löschen`) -> `/delete_my_data`; other
  commands pass through without their `@botname` suffix (Rasa reads `/intent{...}` as on every
  channel);
- pressed inline button -> its payload (long payloads via the callback store);
- shared location -> `/share_location{"latitude":..,"longitude":..}`;
- edited text -> handled like a new message (the user corrected the question and expects an answer
  to the corrected text); edits of live locations and media are ignored;
- sticker, photo, voice, ... -> a German hint, no Rasa call;
- groups: only commands, messages that mention @botname and replies to the bot count.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType

from connectors.telegram_render import location_payload

# Bot commands and the intent payloads they send. Telegram allows only a-z, 0-9 and _ in commands
# (no umlauts), so the command menu offers /loeschen; "/löschen" typed by hand works as well.
COMMAND_PAYLOADS = {
    "start": "/greet",
    "hilfe": "/help",
    "help": "/help",
    "datenschutz": "/privacy_notice",
    "loeschen": "/delete_my_data",
}
_TYPED_UMLAUT_COMMAND = re.compile(r"^/löschen(?=[\s@]|$)", re.IGNORECASE)
MEDIA_HINT = (
    "Ich verstehe leider nur Textnachrichten und geteilte Standorte. Bitte schreiben Sie Ihre "
    "Frage als Text oder teilen Sie Ihren Standort."
)
EXPIRED_BUTTON = (
    "Diese Schaltfläche ist nicht mehr gültig. Bitte stellen Sie Ihre Frage noch einmal."
)
# Content the assistant cannot read; service messages (joins, pins, ...) are not listed on purpose.
MEDIA_FIELDS = (
    "sticker", "photo", "voice", "audio", "video", "video_note", "animation", "document",
    "contact", "poll", "dice", "game", "story", "paid_media", "checklist",
)  # fmt: skip
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?=\s|$)(.*)$", re.S)
_GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)


@dataclass(frozen=True)
class BotIdentity:
    id: int
    username: str


@dataclass(frozen=True)
class ToAssistant:
    """Hand `text` to Rasa as a user message of the conversation of chat `chat_id`.

    `typed` is the message as the user wrote it (before commands and mentions were mapped): the
    channel's size limit applies to it as well as to `text`.
    """

    chat_id: int
    text: str
    chat_type: str
    update_type: str
    thread_id: int | None = None
    callback_query_id: str | None = None
    typed: str | None = None


@dataclass(frozen=True)
class Reply:
    """Answer with a fixed text, without asking Rasa."""

    chat_id: int
    text: str
    chat_type: str
    thread_id: int | None = None


@dataclass(frozen=True)
class AnswerCallback:
    """Only acknowledge a pressed button (optionally with a short notice)."""

    callback_query_id: str
    text: str | None = None


@dataclass(frozen=True)
class Ignore:
    reason: str


Decision = ToAssistant | Reply | AnswerCallback | Ignore


def interpret(
    update: Update, me: BotIdentity, resolve_callback: Callable[[str], str | None]
) -> Decision:
    if update.callback_query is not None:
        return _callback(update.callback_query, resolve_callback)
    if update.message is not None:
        return _message(update.message, me, "message")
    if update.edited_message is not None:
        return _message(update.edited_message, me, "edited_message")
    return Ignore("update type not handled")


def _thread(message: object) -> int | None:
    if getattr(message, "is_topic_message", None):
        return getattr(message, "message_thread_id", None)
    return None


def _callback(query: CallbackQuery, resolve: Callable[[str], str | None]) -> Decision:
    if query.data is None or query.message is None:
        return AnswerCallback(query.id)  # game or inline-mode button: nothing to answer in a chat
    payload = resolve(query.data)
    if payload is None:
        return AnswerCallback(query.id, EXPIRED_BUTTON)
    chat = query.message.chat
    return ToAssistant(
        chat.id, payload, str(chat.type), "callback_query", _thread(query.message), query.id
    )


def _replies_to_bot(message: Message, me: BotIdentity) -> bool:
    original = message.reply_to_message
    return bool(original and original.from_user and original.from_user.id == me.id)


def _message(message: Message, me: BotIdentity, update_type: str) -> Decision:
    chat = message.chat
    chat_type = str(chat.type)  # plain "private"/"group"/"supergroup" for Rasa's metadata
    if chat_type == ChatType.CHANNEL:
        return Ignore("channel post")
    sender = message.from_user
    if sender is not None and sender.is_bot and message.sender_chat is None:
        return Ignore("message from a bot")  # anonymous group admins have sender_chat set
    group = chat_type in _GROUPS
    thread = _thread(message)
    edited = update_type == "edited_message"
    addressed = not group or _replies_to_bot(message, me)

    if message.text is not None:
        text = _text_for_assistant(message.text, me, addressed)
        if text is None:
            return Ignore("group message not addressed to the bot")
        return ToAssistant(chat.id, text, chat_type, update_type, thread, typed=message.text)
    if message.location is not None:
        if edited:
            return Ignore("live location update")
        if not addressed:
            return Ignore("group location not addressed to the bot")
        location = message.location
        payload = location_payload(location.latitude, location.longitude)
        return ToAssistant(chat.id, payload, chat_type, update_type, thread)
    if any(getattr(message, name, None) for name in MEDIA_FIELDS):
        if edited or not addressed:
            return Ignore("media not addressed to the bot")
        return Reply(chat.id, MEDIA_HINT, chat_type, thread)
    return Ignore("service message")


def _text_for_assistant(raw: str, me: BotIdentity, addressed: bool) -> str | None:
    """The user message for Rasa, or None when a group message is not meant for the bot."""
    text = _TYPED_UMLAUT_COMMAND.sub("/loeschen", raw.strip())
    command = _COMMAND.match(text)
    if command:
        name, target, rest = command.groups()
        if target and target.lower() != me.username.lower():
            return None  # /command@otherbot
        return COMMAND_PAYLOADS.get(name.lower()) or f"/{name}{rest}"
    mention = re.compile(rf"(?<![\w@])@{re.escape(me.username)}(?!\w)[,:;]?", re.IGNORECASE)
    if mention.search(text):
        addressed = True
        text = re.sub(r"[ \t]{2,}", " ", mention.sub(" ", text)).strip()
    if not addressed:
        return None
    return text or "/greet"  # just "@botname": say hello
