"""The SQL tracker store on SQLite (the default) and on PostgreSQL (production), without the stack.

Every event is written exactly once however often a conversation is saved, whether the tracker
was read through the store or built elsewhere; access codes never reach the database nor the
event broker (a real RabbitMQ), the status answer is stored as a placeholder, and a confirmed
"Meine Daten löschen" deletes the whole conversation.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.redaction import PLACEHOLDER, STATUS_PLACEHOLDER
from bot.tracker_store import RedactingSQLTrackerStore
from tests.assistant.conftest import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml"))
STATUS_TEXT = (
    "⏳ Vorgang DU-2026-004711 (Bewohnerparkausweis): Ihr Antrag wird bearbeitet.\n"
    "Zuständig: Beratungsstelle Planen, Bauen und Verkehr, Tel. 0203 94000"
)


def _issuer() -> Any:
    """opendata/applications/codes.py, which issues the codes (stdlib only; loaded by path
    because its package needs the open-data server's environment)."""
    spec = importlib.util.spec_from_file_location(
        "stadtlotse_issued_codes", ROOT / "opendata" / "applications" / "codes.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ISSUER = _issuer()


def new_code(letters_only: bool = False) -> str:
    """A code as the issuer's new_code() makes it; `letters_only`: one of the sixth without a
    digit."""
    while True:
        code = ISSUER.new_code()
        if not letters_only or code.isalpha():
            return code


def typed_forms(code: str) -> list[str]:
    """How citizens type a code: as issued, lower case, split by a space, a dash, or spelled."""
    return [code, code.lower(), f"{code[:3]} {code[3:]}", f"{code[:3]}-{code[3:]}".lower(),
            " ".join(code)]  # fmt: skip


def user(text: str, intent: str = "inform", entities: list[dict] | None = None) -> UserUttered:
    return UserUttered(
        text,
        {"name": intent, "confidence": 1.0},
        entities or [],
        parse_data={
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": entities or [],
        },
    )


def bot(text: str, response: str | None = None) -> BotUttered:
    return BotUttered(text, metadata={"utter_action": response} if response else {})


def status_conversation(code: str, number: str = "DU-2026-004711") -> list[Event]:
    """A status conversation as Rasa logs it (an action's events after its ActionExecuted); the
    code is typed at the form's question (split by a space), again unprompted with a keyword,
    and as an entity."""
    spaced = f"{code[:3]} {code[3:]}".lower()
    return [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        SlotSet("city_name", "Duisburg"),
        ActionExecuted("action_listen"),
        user("Wie ist der Stand meines Antrags?", "application_status"),
        ActionExecuted("application_status_form"),
        ActiveLoop("application_status_form"),
        SlotSet("requested_slot", "application_number"),
        bot("Wie lautet Ihre Vorgangsnummer?", "utter_ask_application_number"),
        ActionExecuted("action_listen"),
        user(number, entities=[{"entity": "application_number", "value": number}]),
        SlotSet("application_number", number),
        ActionExecuted("application_status_form"),
        SlotSet("application_number", number),
        SlotSet("requested_slot", "access_code"),
        bot("Bitte geben Sie den Zugangscode ein.", "utter_ask_access_code"),
        ActionExecuted("action_listen"),
        user(spaced, entities=[{"entity": "access_code", "value": spaced[4:]}]),
        SlotSet("access_code", spaced),
        ActionExecuted("application_status_form"),
        SlotSet("access_code", code),
        SlotSet("requested_slot", None),
        ActiveLoop(None),
        ActionExecuted("action_application_status"),
        bot(STATUS_TEXT),
        SlotSet("access_code", None),
        SlotSet("application_number", None),
        ActionExecuted("action_listen"),
        user(f"Danke! Mein Zugangscode {code.lower()} war richtig", "thank"),
        ActionExecuted("utter_thank"),
        bot("Gern geschehen! Kann ich sonst noch helfen?", "utter_thank"),
        ActionExecuted("action_listen"),
    ]


def assert_no_code(text: str, code: str) -> None:
    """None of the code's typed forms, nor the code itself, in `text` (any case, any spacing)."""
    squashed = "".join(ch for ch in text.upper() if ch.isalnum())
    assert code not in squashed, f"{code} found"
    for form in typed_forms(code):
        assert form not in text and form.upper() not in text.upper(), f"{form!r} found"


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


@pytest.mark.parametrize("letters_only", [False, True])
def test_access_codes_never_reach_the_database(
    store: RedactingSQLTrackerStore, letters_only: bool
) -> None:
    sender = f"store-{uuid.uuid4().hex[:8]}"
    code = new_code(letters_only)
    events = status_conversation(code)
    tracker = DialogueStateTracker.from_events(sender, events[:12], DOMAIN.slots)
    run(store.save(tracker))  # saved turn by turn, as Rasa does
    tracker = run(store.retrieve(sender))
    for event in events[12:]:
        tracker.update(event)
    run(store.save(tracker))

    rows = stored_rows(store, sender)
    data = json.dumps(rows, ensure_ascii=False)
    assert_no_code(data, code)
    # The answer to the code question is replaced whole, the entity and the slot go too.
    answer = next(r for r in rows if r["event"] == "user" and r["text"] == PLACEHOLDER)
    assert answer["parse_data"]["text"] == PLACEHOLDER
    assert answer["parse_data"]["entities"][0]["value"] == PLACEHOLDER
    assert all(r["value"] is None for r in rows if r.get("name") == "access_code")
    thanks = next(r for r in rows if r["event"] == "user" and r["text"].startswith("Danke"))
    assert thanks["text"] == f"Danke! Mein Zugangscode {PLACEHOLDER} war richtig"
    # What makes the conversation useful stays: the question, the number, the answers' texts.
    assert "Wie ist der Stand meines Antrags?" in data
    assert "DU-2026-004711" in data
    assert "Gern geschehen! Kann ich sonst noch helfen?" in data
    reloaded = run(store.retrieve(sender))
    assert reloaded.get_slot("access_code") is None


def test_the_status_answer_is_stored_as_a_placeholder(store: RedactingSQLTrackerStore) -> None:
    sender = f"store-{uuid.uuid4().hex[:8]}"
    events = status_conversation(new_code())
    not_found = [
        user("Wie ist der Stand meines Antrags?", "application_status"),
        ActionExecuted("action_application_status"),
        bot(
            "Zu dieser Kombination habe ich keinen Vorgang gefunden.", "utter_application_not_found"
        ),
        ActionExecuted("action_listen"),
    ]
    tracker = DialogueStateTracker.from_events(sender, events + not_found, DOMAIN.slots)
    run(store.save(tracker))
    rows = stored_rows(store, sender)
    texts = [r["text"] for r in rows if r["event"] == "bot"]
    assert STATUS_PLACEHOLDER in texts
    assert not any("Bewohnerparkausweis" in t or "bearbeitet" in t for t in texts)
    # A domain response of the action holds no personal data and stays readable.
    assert "Zu dieser Kombination habe ich keinen Vorgang gefunden." in texts
    # Other bot messages are untouched.
    assert "Wie lautet Ihre Vorgangsnummer?" in texts


def deletion_turn() -> tuple[list[Event], list[Event]]:
    """ "Meine Daten löschen" (asks first) and "Ja" (the action confirms)."""
    return [
        user("Meine Daten löschen", "delete_my_data"),
        ActionExecuted("utter_confirm_delete_data"),
        bot("Soll ich dieses Gespräch löschen?", "utter_confirm_delete_data"),
        ActionExecuted("action_listen"),
    ], [
        user("Ja", "affirm"),
        ActionExecuted("action_delete_conversation"),
        bot("Erledigt: Ich habe dieses Gespräch gelöscht.", "utter_data_deleted"),
        ActionExecuted("action_listen"),
    ]


def test_a_confirmed_deletion_removes_the_whole_conversation(
    store: RedactingSQLTrackerStore,
) -> None:
    sender, other = (f"store-{uuid.uuid4().hex[:8]}" for _ in range(2))
    asking, confirmed = deletion_turn()
    for who in (sender, other):
        run(store.save(DialogueStateTracker.from_events(who, status_conversation(new_code()), DOMAIN.slots)))  # fmt: skip
    tracker = run(store.retrieve(sender))
    tracker.update(SessionStarted())  # an earlier session is deleted too
    for event in asking:
        tracker.update(event)
    run(store.save(tracker))
    assert stored_rows(store, sender)[-4]["text"] == "Meine Daten löschen"

    tracker = run(store.retrieve(sender))
    for event in confirmed:
        tracker.update(event)
    run(store.save(tracker))
    assert stored_rows(store, sender) == []  # nothing of the turn either
    assert run(store.retrieve(sender)) is None  # the next message starts a new conversation
    assert len(stored_rows(store, other)) == len(status_conversation("X"))


def test_without_the_confirmation_nothing_is_deleted(store: RedactingSQLTrackerStore) -> None:
    """The action failed (no utter_data_deleted): the citizen was not told it is gone, so it
    is not."""
    sender = f"store-{uuid.uuid4().hex[:8]}"
    events = [*status_conversation(new_code()), *deletion_turn()[0]]
    run(store.save(DialogueStateTracker.from_events(sender, events, DOMAIN.slots)))
    tracker = run(store.retrieve(sender))
    for event in [
        user("Ja", "affirm"),
        ActionExecuted("action_delete_conversation"),
        bot("Da ist etwas schiefgelaufen.", "utter_internal_error"),
        ActionExecuted("action_listen"),
    ]:
        tracker.update(event)
    run(store.save(tracker))
    assert len(stored_rows(store, sender)) == len(events) + 4


# --- The event broker: a real RabbitMQ (127.0.0.1:5672, guest/guest) ----------------------------

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/"


def broker_endpoints(directory: Path, queue: str, exchange: str) -> Path:
    """An endpoints file with a pika event broker (the assistant's endpoints.yml has none)."""
    path = directory / "endpoints.yml"
    path.write_text(
        "event_broker:\n"
        "  type: pika\n"
        "  url: 127.0.0.1\n"
        "  port: 5672\n"
        "  username: guest\n"
        "  password: guest\n"
        f"  exchange_name: {exchange}\n"
        f"  queues:\n    - {queue}\n"
    )
    return path


async def drain_queue(queue: str, expected: int | None = None, wait: float = 10) -> list[dict]:
    """Every message in `queue` (waits until `expected` arrived, or a quiet second)."""
    import aio_pika

    connection = await aio_pika.connect_robust(RABBITMQ)
    messages: list[dict] = []
    try:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, durable=True, passive=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        quiet_since = loop.time()
        while loop.time() < deadline:
            message = await declared.get(no_ack=True, fail=False)
            if message is None:
                if expected is None and loop.time() - quiet_since > 1:
                    break
                if expected is not None and len(messages) >= expected:
                    break
                await asyncio.sleep(0.1)
                continue
            quiet_since = loop.time()
            messages.append(json.loads(message.body))
    finally:
        await connection.close()
    return messages


async def delete_queue(queue: str, exchange: str) -> None:
    import aio_pika

    connection = await aio_pika.connect_robust(RABBITMQ)
    try:
        channel = await connection.channel()
        await channel.queue_delete(queue)
        await channel.exchange_delete(exchange)
    finally:
        await connection.close()


async def test_the_event_broker_gets_redacted_events(tmp_path: Path) -> None:
    from rasa.core.brokers.broker import EventBroker
    from rasa.utils.endpoints import read_endpoint_config

    name = f"stadtlotse-test-{uuid.uuid4().hex[:8]}"
    endpoints = broker_endpoints(tmp_path, queue=name, exchange=name)
    broker = await EventBroker.create(read_endpoint_config(str(endpoints), "event_broker"))
    assert type(broker).__name__ == "PikaEventBroker"
    store = RedactingSQLTrackerStore(
        domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.sqlite"), event_broker=broker
    )
    try:
        sender = f"broker-{uuid.uuid4().hex[:8]}"
        code = new_code(letters_only=True)
        events = status_conversation(code)
        tracker = DialogueStateTracker.from_events(sender, events, DOMAIN.slots)
        await store.save(tracker)
        published = await drain_queue(name, expected=len(events))
        assert len(published) == len(events)
        assert all(message["sender_id"] == sender for message in published)
        body = json.dumps(published, ensure_ascii=False)
        assert_no_code(body, code)
        assert STATUS_PLACEHOLDER in body and "Bewohnerparkausweis" not in body
        assert "Wie ist der Stand meines Antrags?" in body  # still useful downstream
        without_sender = [{k: v for k, v in m.items() if k != "sender_id"} for m in published]
        assert without_sender == stored_rows(store, sender)  # the same redacted events

        # A confirmed deletion publishes nothing of its turn.
        for event in [e for turn in deletion_turn() for e in turn]:
            tracker.update(event)
        await store.save(tracker)
        assert await drain_queue(name, wait=2) == []
        assert stored_rows(store, sender) == []
    finally:
        await broker.close()
        await delete_queue(name, name)
        store.engine.dispose()
