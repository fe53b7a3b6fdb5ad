"""SQL tracker store that never writes an application access code to the database.

Conversations are kept in SQL so that a restart loses none. The status form asks for an access
code; before events are written, the answer to that question, any access_code entity and the
access_code slot are replaced by a placeholder, and so is any code-shaped token in user text.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

PLACEHOLDER = "[Zugangscode entfernt]"
CODE_LIKE = re.compile(r"\b(?=[A-Za-z0-9]{0,5}\d)(?=[A-Za-z0-9]{0,5}[A-Za-z])[A-Za-z0-9]{6}\b")


def _answers_to_code_question(tracker: DialogueStateTracker) -> set[int]:
    """Indexes of user events that answered the form's access-code question."""
    answered: set[int] = set()
    requested = None
    for index, event in enumerate(tracker.events):
        if event.type_name == "slot" and getattr(event, "key", None) == "requested_slot":
            requested = event.value
        elif event.type_name == "user" and requested == "access_code":
            answered.add(index)
    return answered


def redact_text(text: str | None, whole: bool) -> str | None:
    if text is None:
        return None
    return PLACEHOLDER if whole else CODE_LIKE.sub(PLACEHOLDER, text)


def redact_event(data: dict[str, Any], whole: bool) -> dict[str, Any]:
    kind = data.get("event")
    if kind == "slot" and data.get("name") == "access_code" and data.get("value") is not None:
        # Stored as unset: a reloaded conversation asks for the code again instead of reusing it.
        return {**data, "value": None}
    if kind != "user":
        return data
    data = {**data, "text": redact_text(data.get("text"), whole)}
    parse = dict(data.get("parse_data") or {})
    if parse:
        parse["text"] = redact_text(parse.get("text"), whole)
        parse["entities"] = [
            {**e, "value": PLACEHOLDER} if e.get("entity") == "access_code" else e
            for e in parse.get("entities") or []
        ]
        data["parse_data"] = parse
    return data


class RedactingSQLTrackerStore(SQLTrackerStore):
    def __init__(
        self, domain: Any = None, host: Any = None, port: Any = None, **kwargs: Any
    ) -> None:
        # Rasa passes ${VAR} values as strings; an empty one means "not set".
        kwargs = {k: (v if v not in ("", None) else None) for k, v in kwargs.items()}
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        super().__init__(
            domain=domain, host=host or None, port=int(port) if port else None, **kwargs
        )

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        answered = _answers_to_code_question(tracker)
        offset = len(tracker.events)
        with self.session_scope() as session:
            events = list(self._additional_events(session, tracker))
            first_index = offset - len(events)
            for position, event in enumerate(events):
                data = redact_event(event.as_dict(), whole=(first_index + position) in answered)
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
