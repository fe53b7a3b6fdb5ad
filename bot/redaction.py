"""Find application access codes in any text, so that none is stored, published or logged.

Issued access codes are 6 characters A-Z/0-9 (new ones from ABCDEFGHJKLMNPQRSTUVWXYZ23456789, so
about one in six has no digit). Citizens type them in upper or lower case, with spaces or dashes
inside ("K7M 2Q9", "k7m-2q9", "K 7 M 2 Q 9"), in the form or unprompted in any message. A code is
a *window*: one to six ASCII letter/digit tokens joined by at most three spaces or dashes, with six
characters in all. A window is taken for a code when

- it follows a code keyword ("Code", "Zugangscode", "Passwort", "PIN", …) after at most a few
  filler words ("ist", "lautet", "für DU-2026-004711"), or stands right before one ("KMXQRT ist
  mein Code"): whatever it is, letters only or not;
- the message names a code keyword anywhere, or answers the status form's questions
  (`context=True`), and the window is not made of common German words;
- it contains a digit: a single token anywhere ("K7M2Q9", "234567"); several tokens when each one
  contains a digit, is a single character or is in capitals ("K7M 2Q9", "KMX 2Q9", "K 7 M 2 Q 9"),
  or when one mixes letters and digits and the others are no common words ("kmx 2q9", not
  "die U79"), or when dashes split letters and digits in halves ("weg-qg8", not "S1-Bahn");
  digits only in several tokens are no code ("2026-11-23") but right after a keyword or in the
  form;
- it is in capitals, letters only, and not a German word ("KMXQRT", "KMX QRT"; not "ANTRAG").

Application numbers (DU-2026-004711, also "du 2026 004711") are never taken apart. What cannot be
told from ordinary words is kept: a lower-case code of letters only, typed unprompted without a
keyword, is indistinguishable from a word; a code in capitals that happens to be a German word
(about 1 in 28,000 codes) passes the word check unless it stands next to a keyword.

The word lists come from spacy-lookups-data (installed for the NLU; its German lexeme list is
ordered by frequency): the 6-letter words among the 100,000 most frequent entries for single
tokens, the 5,000 most frequent words for the parts of a split window. They are loaded on first
use (about 0.3 s, about 1 MB kept).
"""

from __future__ import annotations

import gzip
import importlib.util
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

PLACEHOLDER = "[Zugangscode entfernt]"
STATUS_PLACEHOLDER = "[Statusauskunft entfernt]"
USER_TEXT_PLACEHOLDER = "[Nachricht entfernt]"

CODE_LENGTH = 6
# Application numbers: two or three letters, year, six digits, with optional spaces/dashes.
APPLICATION_NUMBER = re.compile(
    r"(?i)(?<![^\W_])[a-z]{2,3}\s?[-–]?\s?\d{4}\s?[-–]?\s?\d{6}(?![^\W_])"
)
# A token: letters and digits (any script); a JSON escape such as \u00fc belongs to its word, so
# that log lines with escaped umlauts ("f\u00fcr") do not produce code-like pieces.
TOKEN = re.compile(r"(?:\\u[0-9a-fA-F]{4}|[^\W_])+")
ASCII_ALNUM = re.compile(r"[A-Za-z0-9]+")
# What may stand between the parts of a split code: up to three spaces or dashes.
SEPARATOR = re.compile(r"[\s\-‐‑‒–—−]{1,3}")
KEYWORD = re.compile(
    r"(?:\w*code|codes|\w*passwort|\w*kennwort|\w*password|passwd|pin|pins|tan|geheimzahl"
    r"|zugang|zugangs\w*|kennung)"
)
# Words between a keyword and the code ("Der Code ist: …", "Code für DU-2026-004711 lautet …").
FILLERS = frozenset(
    re.split(
        r"\s+",
        "ist is lautet lautete heißt heisst hiess hieß war wäre waere also nun jetzt hier bitte "
        "ja einfach nochmal noch mal einmal dazu",
    )
)
ABOUT_THE_APPLICATION = frozenset(
    re.split(
        r"\s+",
        "für fuer zu zum zur von vom meinen meinem meines meiner den dem des antrag antrags "
        "vorgang vorgangs vorgangsnummer nummer",
    )
)
# Words between a code and a keyword after it ("KMXQRT ist mein Code").
FILLERS_BEFORE = frozenset(
    ["ist", "war", "wäre", "mein", "meine", "der", "die", "das", "ihr", "als"]
)
# The word lists: the most frequent entries of spacy-lookups-data's German lexeme list (further
# down it is mostly names and noise, which only let codes pass).
WORDS = 100_000  # about 7,500 words of 6 letters: 1 in 28,000 random codes is one of them
COMMON_WORDS = 5_000  # the parts of a split window ("ICH BIN") must be among these


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str
    candidate: bool  # plain ASCII letters/digits outside an application number
    identifier: bool  # part of a name_with_underscores ("access_code" names no code)
    in_number: bool  # part of an application number


