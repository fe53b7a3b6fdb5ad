"""Logs without access codes and, at DEBUG, without what citizens typed.

    from bot.log_redaction import install_log_redaction
    install_log_redaction()   # once per process, before logging is configured or after

Two layers, installed in every Rasa process (bot/rasa_cli.py) and in the action server:

- Every log record of the process, whatever logger, handler or level, is redacted when it is
  created (a wrapped `logging` record factory, so handlers added later by Rasa, Sanic or
  structlog are covered too): `bot.redaction` codes in the message and in a traceback, and the
  value after any `access_code` key.
- Rasa 3.6 logs messages and events at DEBUG through structlog (`processor.message.parse` with
  `parse_data_text`, `processor.extract.slots` with the slot events, `rule_policy.actions.find`
  with "user text: …", slot values, form slot candidates). Its processor chain calls
  `rasa.utils.log_utils._anonymizer` first (Rasa's own anonymisation hook); it is wrapped so that
  user texts (and the entity values taken from them) are replaced entirely, the access_code slot
  loses its value, user events lose their text, the status answer is replaced, and everything
  else is redacted of codes.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from typing import Any

from bot.redaction import (
    PLACEHOLDER,
    USER_TEXT_PLACEHOLDER,
    EventContext,
    redact_event,
    redact_text,
)

INSTALLED = "_stadtlotse_log_redaction"
# structlog keys whose value is what a citizen typed.
USER_TEXT_KEYS = frozenset({"text", "user_text", "parse_data_text", "token_text", "message"})
# Dialogue states printed by the policies: they contain "user text: …" for end-to-end features.
STATE_KEYS = frozenset({"current_states", "old_states", "states", "tracker_states"})
STATE_USER_TEXT = re.compile(r"(user text: ).*?(?=\s\|\s|\n|\\n|$)", re.M)
# Plain-text records that quote a message ("Received user message '…' with intent …").
QUOTED_USER_TEXT = re.compile(
    r"((?:user message|user_message|UserUttered\(text:) '?)(.*?)(?=' with |'$|, intent:|$)", re.M
)
# A slot's value as Rasa prints it: "access_code: X" (slot values), "'access_code': 'X'",
# "\"access_code\": \"X\"", "SlotSet(key: access_code, value: X)"; and in an event dict,
# "'name': 'access_code', 'value': 'X'". Nothing, None and what is already redacted stay.
_VALUE = (
    r"""(?![ \t]|None\b|null\b|\[(?:Zugangscode|Nachricht) entfernt\])"""
    r"""(\\?'[^'\n]*'|\\?"(?:[^"\\\n]|\\.)*"|[^\n,)}\]]+)"""
)
FORM_SLOT_VALUE = re.compile(
    r"""((access_code|application_number)\\?['"]?(?:\s*,\s*value)?\s*[:=][ \t]*)""" + _VALUE
)
SLOT_EVENT_VALUE = re.compile(
    r"""(\\?['"]name\\?['"]:\s*\\?['"]access_code\\?['"],\s*\\?['"]value\\?['"]:[ \t]*)""" + _VALUE
)


def _form_slot_value(match: re.Match[str]) -> str:
    if match.group(2) == "access_code":
        return match.group(1) + PLACEHOLDER
    return match.group(1) + (redact_text(match.group(3), context=True) or "")


def redact_log_text(text: str) -> str:
    """A log message with codes, access_code values and states' user texts removed."""
    text = STATE_USER_TEXT.sub(lambda m: m.group(1) + USER_TEXT_PLACEHOLDER, text)
    text = QUOTED_USER_TEXT.sub(lambda m: m.group(1) + USER_TEXT_PLACEHOLDER, text)
    text = FORM_SLOT_VALUE.sub(_form_slot_value, text)
    text = SLOT_EVENT_VALUE.sub(lambda m: m.group(1) + PLACEHOLDER, text)
    return redact_text(text, keyword_anywhere=False) or text


def _event_text(event: Any, action: str | None) -> str:
    """An event as Rasa prints it, from its redacted serialisation."""
    from rasa.shared.core.events import Event

    context = EventContext(requested_slot="access_code", action=action)
    data = redact_event(event.as_dict(), context, slot_value=PLACEHOLDER)
    try:
        return repr(Event.from_parameters(data))
    except Exception:  # an event Rasa cannot rebuild: print its redacted serialisation
        return redact_log_text(str(data))


def _redact_structured(value: Any, action: str | None = None, whole: bool = False) -> Any:
    """A structlog value redacted; `whole`: its strings are user text (replaced entirely)."""
    from rasa.shared.core.events import Event  # structlog is patched in Rasa processes only

    if isinstance(value, Event):
        return _event_text(value, action)
    if isinstance(value, str):
        return USER_TEXT_PLACEHOLDER if whole and value else redact_log_text(value)
    if isinstance(value, dict):
        redacted = {}
        for key, item in value.items():
            if key == "access_code" and item is not None:
                redacted[key] = PLACEHOLDER
            elif key == "application_number" and isinstance(item, str):
                redacted[key] = redact_text(item, context=True)
            elif key in ("text", "value") and isinstance(item, str) and (whole or key == "text"):
                redacted[key] = USER_TEXT_PLACEHOLDER if item else item
            else:
                redacted[key] = _redact_structured(item, action, whole and key == "value")
        return redacted
    if isinstance(value, (list, tuple)):
        return [_redact_structured(item, action, whole) for item in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return redact_log_text(repr(value))


def redact_structlog_event(event_dict: dict[str, Any]) -> dict[str, Any]:
    """One structlog event (a Rasa DEBUG record) with user texts and codes removed."""
    action = event_dict.get("action_name")
    user_message = "parse_data_text" in event_dict  # this record prints one message
    redacted: dict[str, Any] = {}
    for key, value in event_dict.items():
        if key in ("event", "level", "timestamp", "logger", "action_name", "event_info"):
            redacted[key] = value
        elif key in USER_TEXT_KEYS:
            redacted[key] = USER_TEXT_PLACEHOLDER if value else value
        elif key in STATE_KEYS:
            redacted[key] = _redact_structured(value, action)
        elif key == "parse_data_entities":  # parts of the message: their values go too
            redacted[key] = _redact_structured(value, action, whole=user_message)
        else:
            redacted[key] = _redact_structured(value, action)
    return redacted


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it to the handler's error reporting
        return
    redacted = redact_log_text(message)
    if redacted != message:
        record.msg, record.args = redacted, None
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        rendered = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text = redact_log_text(rendered)
    if record.stack_info:
        record.stack_info = redact_log_text(record.stack_info)


def _patch_structlog_anonymizer() -> None:
    from rasa.utils import log_utils

    original = log_utils._anonymizer

    def anonymizer(logger: Any, method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        return redact_structlog_event(original(logger, method, event_dict))

    log_utils._anonymizer = anonymizer  # read by configure_structlog() when Rasa starts


def install_log_redaction() -> None:
    """Redact every log record of this process (idempotent)."""
    if getattr(logging, INSTALLED, False):
        return
    create = logging.getLogRecordFactory()

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = create(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(redacting_factory)
    setattr(logging, INSTALLED, True)
    if "rasa" in sys.modules:  # a Rasa process: its structlog records get the structured pass
        _patch_structlog_anonymizer()
