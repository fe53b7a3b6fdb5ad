"""Custom actions called directly (tracker + CollectingDispatcher) against real HTTP sources:
the embedded open-data server, and sources that are down, slow or return garbage."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions.applications import (
    ActionApplicationStatus,
    ValidateApplicationStatusForm,
    normalise_code,
    normalise_number,
)
from actions.aspects import ActionAnswerAspect
from actions.opendata import ActionDatasetSearch, ActionPopulation
from actions.parking import ActionParkingFreeSpaces, ActionParkingMostSpace
from actions.services import ActionServiceInfo
from actions.transit import ActionNextDepartures
from bot import settings as bot_settings
from tests.assistant.failing_server import failing_server
from tests.assistant.test_tracker_store import new_code, typed_forms


def use_sources(monkeypatch: pytest.MonkeyPatch, base_url: str, **env: str) -> None:
    """Point every client at `base_url` (fresh clients, fresh settings)."""
    monkeypatch.setenv("OPENDATA_URL", base_url)
    for key in ("CKAN_URL", "PARKAPI_URL", "EFA_URL", "ZUFI_URL", "APPLICATIONS_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    bot_settings.get_settings.cache_clear()
    for factory in (
        common.parking_client,
        common.transit_client,
        common.ckan_client,
        common.services_client,
        common.applications_client,
    ):
        factory.cache_clear()


@pytest.fixture
def embedded(
    monkeypatch: pytest.MonkeyPatch, opendata_url: str, stack_env: dict[str, str]
) -> Iterator[None]:
    use_sources(monkeypatch, opendata_url, STADTLOTSE_CLOCK=stack_env["STADTLOTSE_CLOCK"])
    yield
    use_sources(monkeypatch, opendata_url)


def tracker(
    intent: str = "inform",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    text: str = "",
    sender: str = "unit",
    events: list[dict[str, Any]] | None = None,
    ranking: list[dict[str, Any]] | None = None,
) -> Tracker:
    """A tracker as the action server receives it (`ranking`: the NLU's intent ranking)."""
    latest: dict[str, Any] = {
        "intent": {"name": intent, "confidence": 1.0},
        "entities": entities or [],
        "text": text,
    }
    if ranking is not None:
        latest["intent_ranking"] = ranking
    return Tracker(
        sender_id=sender,
        slots=slots or {},
        latest_message=latest,
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def ent(name: str, value: str, role: str | None = None) -> dict[str, Any]:
    return {
        "entity": name,
        "value": value,
        "start": 0,
        "end": len(value),
        **({"role": role} if role else {}),
    }


async def run(action: Any, track: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, track, {})
    return dispatcher.messages, events


def all_text(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


async def test_named_car_park_with_typo_and_lower_case(embedded: None) -> None:
    messages, events = await run(
        ActionParkingFreeSpaces(), tracker("parking_free_spaces", [ent("car_park", "citypalais")])
    )
    assert "CityPalais" in all_text(messages)
    assert {"event": "slot", "name": "context", "value": "parking"} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]


async def test_car_parks_near_main_station_by_abbreviation(embedded: None) -> None:
    messages, _ = await run(
        ActionParkingFreeSpaces(), tracker("parking_free_spaces", [ent("stop", "HBF Duisburg")])
    )
    text = all_text(messages)
    assert "Parken in der Nähe von" in text
    assert "Quelle:" in text


async def test_most_space_sorted_descending(embedded: None) -> None:
    messages, _ = await run(
        ActionParkingMostSpace(), tracker("parking_most_space", [ent("zone", "Innenstadt")])
    )
    text = all_text(messages)
    assert "Zone City" in text


async def test_cost_of_a_car_park(embedded: None) -> None:
    messages, _ = await run(
        ActionAnswerAspect(), tracker("ask_cost", [ent("car_park", "Königsgalerie")])
    )
    assert "€" in all_text(messages)


async def test_departures_resolve_forgiving_stop_names(embedded: None) -> None:
    messages, _ = await run(
        ActionNextDepartures(),
        tracker("transit_departures", [ent("stop", "koenig heinrich platz")]),
    )
    assert "König-Heinrich-Platz" in all_text(messages)


async def test_departures_unknown_stop_is_said_clearly(embedded: None) -> None:
    messages, _ = await run(
        ActionNextDepartures(), tracker("transit_departures", [ent("stop", "Xylophonweg")])
    )
    assert "finde ich nicht" in all_text(messages)


async def test_service_cost_by_synonym(embedded: None) -> None:
    messages, _ = await run(
        ActionServiceInfo(), tracker("ask_cost", [ent("service", "Anwohnerparkausweis")])
    )
    assert "30,70" in all_text(messages)


async def test_dataset_search_lists_title_format_licence_link(embedded: None) -> None:
    messages, _ = await run(
        ActionDatasetSearch(), tracker("opendata_search", [ent("topic", "Parkhäuser")])
    )
    text = all_text(messages)
    assert "Formate:" in text and "Lizenz:" in text and "/dataset/" in text


async def test_population_of_a_district(embedded: None) -> None:
    messages, _ = await run(
        ActionPopulation(), tracker("population", [ent("district", "Hochfeld")])
    )
    assert "Hochfeld" in all_text(messages) and "Einwohner" in all_text(messages)


async def test_application_status_clears_the_code(embedded: None) -> None:
    track = tracker(
        "inform", slots={"application_number": "DU-2026-000815", "access_code": "B2R6T1"}
    )
    messages, events = await run(ActionApplicationStatus(), track)
    text = all_text(messages)
    assert "DU-2026-000815" in text and "B2R6T1" not in text
    cleared = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert cleared["access_code"] is None and cleared["application_number"] is None


def test_number_and_code_normalisation() -> None:
    assert normalise_number("du 2026 004711") == "DU-2026-004711"
    assert normalise_number("Meine Nummer ist DU-2026-001234.") == "DU-2026-001234"
    assert normalise_number("12345") is None
    assert normalise_code("k7m2q9") == "K7M2Q9"
    assert normalise_code("Der Code ist K7M2Q9") == "K7M2Q9"
    assert normalise_code("ABCDEF") == "ABCDEF"  # issued codes may have no digit
    for not_a_code in ["1234567", "abc", "", "Hallo", "Moment bitte", "Ich weiß es nicht",
                       "Meine Daten löschen", "DU-2026-004711", None]:  # fmt: skip
        assert normalise_code(not_a_code) is None, not_a_code


def test_every_issued_code_is_accepted_as_citizens_type_it() -> None:
    """Codes as opendata.applications.codes.new_code() issues them (about one in six without a
    digit), and the demo codes; in every typed form, alone or after a keyword."""
    codes = [new_code() for _ in range(300)] + [new_code(letters_only=True) for _ in range(100)]
    codes += ["K7M2Q9", "P4X8N2", "B2R6T1", "H5W3Z8", "T9C4L7", "R3D8V5", "234567"]
    for code in codes:
        for typed in [*typed_forms(code), f"Der Code ist {code}", f"Code: {code.lower()}",
                      f"Mein Zugangscode lautet {code[:3]} {code[3:]}.", f" {code} "]:  # fmt: skip
            assert normalise_code(typed) == code, typed


async def test_form_validation_rejects_bad_values() -> None:
    form = ValidateApplicationStatusForm()
    dispatcher = CollectingDispatcher()
    result = await form.validate_access_code("abc", dispatcher, tracker("inform"), {})
    assert result == {"access_code": None}
    assert dispatcher.messages[0]["response"] == "utter_invalid_access_code"


async def test_a_code_taken_for_a_number_keeps_the_number_given() -> None:
    form = ValidateApplicationStatusForm()
    dispatcher = CollectingDispatcher()
    track = tracker("inform", slots={"requested_slot": "access_code"})
    track.events = [
        {"event": "slot", "name": "application_number", "value": "DU-2026-001234"},
        {"event": "slot", "name": "requested_slot", "value": "access_code"},
        {"event": "slot", "name": "application_number", "value": "p4x-8N2"},
    ]
    result = await form.validate_application_number("p4x-8N2", dispatcher, track, {})
    assert result == {"application_number": "DU-2026-001234"} and dispatcher.messages == []


async def test_form_validation_accepts_codes_without_digits_and_from_the_message() -> None:
    form = ValidateApplicationStatusForm()
    code = new_code(letters_only=True)
    dispatcher = CollectingDispatcher()
    result = await form.validate_access_code(code.lower(), dispatcher, tracker("inform"), {})
    assert result == {"access_code": code} and dispatcher.messages == []
    # The slot got only a part of a spaced code (an entity): the whole message decides.
    message = "Status DU-2026-004711 Code k7m 2q9"
    result = await form.validate_access_code(
        "2q9", dispatcher, tracker("application_status", text=message), {}
    )
    assert result == {"access_code": "K7M2Q9"} and dispatcher.messages == []


@pytest.mark.parametrize("path", ["/error", "/garbage", "/truncated", "/slow"])
async def test_failing_source_gives_a_friendly_answer(
    monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    with failing_server() as base:
        use_sources(monkeypatch, base + path, HTTP_TIMEOUT="0.5", HTTP_RETRIES="1")
        started = time.monotonic()
        for action, track in [
            (ActionParkingFreeSpaces(), tracker("parking_free_spaces", [ent("car_park", "Forum")])),
            (ActionNextDepartures(), tracker("transit_departures", [ent("stop", "Duisburg Hbf")])),
            (ActionServiceInfo(), tracker("service_documents", [ent("service", "Reisepass")])),
            (ActionDatasetSearch(), tracker("opendata_search", [ent("topic", "Kitas")])),
        ]:
            messages, events = await run(action, track)
            assert [m["response"] for m in messages] in (
                ["utter_api_unavailable"],
                ["utter_api_slow"],
                ["utter_api_garbage"],
            ), messages
            assert events == []
        assert time.monotonic() - started < 12, "every call is bounded by timeout x attempts"


async def test_dead_source_gives_a_friendly_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    use_sources(monkeypatch, "http://127.0.0.1:9", HTTP_TIMEOUT="0.5", HTTP_RETRIES="1")
    messages, _ = await run(
        ActionParkingFreeSpaces(), tracker("parking_free_spaces", [ent("car_park", "Forum")])
    )
    assert messages[0]["response"] == "utter_api_unavailable"


def test_retention_deletes_only_old_rows(tmp_path: Any) -> None:
    import sqlalchemy as sa

    from bot.retention import purge

    tracker = f"sqlite:///{tmp_path / 't.sqlite'}"
    feedback = f"sqlite:///{tmp_path / 'f.sqlite'}"
    now = time.time()
    with sa.create_engine(tracker).begin() as conn:
        conn.execute(sa.text("CREATE TABLE events (id INTEGER PRIMARY KEY, timestamp FLOAT)"))
        conn.execute(
            sa.text("INSERT INTO events (timestamp) VALUES (:old), (:new)"),
            [{"old": now - 40 * 86400, "new": now}][0],
        )
    with sa.create_engine(feedback).begin() as conn:
        conn.execute(sa.text("CREATE TABLE feedback (id INTEGER PRIMARY KEY, created_at DATETIME)"))
        conn.execute(
            sa.text(
                "INSERT INTO feedback (created_at) VALUES ('2020-01-01 00:00:00'), (CURRENT_TIMESTAMP)"
            )
        )
    assert purge(tracker, feedback, 30, 365) == (1, 1)
    assert purge(tracker, feedback, 30, 365) == (0, 0)