def _tokens(text: str) -> list[Token]:
    protected = [m.span() for m in APPLICATION_NUMBER.finditer(text)]
    tokens = []
    for match in TOKEN.finditer(text):
        start, end = match.span()
        # "\nK7M2Q9" in a JSON-escaped log line: the escape letter is no part of the token.
        if start > 0 and text[start - 1] == "\\" and text[start] in "ntr" and end - start > 1:
            start += 1
        word = text[start:end]
        inside = any(a <= start and end <= b for a, b in protected)
        before, after = text[start - 1 : start], text[end : end + 1]
        # The fraction of a decimal number ("1796401643.115263", "0.000000") is no code.
        fraction = word.isdigit() and before in (".", ",") and text[start - 2 : start - 1].isdigit()
        tokens.append(
            Token(
                start,
                end,
                word,
                ASCII_ALNUM.fullmatch(word) is not None and not inside and not fraction,
                "_" in (before, after),
                inside,
            )
        )
    return tokens


@lru_cache(maxsize=1)
def _words() -> tuple[frozenset[str], frozenset[str]]:
    """(German 6-letter words, the most frequent German words of 2-5 letters), lower case."""
    spec = importlib.util.find_spec("spacy_lookups_data")
    if spec is None or not spec.submodule_search_locations:
        return frozenset(), frozenset()  # no word list: every capital 6-letter token is redacted
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    six: set[str] = set()
    common: set[str] = set()
    # The lexeme list is a JSON object ordered by frequency; reading its keys with a regular
    # expression avoids building a dict of a million entries.
    with gzip.open(data / "de_lexeme_prob.json.gz", "rt", encoding="utf-8") as handle:
        text = handle.read()
    for rank, match in enumerate(re.finditer(r'^\s*"([^"\\]*)":', text, re.M)):
        if rank >= WORDS:
            break
        word = match.group(1)
        if not word.isascii() or not word.isalpha():
            continue
        if len(word) == CODE_LENGTH:
            six.add(word.lower())
        elif 2 <= len(word) < CODE_LENGTH and rank < COMMON_WORDS:
            common.add(word.lower())
    return frozenset(six), frozenset(common)


def is_word(part: str) -> bool:
    six, common = _words()
    lower = part.lower()
    return lower in six if len(part) == CODE_LENGTH else lower in common


def _mixed(part: str) -> bool:
    return any(ch.isdigit() for ch in part) and any(ch.isalpha() for ch in part)


def _dashed_code(parts: list[str]) -> bool:
    """Parts joined by dashes ("628-mmv", "weg-qg8"): a code when it mixes letters and digits
    and is split in halves, or its letters are no common words ("S1-Bahn" is none)."""
    combined = "".join(parts)
    if not (any(ch.isdigit() for ch in combined) and any(ch.isalpha() for ch in combined)):
        return False
    halves = [len(p) for p in parts] == [3, 3]
    return halves or not any(p.isalpha() and is_word(p) for p in parts)


def _looks_like_code(parts: list[str], keyword_context: bool, form: bool = False) -> bool:
    combined = "".join(parts)
    has_digit = any(ch.isdigit() for ch in combined)
    has_letter = any(ch.isalpha() for ch in combined)
    if len(parts) == 1:
        if has_digit:
            return True
        if combined.isupper() or keyword_context:
            return not is_word(combined)
        return False
    if has_digit and not has_letter:  # "2026-11-23", "0203 94 00 00": dates, phone numbers
        return form
    if all(any(ch.isdigit() for ch in p) or len(p) == 1 or p.isupper() for p in parts):
        # Capitals only: "ICH BIN" and "DU BIST" are words, "GB AA LE" and "KMX QRT" are not.
        words = all(len(p) > 1 and is_word(p) for p in parts)
        return has_digit or not words or sum(len(p) == 2 for p in parts) > 1
    if any(_mixed(p) for p in parts) and all(_mixed(p) or not is_word(p) for p in parts):
        return True  # "kmx 2q9", but not "die U79"
    if keyword_context:  # letters that are no common word ("kmx qrt"; not "nach 30")
        return any(_mixed(p) or (p.isalpha() and not (len(p) > 1 and is_word(p))) for p in parts)
    return False


