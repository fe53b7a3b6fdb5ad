"""Application status over HTTP: demo flows, no enumeration, throttling in the DB, bad input.

Every test uses its own `X-Client-Key`, and tests that spend a known number's failure budget give
it back (delete their rows) so that the order of tests does not matter: the pinned clock never
lets a window expire by itself.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import String, Text, delete, func, inspect, select, text
from sqlalchemy.engine import Engine

from opendata.applications import throttle
from opendata.applications.models import Fehlversuch
from tests.opendata.conftest import AUTH, RunningServer, start_server, stop_server

PATH = "/api/v1/antraege/status"
DEMO = {
    "DU-2026-004711": ("K7M2Q9", "in_bearbeitung", "Bewohnerparkausweis"),
    "DU-2026-001234": ("P4X8N2", "nachforderung", "Sondernutzungserlaubnis"),
    "DU-2026-000815": ("B2R6T1", "genehmigt", "Gewerbeanmeldung"),
    "DU-2026-003579": ("H5W3Z8", "abgelehnt", "Halteverbotszone für einen Umzug"),
    "DU-2026-005102": ("T9C4L7", "eingegangen", "Hundesteuer Anmeldung"),
    "DU-2026-000342": ("R3D8V5", "abgeschlossen", "Baugenehmigung"),
}
KEYS = {
    "vorgangsnummer", "leistung", "status", "status_text", "eingang_am", "letzte_aenderung",
    "verlauf", "naechster_schritt", "zustaendige_stelle",
}  # fmt: skip


def ask(http: httpx.Client, number: str, code: str, client: str | None = None) -> httpx.Response:
    headers = {"X-Client-Key": client or uuid.uuid4().hex, **AUTH}
    return http.post(PATH, json={"vorgangsnummer": number, "zugangscode": code}, headers=headers)


@pytest.fixture
def forget(engine: Engine) -> Iterator[list[str]]:
    """Numbers whose failure counters a test resets afterwards."""
    numbers: list[str] = []
    yield numbers
    with engine.begin() as conn:
        for number in numbers:
            digest = throttle.digest("nummer", number)
            conn.execute(delete(Fehlversuch).where(Fehlversuch.nummer_hash == digest))


def failures(engine: Engine, number: str) -> int:
    digest = throttle.digest("nummer", number)
    with engine.connect() as conn:
        return conn.scalar(
            select(func.count()).select_from(Fehlversuch).where(Fehlversuch.nummer_hash == digest)
        )


# --- flows ------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", sorted(DEMO))
def test_status_of_each_demo_application(http: httpx.Client, number: str) -> None:
    code, state, service = DEMO[number]
    response = ask(http, number, code)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == KEYS  # nothing else, in particular nothing about the applicant
    assert body["vorgangsnummer"] == number and body["status"] == state
    assert body["leistung"]["bezeichnung"] == service and len(body["leistung"]["schluessel"]) == 14
    assert body["status_text"]
    assert set(body["zustaendige_stelle"]) == {"name", "telefon", "email"}
    steps = body["verlauf"]
    assert steps and all(set(s) == {"datum", "schritt", "text"} for s in steps)
    dates = [s["datum"] for s in steps]
    assert dates == sorted(dates) and dates[0] == body["eingang_am"]
    assert body["letzte_aenderung"][:10] >= dates[-1]
    assert body["letzte_aenderung"][:10] <= "2026-11-23"  # not in the pinned future
    assert body["letzte_aenderung"][-6:] in {"+01:00", "+02:00"}


def test_specific_demo_details(http: httpx.Client) -> None:
    missing = ask(http, "DU-2026-001234", "P4X8N2").json()
    assert (
        "Lageplan" in missing["verlauf"][-1]["text"] and "Lageplan" in missing["naechster_schritt"]
    )
    parking = ask(http, "DU-2026-004711", "K7M2Q9").json()
    assert parking["leistung"]["schluessel"] == "99108001001000"
    assert parking["zustaendige_stelle"]["name"] == "Beratungsstelle Planen, Bauen und Verkehr"
    approved = ask(http, "DU-2026-000815", "B2R6T1").json()
    assert approved["naechster_schritt"] is None


def test_input_is_normalised(http: httpx.Client) -> None:
    response = ask(http, " du–2026–004711 ", "k7m 2q9")
    assert response.status_code == 200 and response.json()["vorgangsnummer"] == "DU-2026-004711"


def test_wrong_code_and_unknown_number_look_the_same(
    http: httpx.Client, engine: Engine, forget: list[str]
) -> None:
    forget.extend(["DU-2026-004711", "DU-2026-777777"])
    wrong = ask(http, "DU-2026-004711", "AAAAAA")
    unknown = ask(http, "DU-2026-777777", "K7M2Q9")
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.content == unknown.content
    strip = {"date", "content-length"}
    assert {k: v for k, v in wrong.headers.items() if k not in strip} == {
        k: v for k, v in unknown.headers.items() if k not in strip
    }
    assert wrong.json()["fehler"] == "nicht_gefunden"
    assert failures(engine, "DU-2026-004711") == failures(engine, "DU-2026-777777") == 1


def test_timing_does_not_reveal_existence(http: httpx.Client, forget: list[str]) -> None:
    numbers = [f"DU-2026-88880{i}" for i in range(4)]
    forget.extend(["DU-2026-000342", *numbers])
    wrong, unknown = [], []
    for number in numbers:
        for target, code, sink in (
            ("DU-2026-000342", "ZZZZZZ", wrong),
            (number, "R3D8V5", unknown),
        ):
            started = time.perf_counter()
            assert ask(http, target, code).status_code == 404
            sink.append(time.perf_counter() - started)
    # Both run one scrypt verification (~0.1 s); a skipped hash would be ~10x faster.
    fast, slow = sorted([statistics.median(wrong), statistics.median(unknown)])
    assert slow < 3 * fast, (wrong, unknown)


# --- throttling -------------------------------------------------------------------------------


def test_per_number_limit_cannot_be_lifted_by_a_new_client_key(
    http: httpx.Client, engine: Engine, forget: list[str]
) -> None:
    number = "DU-2026-990001"
    forget.append(number)
    for _ in range(5):
        assert ask(http, number, "AAAAAA").status_code == 404  # a new client key every time
    assert failures(engine, number) == 5  # kept in the database
    blocked = ask(http, number, "AAAAAA")
    assert blocked.status_code == 429
    retry = int(blocked.headers["retry-after"])
    assert 0 < retry <= 15 * 60 and blocked.json()["retry_after"] == retry
    assert blocked.json()["fehler"] == "zu_viele_versuche"
    assert failures(engine, number) == 5  # a refused request is not counted


def test_per_client_limit(http: httpx.Client, forget: list[str]) -> None:
    client = f"conversation-{uuid.uuid4().hex}"
    numbers = [f"DU-2026-97{i:04d}" for i in range(21)]
    forget.extend(numbers)
    for number in numbers[:20]:
        assert ask(http, number, "AAAAAA", client).status_code == 404
    blocked = ask(http, numbers[20], "AAAAAA", client)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert ask(http, numbers[20], "AAAAAA").status_code == 404  # another conversation


def test_lockout_applies_to_the_right_code_and_success_keeps_others_failures(
    http: httpx.Client, engine: Engine, forget: list[str]
) -> None:
    number, (code, _, _) = "DU-2026-005102", DEMO["DU-2026-005102"]
    forget.append(number)
    owner, attacker = f"owner-{uuid.uuid4().hex}", f"attacker-{uuid.uuid4().hex}"
    for client in (owner, owner, attacker, attacker):
        assert ask(http, number, "AAAAAA", client).status_code == 404
    assert ask(http, number, code, owner).status_code == 200
    assert failures(engine, number) == 2  # the owner's typos are forgotten, the attacker's not
    for _ in range(3):
        assert ask(http, number, "BBBBBB", attacker).status_code == 404
    assert failures(engine, number) == 5
    locked = ask(http, number, code, owner)
    assert locked.status_code == 429  # even the right code waits: guessing is capped per number


@pytest.mark.slow
def test_counters_survive_a_restart_and_are_shared_by_workers(
    server: RunningServer, http: httpx.Client, forget: list[str]
) -> None:
    number = "DU-2026-990002"
    forget.append(number)
    for _ in range(5):
        assert ask(http, number, "AAAAAA").status_code == 404
    second = start_server(server.database_url)  # a second worker / a restarted server
    try:
        with httpx.Client(base_url=second.base_url, timeout=30) as other:
            assert ask(other, number, "AAAAAA").status_code == 429
    finally:
        stop_server(second)


# --- storage ----------------------------------------------------------------------------------


def test_no_plain_code_anywhere_in_the_database(http: httpx.Client, engine: Engine) -> None:
    assert ask(http, "DU-2026-004711", "K7M2Q9").status_code == 200  # after a successful lookup
    codes = [code for code, _, _ in DEMO.values()]
    inspector = inspect(engine)
    with engine.connect() as conn:
        for table in inspector.get_table_names():
            for column in inspector.get_columns(table):
                if not isinstance(column["type"], (String, Text)):
                    continue
                quoted = engine.dialect.identifier_preparer
                sql = f"SELECT {quoted.quote(column['name'])} FROM {quoted.quote(table)}"
                for (value,) in conn.execute(text(sql)):
                    if isinstance(value, str):
                        assert not any(c in value.upper() for c in codes), (table, column["name"])
        stored = conn.execute(text("SELECT zugangscode_hash FROM applications_antrag")).scalars()
        hashes = list(stored)
    assert len(hashes) == len(DEMO) and all(h.startswith("scrypt$") for h in hashes)
    assert len({h.split("$")[4] for h in hashes}) == len(hashes)  # one salt per record


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b'{"vorgangsnummer": "DU-2026-04711", "zugangscode": "K7M2Q9"}', "vorgangsnummer"),
        (b'{"vorgangsnummer": "DU-2026-004711", "zugangscode": "K7M2"}', "zugangscode"),
        (b'{"vorgangsnummer": "DU-2026-004711"}', "zugangscode"),
        (b'{"vorgangsnummer": 2026004711, "zugangscode": "K7M2Q9"}', "vorgangsnummer"),
        (b'{"vorgangsnummer": "DU-2026-004711", "zugangscode": ["K7M2Q9"]}', "zugangscode"),
        (
            b'{"vorgangsnummer": "DU-2026-004711\' OR 1=1 --", "zugangscode": "K7M2Q9"}',
            "vorgangsnummer",
        ),
        (b'{"vorgangsnummer": "DU-2026-004711\\u0000", "zugangscode": "K7M2Q9"}', "vorgangsnummer"),
        (b'["DU-2026-004711", "K7M2Q9"]', None),
        (b"vorgangsnummer=DU-2026-004711&zugangscode=K7M2Q9", None),
        (b"{", None),
        (b"", None),
        (b"\xff\xfe\x00", None),
        (b"[" * 3000 + b"]" * 3000, None),
    ],
)
def test_malformed_requests_are_400(http: httpx.Client, content: bytes, field: str | None) -> None:
    response = http.post(PATH, content=content, headers={"content-type": "application/json", **AUTH})
    assert response.status_code in (400, 413), response.text
    if response.status_code == 400:
        body = response.json()
        assert body["fehler"] == "ungueltige_eingabe" and body.get("feld") == field


def test_oversized_body_and_header(http: httpx.Client) -> None:
    huge = b'{"vorgangsnummer": "' + b"A" * 10_000 + b'", "zugangscode": "K7M2Q9"}'
    assert http.post(PATH, content=huge, headers=AUTH).status_code == 413
    response = http.post(
        PATH,
        json={"vorgangsnummer": "DU-2026-004711", "zugangscode": "K7M2Q9"},
        headers={"X-Client-Key": "x" * 500, **AUTH},
    )
    assert response.status_code == 400


def test_codes_are_never_accepted_in_the_url(http: httpx.Client) -> None:
    response = http.get(
        PATH, params={"vorgangsnummer": "DU-2026-004711", "zugangscode": "K7M2Q9"}, headers=AUTH
    )
    assert response.status_code == 405


JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=15), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        JSONISH,
        st.fixed_dictionaries(
            {"vorgangsnummer": st.text(max_size=30), "zugangscode": st.text(max_size=12)}
        ),
    )
)
def test_any_json_body_gets_a_proper_4xx(http: httpx.Client, body: object) -> None:
    response = http.post(PATH, json=body, headers={"X-Client-Key": "hypothesis", **AUTH})
    # random text is never a valid number + code pair, so it never reaches the throttle
    assert response.status_code == 400, response.text
    assert response.json()["status"] == 400
