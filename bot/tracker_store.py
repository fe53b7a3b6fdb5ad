"""SQL tracker store that never writes an application access code to the database.

Conversations are kept in SQL so that a restart loses none. The status form asks for an access
code; before events are written, the answer to that question, any access_code entity and the
access_code slot are replaced by a placeholder, and so is any code-shaped token in user text.

Two costs of Rasa's SQL store are avoided (measured with bench/assistant.py):
- Rasa counts a conversation's stored events with a query before every save. A tracker read
  from this store remembers how many of its events are stored, so only the new ones are written
  (Rasa's lock store keeps one message of a conversation in flight, so the number stays true).
- SQLAlchemy 1.4 opens a new SQLite connection for every session; on SQLite this store keeps a
  pool of connections and uses WAL with synchronous=NORMAL: an application crash loses nothing,
  a power cut may lose the last commits, the database stays intact.
"""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

PLACEHOLDER = "[Zugangscode entfernt]"
STORED = "_stadtlotse_stored_events"  # attribute on a tracker: how many of its events are stored
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
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, ""):
            self._pool_sqlite_connections()

    def _pool_sqlite_connections(self) -> None:
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url, poolclass=QueuePool, connect_args={"check_same_thread": False}
        )

        @sa.event.listens_for(self.engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        self.sessionmaker = sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            setattr(tracker, STORED, len(tracker.events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        answered = _answers_to_code_question(tracker)
        offset = len(tracker.events)
        with self.session_scope() as session:
            stored = getattr(tracker, STORED, None)
            if stored is None:  # not read through this store: ask the database
                events = list(self._additional_events(session, tracker))
            else:
                events = list(tracker.events)[stored:]
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
        setattr(tracker, STORED, offset)
