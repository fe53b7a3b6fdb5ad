"""Pure parts of the status lookup: codes and hashes, throttling rules, seed checks, timing path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from opendata.applications import codes, routes, seed, throttle
from opendata.applications.models import Antrag, Fehlversuch, Schritt

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 23, 7, 15)


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = create_engine(f"sqlite:///{tmp_path / 'apps.sqlite'}")
    Antrag.metadata.create_all(
        engine, tables=[Antrag.__table__, Schritt.__table__, Fehlversuch.__table__]
    )
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


# --- codes ------------------------------------------------------------------------------------


def test_normalisation() -> None:
    assert codes.normalize_code(" k7m 2q9\n") == "K7M2Q9"
    assert codes.normalize_number("du–2026 – 004711") == "DU-2026-004711"
    assert codes.normalize_number("ＤＵ－２０２６－００４７１１") == "DU-2026-004711"
    assert codes.is_valid_number("DU-2026-004711") and codes.is_valid_number("ABC-2026-000001")
    for bad in (
        "DU-2026-04711",
        "D-2026-004711",
        "DU-2026-0047111",
        "DU2026004711",
        "DU-٢٠٢٦-004711",
    ):
        assert not codes.is_valid_number(bad), bad
    assert codes.is_valid_code("K7M2Q9")
    for bad in ("K7M2Q", "K7M2Q99", "K7M-Q9", "K7M2QÄ"):
        assert not codes.is_valid_code(bad), bad


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_normalisation_is_idempotent(value: str) -> None:
    once = codes.normalize_number(value)
    assert codes.normalize_number(once) == once
    assert codes.normalize_code(codes.normalize_code(value)) == codes.normalize_code(value)


def test_hash_is_salted_and_verifies_only_the_code() -> None:
    first, second = codes.hash_code("K7M2Q9"), codes.hash_code("K7M2Q9")
    assert first != second and "K7M2Q9" not in first
    assert first.startswith("scrypt$16384$8$1$") and codes.is_stored_hash(first)
    assert codes.verify("K7M2Q9", first) and codes.verify("K7M2Q9", second)
    assert not codes.verify("K7M2Q8", first)
    assert not codes.verify("K7M2Q9", codes.DUMMY)
    for broken in ("", "plain", "scrypt$1$8$1$00$00", first.replace("$8$", "$4$")):
        assert not codes.is_stored_hash(broken)
        assert not codes.verify("K7M2Q9", broken)


def test_helper_prints_hashes_that_verify(capsys: pytest.CaptureFixture[str]) -> None:
    codes.main(["k7m2q9", "--new", "1"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    for line in lines:
        code, stored = line.split()
        assert codes.is_valid_code(code) and codes.verify(code, stored)


def test_demo_data_has_no_plain_codes() -> None:
    text = (ROOT / "opendata/data/duisburg/applications/vorgaenge.yaml").read_text()
    for code in ("K7M2Q9", "P4X8N2", "B2R6T1"):
        assert code not in text


# --- throttling -------------------------------------------------------------------------------


def attempt(sessions: sessionmaker[Session], number: str, client: str, now: datetime):
    with sessions() as session, session.begin():
        return throttle.reserve(session, number, client, now)


def test_five_failures_per_number_then_wait(sessions: sessionmaker[Session]) -> None:
    number = throttle.digest("nummer", "DU-2026-000001")
    for i in range(5):
        outcome = attempt(sessions, number, f"client-{i}", T0 + timedelta(minutes=i))
        assert isinstance(outcome, throttle.Attempt)
    blocked = attempt(sessions, number, "client-new", T0 + timedelta(minutes=5))
    assert isinstance(blocked, throttle.Blocked)
    assert blocked.retry_after == 10 * 60  # the first failure leaves the window at T0 + 15 min
    later = attempt(sessions, number, "client-new", T0 + timedelta(minutes=15, seconds=1))
    assert isinstance(later, throttle.Attempt)  # one failure has expired


def test_twenty_failures_per_client(sessions: sessionmaker[Session]) -> None:
    client = throttle.client_digest("10.0.0.1", "conversation-a")
    for i in range(20):
        number = throttle.digest("nummer", f"DU-2026-{i:06d}")
        assert isinstance(attempt(sessions, number, client, T0), throttle.Attempt)
    other = throttle.digest("nummer", "DU-2026-999999")
    blocked = attempt(sessions, other, client, T0)
    assert isinstance(blocked, throttle.Blocked) and blocked.retry_after == 15 * 60
    # another conversation behind the same address has its own budget
    neighbour = throttle.client_digest("10.0.0.1", "conversation-b")
    assert isinstance(attempt(sessions, other, neighbour, T0), throttle.Attempt)
    # the header cannot be used to dodge: without it, it is yet another (address-bound) client
    assert throttle.client_digest("10.0.0.1", None) != throttle.client_digest("10.0.0.2", None)


def test_success_forgets_only_own_failures(sessions: sessionmaker[Session]) -> None:
    number = throttle.digest("nummer", "DU-2026-000002")
    for client in ("attacker", "attacker", "owner", "owner"):
        attempt(sessions, number, client, T0)
    mine = attempt(sessions, number, "owner", T0)
    assert isinstance(mine, throttle.Attempt)
    with sessions() as session, session.begin():
        throttle.succeeded(session, mine)
    with sessions() as session:
        left = session.scalars(select(Fehlversuch.client_hash)).all()
    assert sorted(left) == ["attacker", "attacker"]


def test_blocked_attempt_is_not_counted(sessions: sessionmaker[Session]) -> None:
    number = throttle.digest("nummer", "DU-2026-000003")
    for _ in range(5):
        attempt(sessions, number, "c", T0)
    for _ in range(3):
        assert isinstance(attempt(sessions, number, "c", T0), throttle.Blocked)
    with sessions() as session:
        assert len(session.scalars(select(Fehlversuch)).all()) == 5


# --- seed checks ------------------------------------------------------------------------------


def write(tmp_path: Path, entry: dict) -> Path:
    (tmp_path / "vorgaenge.yaml").write_text(yaml.safe_dump([entry], allow_unicode=True))
    return tmp_path


ENTRY = {
    "vorgangsnummer": "XY-2026-000001",
    "zugangscode_hash": codes.DUMMY,
    "leistung": {"schluessel": "99000000000001", "bezeichnung": "Test"},
    "status": "eingegangen",
    "eingang_am": "2026-11-01",
    "letzte_aenderung": "2026-11-01T10:00:00+01:00",
    "zustaendige_stelle": {"name": "Amt"},
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"zugangscode": "K7M2Q9"}, "plain zugangscode"),
        ({"zugangscode_hash": "K7M2Q9"}, "scrypt hash"),
        ({"status": "verloren"}, "status"),
        ({"vorgangsnummer": "42"}, "vorgangsnummer"),
        ({"letzte_aenderung": "2026-11-01T10:00:00"}, "offset"),
    ],
)
def test_seed_refuses_bad_entries(
    sessions: sessionmaker[Session], tmp_path: Path, change: dict, message: str
) -> None:
    with sessions() as session, pytest.raises(seed.DataPackageError, match=message):
        seed.seed(session, write(tmp_path, {**ENTRY, **change}))


def test_seed_is_idempotent_and_keeps_throttle_state(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    attempt(sessions, "n", "c", T0)
    for _ in range(2):
        with sessions() as session, session.begin():
            seed.seed(session, write(tmp_path, ENTRY))
    with sessions() as session:
        assert [a.vorgangsnummer for a in session.scalars(select(Antrag))] == ["XY-2026-000001"]
        assert session.get(Antrag, "XY-2026-000001").letzte_aenderung == datetime(2026, 11, 1, 9)
        assert len(session.scalars(select(Fehlversuch)).all()) == 1


# --- both failure paths cost one scrypt run and answer identically ----------------------------


def test_unknown_number_and_wrong_code_take_the_same_path(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = {**ENTRY, "zugangscode_hash": codes.hash_code("K7M2Q9")}
    with sessions() as session, session.begin():
        seed.seed(session, write(tmp_path, entry))
    monkeypatch.setattr(routes, "get_sessionmaker", lambda: sessions)
    calls: list[bytes] = []
    real = codes._derive

    def counting(code: str, salt: bytes, *args: int) -> bytes:
        calls.append(salt)
        return real(code, salt, *args)

    monkeypatch.setattr(codes, "_derive", counting)
    wrong = routes._lookup("XY-2026-000001", "AAAAAA", "client-1")
    assert len(calls) == 1
    unknown = routes._lookup("XY-2026-999999", "AAAAAA", "client-2")
    assert len(calls) == 2
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.body == unknown.body
    assert dict(wrong.headers) == dict(unknown.headers)
    right = routes._lookup("XY-2026-000001", "K7M2Q9", "client-1")
    assert right.status_code == 200 and len(calls) == 3
    assert json.loads(right.body)["vorgangsnummer"] == "XY-2026-000001"
