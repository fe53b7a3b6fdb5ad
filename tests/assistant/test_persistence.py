"""Conversations live in the SQL tracker store: a restarted Rasa continues them; what is
deleted (on request or by retention) is gone from the database files."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from rasa.shared.core.events import ActionExecuted, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

from bot.launcher import RASA
from bot.tracker_store import RedactingSQLTrackerStore
from tests.assistant.conftest import ROOT, Stack, free_port, wait_for


def test_a_restarted_server_continues_the_conversation(stack: Stack, trained_model: Path) -> None:
    sender = f"restart-{uuid.uuid4().hex[:8]}"
    assert "Parkhaus Forum" in stack.say(sender, "Wie viele Plätze sind im Forum frei?")[0]["text"]
    port = str(free_port())
    env = {**stack.env, "RASA_PORT": port, "TELEGRAM_TOKEN": ""}
    second = subprocess.Popen(
        [*RASA, "run", "--model", str(trained_model), "--port", port,
         "--credentials", "credentials.yml", "--endpoints", "endpoints.yml"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(f"http://127.0.0.1:{port}/", second)
        replies = httpx.post(
            f"http://127.0.0.1:{port}/webhooks/rest/webhook",
            json={"sender": sender, "message": "Und was kostet das?"},
            timeout=30,
        ).json()
    finally:
        second.terminate()
        second.wait(timeout=30)
    answer = "\n".join(r.get("text", "") for r in replies)
    assert "Parkhaus Forum" in answer and "€" in answer


# --- Deleted data leaves the database files (SQLite: secure_delete, VACUUM, WAL truncation) ------


@pytest.fixture
def secure_delete_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite as most builds ship it: secure_delete off unless a connection turns it on
    (Debian compiles it on, which would hide a missing pragma here)."""
    create_engine = sa.create_engine

    def create_engine_off(*args: Any, **kwargs: Any) -> sa.engine.Engine:
        engine = create_engine(*args, **kwargs)
        if engine.dialect.name == "sqlite":

            def off(connection: Any, _record: Any) -> None:
                connection.execute("PRAGMA secure_delete=OFF")

            sa.event.listen(engine, "connect", off, insert=True)  # before the code's own
        return engine

    monkeypatch.setattr(sa, "create_engine", create_engine_off)


def raw_bytes(database: Path) -> bytes:
    """The database file and its WAL, as they are on disk."""
    wal = database.with_name(database.name + "-wal")
    return database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def marked_conversation(sender: str, marker: str, days_ago: float = 0) -> DialogueStateTracker:
    """A conversation whose messages carry `marker` (a text nobody else writes)."""
    from tests.assistant.test_tracker_store import DOMAIN, bot, user

    events = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        user(f"Wo parke ich am {marker}?", "parking_free_spaces"),
        ActionExecuted("action_parking_free_spaces"),
        bot(f"Am {marker} ist viel frei."),
        ActionExecuted("action_listen"),
    ]
    stamp = time.time() - days_ago * 86400
    for offset, event in enumerate(events):
        event.timestamp = stamp + offset / 1000
    return DialogueStateTracker.from_events(sender, events, DOMAIN.slots)


@pytest.mark.usefixtures("secure_delete_off_by_default")
def test_a_deleted_conversation_is_gone_from_the_sqlite_files(tmp_path: Path) -> None:
    from tests.assistant.test_tracker_store import DOMAIN, deletion_turn

    database = tmp_path / "tracker.sqlite"
    store = RedactingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(database))
    try:
        marker = f"Marker{uuid.uuid4().hex}"
        keep = f"Marker{uuid.uuid4().hex}"
        asyncio.run(store.save(marked_conversation("keep", keep)))
        tracker = marked_conversation("forget", marker)
        asyncio.run(store.save(tracker))
        assert marker.encode() in raw_bytes(database)  # the check can see it
        for event in [e for turn in deletion_turn() for e in turn]:
            tracker.update(event)
        asyncio.run(store.save(tracker))
        assert marker.encode() not in raw_bytes(database)
        assert keep.encode() in raw_bytes(database)
    finally:
        store.engine.dispose()


@pytest.mark.usefixtures("secure_delete_off_by_default")
def test_retention_leaves_nothing_in_the_sqlite_files(tmp_path: Path) -> None:
    """Old conversations and feedback are gone from the files, not only from query results;
    a plain DELETE (what retention did before) leaves them readable in the file."""
    from actions.conversation import feedback_table, metadata
    from bot.retention import purge
    from tests.assistant.test_tracker_store import DOMAIN

    old, recent = f"Marker{uuid.uuid4().hex}", f"Marker{uuid.uuid4().hex}"
    tracker_db, feedback_db = tmp_path / "tracker.sqlite", tmp_path / "feedback.sqlite"
    store = RedactingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tracker_db))
    asyncio.run(store.save(marked_conversation("old", old, days_ago=40)))
    asyncio.run(store.save(marked_conversation("recent", recent)))
    store.engine.dispose()
    feedback = sa.create_engine(f"sqlite:///{feedback_db}")
    metadata.create_all(feedback)
    with feedback.begin() as conn:
        for text, created in ((old, datetime(2020, 1, 1)), (recent, datetime.now())):
            conn.execute(
                feedback_table.insert().values(
                    created_at=created, conversation="x", rating="positive", answer=text
                )
            )
    feedback.dispose()

    plain = tmp_path / "plain.sqlite"  # the same data, deleted without secure_delete
    shutil.copy(feedback_db, plain)
    with sqlite3.connect(plain) as conn:
        conn.execute("PRAGMA secure_delete=OFF")
        conn.execute("DELETE FROM feedback WHERE answer = ?", (old,))
    assert old.encode() in plain.read_bytes()

    assert purge(f"sqlite:///{tracker_db}", f"sqlite:///{feedback_db}", 30, 365) == (7, 1)
    for database in (tracker_db, feedback_db):
        assert old.encode() not in raw_bytes(database)
        assert recent.encode() in raw_bytes(database)


def test_retention_on_postgresql_deletes_and_vacuums() -> None:
    """On PostgreSQL the job deletes and runs VACUUM (the bytes leave the files only with
    VACUUM FULL, see bot/retention.py)."""
    from bot.retention import purge
    from tests.assistant.test_tracker_store import DOMAIN

    url = "postgresql://postgres@127.0.0.1:5432/test"
    store = RedactingSQLTrackerStore(
        domain=DOMAIN, dialect="postgresql", host="127.0.0.1", port="5432", db="test",
        username="postgres",
    )  # fmt: skip
    sender = f"old-{uuid.uuid4().hex[:8]}"
    try:
        asyncio.run(store.save(marked_conversation(sender, "Marker", days_ago=400)))
        feedback = f"sqlite:///{ROOT / 'var' / 'nonexistent-feedback.sqlite'}"
        events, _ = purge(url, feedback, 30, 365)
        assert events >= 7
        with store.engine.connect() as conn:
            left = conn.execute(
                sa.text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}
            ).scalar()
            vacuumed = conn.execute(
                sa.text("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'events'")
            ).scalar()
        assert left == 0 and vacuumed is not None
    finally:
        store.engine.dispose()
