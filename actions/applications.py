"""Application status: a form asks for number and access code; the code is never echoed or kept."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.http import ApiError
from actions.common import DataAction, applications_client, unavailable_response
from bot.settings import get_settings

NUMBER = re.compile(r"\b([A-Z]{2})\s*-?\s*(\d{4})\s*-?\s*(\d{6})\b")
CODE = re.compile(r"^(?=.*\d)(?=.*[A-Z])[A-Z0-9]{6}$")
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
    if not isinstance(text, str):
        return None
    candidate = re.sub(r"[\s-]", "", text.upper())
    candidate = re.sub(r"^(DERCODEIST|CODE:?|ZUGANGSCODE:?)", "", candidate)
    return candidate if CODE.match(candidate) else None


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
        if number is None:
            dispatcher.utter_message(response="utter_invalid_application_number")
        return {"application_number": number}

    async def validate_access_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = normalise_code(value)
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
