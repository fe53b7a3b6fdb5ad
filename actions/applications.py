"""Application status: a form asks for number and access code; the code is never echoed or kept.

Issued access codes are 6 characters A-Z/0-9, letters only or not (new codes come from
ABCDEFGHJKLMNPQRSTUVWXYZ23456789: about one in six has no digit). Citizens type them in any case,
with spaces or dashes inside, after a keyword ("Der Code ist …") or inside a longer message
("Status DU-2026-004711, Code k7m 2q9"); bot.redaction finds the same formats so that none is
stored or logged.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.http import ApiError
from actions.common import DataAction, applications_client, unavailable_response
from bot.redaction import codes_in
from bot.settings import get_settings

NUMBER = re.compile(r"\b([A-Z]{2})\s*-?\s*(\d{4})\s*-?\s*(\d{6})\b")
CODE = re.compile(r"^[A-Z0-9]{6}$")
# "Der Code ist", "Mein Zugangscode lautet:", "PIN =" … before the code itself.
CODE_PREFIX = re.compile(
    r"^(?:(?:der|die|das|mein|meine|ihr|ihre|hier)\s+)*"
    r"(?:\w*code|pin|passwort|kennwort|tan)\b\s*(?:ist|lautet|heißt|heisst|war)?\s*[:=]?\s*",
    re.IGNORECASE,
)
SEPARATORS = re.compile(r"[\s\-‐‑‒–—−]")
STATUS_EMOJI = {
    "eingegangen": "📥",
    "in_bearbeitung": "⏳",
    "nachforderung": "📄",
    "genehmigt": "✅",
    "abgelehnt": "❌",
    "abgeschlossen": "✔️",
}


def normalise_number(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    found = NUMBER.search(text.upper())
    return "-".join(found.groups()) if found else None


def normalise_code(text: Any) -> str | None:
    """The access code in an answer: the whole answer ("k7m 2q9", "Code: KMXQRT") or the one
    code found in a longer message; None when there is none, or more than one."""
    if not isinstance(text, str):
        return None
    text = unicodedata.normalize("NFKC", text).strip()
    answer = CODE_PREFIX.sub("", text).strip(" .,;:!?\"'„“”‚‘’»«")
    candidate = SEPARATORS.sub("", answer).upper()
    if CODE.fullmatch(candidate):
        return candidate
    found = {code for code in codes_in(text, context=True) if CODE.fullmatch(code)}
    return found.pop() if len(found) == 1 else None


def client_key(sender_id: str) -> str:
    """An opaque per-conversation key for the API's per-client throttling."""
    salt = get_settings().client_key_salt.encode()
    return hashlib.sha256(salt + sender_id.encode()).hexdigest()[:32]


class ValidateApplicationStatusForm(FormValidationAction):
    def name(self) -> str:
        return "validate_application_status_form"

    async def validate_application_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = normalise_number(value)
        if number is None and tracker.get_slot("requested_slot") == "access_code":
            # The NLU may take a code for a number ("Mein Zugangscode lautet p4x-8N2"): the
            # answer to the code question keeps the number already given.
            given = [
                normalise_number(event.get("value"))
                for event in tracker.events
                if event.get("event") == "slot" and event.get("name") == "application_number"
            ]
            number = next((n for n in reversed(given) if n), None)
            if number:
                return {"application_number": number}
        if number is None:
            dispatcher.utter_message(response="utter_invalid_application_number")
        return {"application_number": number}

    async def validate_access_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # A code typed with spaces may reach the slot only in part (an entity "2q9" out of
        # "Code k7m 2q9"): the whole message decides then.
        code = normalise_code(value) or normalise_code(tracker.latest_message.get("text"))
        if code is None:
            dispatcher.utter_message(response="utter_invalid_access_code")
        return {"access_code": code}


class ActionApplicationStatus(DataAction):
    def name(self) -> str:
        return "action_application_status"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        number = tracker.get_slot("application_number")
        code = tracker.get_slot("access_code")
        # The code is used once and forgotten, whatever the outcome.
        cleared: list[EventType] = [
            SlotSet("access_code", None),
            SlotSet("application_number", None),
        ]
        if not number or not code:
            dispatcher.utter_message(response="utter_application_not_found")
            return cleared
        try:
            status = await applications_client().status(number, code, client_key(tracker.sender_id))
        except ApiError as error:
            if error.kind == "throttled":
                dispatcher.utter_message(response="utter_application_throttled")
            elif error.kind == "rejected":
                dispatcher.utter_message(response="utter_application_not_found")
            else:
                dispatcher.utter_message(response=unavailable_response(error))
            return cleared
        if status is None:
            dispatcher.utter_message(response="utter_application_not_found")
            return cleared
        emoji = STATUS_EMOJI.get(status.status, "ℹ️")
        lines = [f"{emoji} Vorgang {status.number} ({status.service}): {status.status_text}"]
        if status.last_step:
            when = f" ({status.last_step_date})" if status.last_step_date else ""
            lines.append(f"Letzter Schritt{when}: {status.last_step}")
        if status.next_step:
            lines.append(f"Nächster Schritt: {status.next_step}")
        if status.office:
            phone = f", Tel. {status.office_phone}" if status.office_phone else ""
            lines.append(f"Zuständig: {status.office}{phone}")
        dispatcher.utter_message(text="\n".join(lines))
        return cleared