def code_spans(
    text: str, context: bool = False, keyword_anywhere: bool = True
) -> list[tuple[int, int]]:
    """Character spans of everything in `text` that may be an access code (merged, ordered).

    `context=True`: the text is known to be about a code (an answer in the status form).
    `keyword_anywhere=False`: a keyword marks only its neighbours (log lines, which are English
    and quote no messages: "status code 500 … most recent call" is no code context)."""
    if not text:
        return []
    tokens = _tokens(text)
    keywords = [
        i for i, t in enumerate(tokens) if KEYWORD.fullmatch(t.text.lower()) and not t.identifier
    ]
    # Windows right after a keyword are codes whatever they look like: the first one after the
    # fillers, and one that starts at a filler and goes on ("Code: NUN MMN"; not "lautet" alone).
    # "Zugangscode für DU-2026-004711 ist …": what names the application is skipped too.
    right_after: dict[int, bool] = {}
    for k in keywords:
        i = k + 1
        while i < len(tokens) and i - k <= 8:
            word = tokens[i].text.lower()
            if word in FILLERS:
                right_after.setdefault(i, False)
            elif not (tokens[i].in_number or word in ABOUT_THE_APPLICATION):
                break
            i += 1
        right_after[i] = True
    # And the window right before one: "KMXQRT ist mein Code".
    right_before: set[int] = set()
    for k in keywords:
        i = k - 1
        while i >= 0 and k - i <= 3 and tokens[i].text.lower() in FILLERS_BEFORE:
            i -= 1
        if any(t.text.lower() in ("ist", "war", "wäre", "als") for t in tokens[i + 1 : k]):
            right_before.add(i)  # not "meinen Zugangscode"
    keyword_context = context or (bool(keywords) and keyword_anywhere)
    spans: list[tuple[int, int]] = []
    for i, first in enumerate(tokens):
        if not first.candidate:
            continue
        parts, j = [first.text], i
        while sum(map(len, parts)) < CODE_LENGTH and j + 1 < len(tokens):
            following = tokens[j + 1]
            if not following.candidate or not SEPARATOR.fullmatch(
                text[tokens[j].end : following.start]
            ):
                break
            parts.append(following.text)
            j += 1
        if sum(map(len, parts)) != CODE_LENGTH:
            continue
        after_keyword = i in right_after and (right_after[i] or len(parts) > 1)
        dashed = len(parts) > 1 and all(
            "-" in text[tokens[n].end : tokens[n + 1].start] for n in range(i, j)
        )
        if (
            after_keyword
            or j in right_before
            or (dashed and _dashed_code(parts))
            or _looks_like_code(parts, keyword_context, form=context)
        ):
            spans.append((first.start, tokens[j].end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def codes_in(text: str, context: bool = False) -> list[str]:
    """The code candidates in `text`, normalised (upper case, no spaces or dashes)."""
    return [
        re.sub(r"[^A-Z0-9]", "", text[a:b].upper()) for a, b in code_spans(text, context=context)
    ]


def redact_text(
    text: str | None, context: bool = False, keyword_anywhere: bool = True
) -> str | None:
    """`text` with every possible access code replaced by PLACEHOLDER."""
    if not text:
        return text
    spans = code_spans(text, context=context, keyword_anywhere=keyword_anywhere)
    for start, end in reversed(spans):
        text = text[:start] + PLACEHOLDER + text[end:]
    return text


def redact_value(value: Any, context: bool = False) -> Any:
    """Strings anywhere in a JSON-like value redacted; an `access_code` key loses its value."""
    if isinstance(value, str):
        return redact_text(value, context=context)
    if isinstance(value, dict):
        if value.get("entity") == "access_code" and "value" in value:
            value = {**value, "value": PLACEHOLDER}
        return {
            key: (
                PLACEHOLDER
                if key == "access_code" and item is not None
                else redact_value(item, context=context)
            )
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact_value(item, context=context) for item in value]
    return value


# --- Conversation events (tracker store, event broker, logs) -------------------------------------

CODE_QUESTION = "access_code"
FORM_SLOTS = ("application_number", "access_code")  # filled from whole answers in the form
STATUS_ACTION = "action_application_status"
DELETE_ACTION = "action_delete_conversation"
DELETED_RESPONSE = "utter_data_deleted"


@dataclass(frozen=True)
class EventContext:
    """What is known about one event from the events before it."""

    requested_slot: str | None = None  # the form question a user event answers
    action: str | None = None  # the action whose bot messages these are


def event_contexts(events: Iterable[dict[str, Any]]) -> list[EventContext]:
    """For each serialised event: the form question it answers, the action that sent it.

    Rasa logs an action's ActionExecuted before the events the action returned (bot messages
    first), so a bot message belongs to the latest ActionExecuted before it."""
    contexts = []
    requested: str | None = None
    action: str | None = None
    for data in events:
        kind = data.get("event")
        contexts.append(EventContext(requested, action))
        if kind == "slot" and data.get("name") == "requested_slot":
            requested = data.get("value")
        elif kind == "action":
            action = data.get("name")
        elif kind in ("restart", "session_started"):
            requested = None
    return contexts


def redact_event(
    data: dict[str, Any], context: EventContext = EventContext(), slot_value: Any = None
) -> dict[str, Any]:
    """A serialised Rasa event with nothing in it that can carry an access code.

    - a user message answering the form's code question: the whole text (and every entity value);
      any other user message answering a form question: codes, with the form as code context;
    - the access_code slot: `slot_value` (None in the tracker store: a reloaded conversation asks
      again); the form's slots and every other value: codes;
    - the status answer (a free-text message of action_application_status): STATUS_PLACEHOLDER.
    """
    kind = data.get("event")
    in_form = context.requested_slot in FORM_SLOTS
    if kind == "slot" and data.get("name") == "access_code":
        return {**data, "value": slot_value if data.get("value") is not None else None}
    if kind == "slot" and data.get("name") in FORM_SLOTS:
        return {**data, "value": redact_value(data.get("value"), context=True)}
    if kind == "user":
        whole = context.requested_slot == CODE_QUESTION

        def text(value: Any) -> Any:
            return PLACEHOLDER if whole and value else redact_value(value, context=in_form)

        redacted = {**data, "text": text(data.get("text"))}
        if "metadata" in data:
            redacted["metadata"] = redact_value(data["metadata"])
        parse = data.get("parse_data")
        if isinstance(parse, dict):
            parse = {**parse, "text": text(parse.get("text"))}
            parse["entities"] = [
                {
                    **e,
                    "value": PLACEHOLDER
                    if e.get("entity") == "access_code" and e.get("value") is not None
                    else text(e.get("value")),
                }
                for e in parse.get("entities") or []
                if isinstance(e, dict)
            ]
            if "metadata" in parse:
                parse["metadata"] = redact_value(parse["metadata"])
            redacted["parse_data"] = parse
        return redacted
    if kind == "bot" and context.action == STATUS_ACTION:
        metadata = data.get("metadata") or {}
        if not metadata.get("utter_action"):  # domain responses hold no personal data
            blank = {key: None for key in data.get("data") or {}}
            return {**data, "text": STATUS_PLACEHOLDER, "data": blank, "metadata": {}}
    return {
        key: (item if key in ("event", "timestamp", "name") else redact_value(item))
        for key, item in data.items()
    }


def redact_events(
    events: list[dict[str, Any]], start: int = 0, slot_value: Any = None
) -> list[dict[str, Any]]:
    """`events[start:]` redacted, each in the context of all events before it."""
    contexts = event_contexts(events)
    return [
        redact_event(events[i], contexts[i], slot_value=slot_value)
        for i in range(start, len(events))
    ]


def deletion_confirmed(events: list[dict[str, Any]], start: int = 0) -> bool:
    """True when `events[start:]` hold a completed "delete my data": action_delete_conversation
    ran and sent its confirmation (a failed action sends none, and nothing is deleted)."""
    contexts = event_contexts(events)
    return any(
        data.get("event") == "bot"
        and contexts[i].action == DELETE_ACTION
        and (data.get("metadata") or {}).get("utter_action") == DELETED_RESPONSE
        for i, data in enumerate(events)
        if i >= start
    )
