"""SQL tracker store that never writes an application access code, and forgets on request.

Conversations are kept in SQL so that a restart loses none. Before events are written to the
database or published to an event broker, they are redacted (bot/redaction.py):

- a user message answering the form's access-code question: the whole text and every entity;
- an access code typed anywhere else, in any accepted format (with or without digits after a
  code keyword, with spaces or dashes, in any case, a 6-character token with a digit, a token in
  capitals that is no word): replaced by a placeholder, in the text, the entities and slot values;
- the access_code slot: stored as unset (a reloaded conversation asks for the code again);
- the status answer (the free-text message of action_application_status, which Rasa logs after
  that action's ActionExecuted): "[Statusauskunft entfernt]".

"Meine Daten löschen": when a saved turn holds action_delete_conversation and its confirmation
(utter_data_deleted), every stored event of the sender id is deleted and nothing of that turn is
written or published, so the next message starts a new conversation.

Deleted data leaves the files: on SQLite every connection sets `secure_delete` (deleted content
is overwritten with zeros) and a deletion ends with a WAL checkpoint that truncates the WAL file.
On PostgreSQL a DELETE only marks rows dead: the bytes stay in the table's files until VACUUM
reuses the space and in the WAL until its segments are recycled; `VACUUM FULL events` (or
pg_repack) rewrites the table without them. bot.retention runs VACUUM after deleting; plan
VACUUM FULL and WAL/backup retention to match the promised deletion period.

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
import logging
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from bot.redaction import PLACEHOLDER, deletion_confirmed, redact_events

__all__ = ["PLACEHOLDER", "RedactingSQLTrackerStore"]

log = logging.getLogger(__name__)

STORED = "_stadtlotse_stored_events"  # attribute on a tracker: how many of its events are stored


def sqlite_pragmas(engine: sa.engine.Engine) -> None:
    """WAL, synchronous=NORMAL and secure_delete on every new SQLite connection."""

    @sa.event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA secure_delete=ON")  # deleted content is overwritten with zeros
        cursor.close()


def truncate_wal(connection: Any) -> None:
    """Copy the WAL into the database file and empty it (SQLite; old page versions holding
    deleted rows live in the WAL until then). A reader in progress may keep some frames: they
    are overwritten by later writes."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _serialised(tracker: DialogueStateTracker, first: int) -> list[dict[str, Any]]:
    """The tracker's events as dicts: the unsaved ones (from `first`) in full, the stored ones
    only as far as redaction needs them (which form question, which action)."""
    events: list[dict[str, Any]] = []
    for index, event in enumerate(tracker.events):
        if index >= first:
            events.append(event.as_dict())
        elif isinstance(event, SlotSet):
            events.append({"event": event.type_name, "name": event.key, "value": event.value})
        elif isinstance(event, ActionExecuted):
            events.append({"event": event.type_name, "name": event.action_name})
        else:
            events.append({"event": event.type_name})
    return events


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
        sqlite_pragmas(self.engine)
        self.sessionmaker = sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            setattr(tracker, STORED, len(tracker.events))
        return tracker

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publish the tracker's unsaved events, redacted (save() publishes what it writes)."""
        with self.session_scope() as session:
            first = self._first_unsaved(session, tracker)
        self._publish(tracker.sender_id, redact_events(_serialised(tracker, first), first))

    def _first_unsaved(self, session: Any, tracker: DialogueStateTracker) -> int:
        stored = getattr(tracker, STORED, None)
        if stored is None:  # not read through this store: ask the database
            unsaved = len(list(self._additional_events(session, tracker)))
            return len(tracker.events) - unsaved
        return stored

    def _publish(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        if self.event_broker is None:
            return
        for data in events:
            self.event_broker.publish({"sender_id": sender_id, **data})

    async def save(self, tracker: DialogueStateTracker) -> None:
        offset = len(tracker.events)
        with self.session_scope() as session:
            first = self._first_unsaved(session, tracker)
            events = _serialised(tracker, first)
            if deletion_confirmed(events, first):
                self._delete_conversation(session, tracker.sender_id)
                setattr(tracker, STORED, offset)
                return
            redacted = redact_events(events, first)
            for data in redacted:
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=data.get("event"),
                        timestamp=data.get("timestamp"),
                        intent_name=((data.get("parse_data") or {}).get("intent") or {}).get(
                            "name"
                        ),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
        self._publish(tracker.sender_id, redacted)
        setattr(tracker, STORED, offset)

    def _delete_conversation(self, session: Any, sender_id: str) -> None:
        deleted = (
            session.query(self.SQLEvent)
            .filter(self.SQLEvent.sender_id == sender_id)
            .delete(synchronize_session=False)
        )
        session.commit()
        with self.engine.connect() as connection:
            truncate_wal(connection)
        log.info("conversation deleted on request (%d events)", deleted)
