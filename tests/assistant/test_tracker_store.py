"""The SQL tracker store on SQLite (the default) and on PostgreSQL (production), without the stack.

Every event is written exactly once however often a conversation is saved, whether the tracker
was read through the store or built elsewhere; access codes never reach the database.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import PLACEHOLDER, RedactingSQLTrackerStore
from tests.assistant.conftest import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RedactingSQLTrackerStore]:
    if request.param == "sqlite":
        options = {"dialect": "sqlite", "db": str(tmp_path / "tracker.sqlite")}
    else:
        options = {
            "dialect": "postgresql",
            "host": "127.0.0.1",
            "port": "5432",
            "db": "test",
            "username": "postgres",
        }
    store = RedactingSQLTrackerStore(domain=DOMAIN, **options)
    yield store
    store.engine.dispose()


def stored_rows(store: RedactingSQLTrackerStore, sender: str) -> list[dict]:
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
        )
        return [json.loads(data) for (data,) in rows]


def run(coroutine):
    return asyncio.run(coroutine)


def test_each_event_is_written_once_across_saves_and_reads(store: RedactingSQLTrackerStore) -> None:
    sender = f"store-{uuid.uuid4().hex[:8]}"
    tracker = DialogueStateTracker.from_events(
        sender, [ActionExecuted("action_session_start"), SessionStarted()], DOMAIN.slots
    )
    run(store.save(tracker))  # built elsewhere: the store asks the database what is stored
    tracker.update(UserUttered("Hallo", {"name": "greet", "confidence": 1.0}))
    run(store.save(tracker))
    run(store.save(tracker))  # nothing new: nothing written
    assert [row["event"] for row in stored_rows(store, sender)] == [
        "action",
        "session_started",
        "user",
    ]

    again = run(store.retrieve(sender))  # the latest session: from SessionStarted on
    assert again is not None
    assert [event.type_name for event in again.events] == ["session_started", "user"]
    again.update(ActionExecuted("utter_greet"))
    again.update(ActionExecuted("action_listen"))
    run(store.save(again))
    rows = stored_rows(store, sender)
    assert [row.get("name") for row in rows[3:]] == ["utter_greet", "action_listen"]
    assert len(rows) == 5
    assert run(store.retrieve(sender)).latest_action_name == "action_listen"


def test_access_codes_never_reach_the_database(store: RedactingSQLTrackerStore) -> None:
    sender = f"store-{uuid.uuid4().hex[:8]}"
    tracker = DialogueStateTracker.from_events(sender, [SessionStarted()], DOMAIN.slots)
    run(store.save(tracker))
    tracker = run(store.retrieve(sender))
    tracker.update(SlotSet("requested_slot", "access_code"))
    tracker.update(UserUttered("k7m2qp", {"name": "inform", "confidence": 1.0}))
    tracker.update(SlotSet("access_code", "K7M2QP"))
    run(store.save(tracker))
    data = json.dumps(stored_rows(store, sender))
    assert "K7M2QP" not in data.upper()
    assert PLACEHOLDER in data
    reloaded = run(store.retrieve(sender))
    assert reloaded.get_slot("access_code") is None
