"""The application-status API's doors: bearer token, loopback by default, and throttling that
inventing new client keys does not bypass (10,000 guesses, one number and many numbers)."""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psutil
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine

from opendata.applications.models import Fehlversuch
from opendata.settings import Settings
from tests.opendata.conftest import (
    APPLICATIONS_TOKEN,
    AUTH,
    PINNED_CLOCK,
    RunningServer,
    start_server,
    stop_server,
)

PATH = "/api/v1/antraege/status"
ATTACKED, ATTACKED_CODE = "DU-2026-001234", "P4X8N2"
SPARED, SPARED_CODE = "DU-2026-000815", "B2R6T1"  # never guessed at


def lookup(http: httpx.Client, number: str, code: str, **headers: str) -> httpx.Response:
    body = {"vorgangsnummer": number, "zugangscode": code}
    return http.post(PATH, json=body, headers={"X-Client-Key": uuid.uuid4().hex, **headers})


def failures(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Fehlversuch)) or 0


@pytest.fixture
def clean_throttle(engine: Engine) -> Iterator[None]:
    """An empty failure table before and after (the pinned clock never lets a window pass)."""
    with engine.begin() as conn:
        conn.execute(delete(Fehlversuch))
    yield
    with engine.begin() as conn:
        conn.execute(delete(Fehlversuch))


# --- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer wrong-token",
        f"Bearer {APPLICATIONS_TOKEN[:-1]}",
        f"Bearer {APPLICATIONS_TOKEN}x",
        f"Basic {APPLICATIONS_TOKEN}",
        APPLICATIONS_TOKEN,
        f"Bearer {APPLICATIONS_TOKEN.upper()}",
    ],
)
def test_every_request_without_the_right_token_is_401(
    http: httpx.Client, engine: Engine, clean_throttle: None, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = lookup(http, SPARED, SPARED_CODE, **headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["fehler"] == "nicht_autorisiert" and "vorgangsnummer" not in body
    assert failures(engine) == 0  # refused before anything is looked up or counted


def test_the_right_token_opens_it(http: httpx.Client, clean_throttle: None) -> None:
    assert lookup(http, SPARED, SPARED_CODE, **AUTH).status_code == 200
    lowercase = {"Authorization": f"bearer {APPLICATIONS_TOKEN}"}  # the scheme is case-insensitive
    assert lookup(http, SPARED, SPARED_CODE, **lowercase).status_code == 200


def test_the_openapi_document_declares_the_bearer_scheme(http: httpx.Client) -> None:
    spec = http.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["paths"][PATH]["post"]["security"] == [{"bearerAuth": []}]


def test_write_actions_stay_refused_with_any_token(http: httpx.Client) -> None:
    for action in ("package_create", "datastore_upsert", "datastore_delete", "resource_update"):
        response = http.post(f"/api/3/action/{action}", json={"name": "x"}, headers=AUTH)
        assert response.status_code == 403, action


@pytest.mark.slow
def test_a_server_without_token_refuses_the_domain_and_listens_on_loopback(
    server: RunningServer, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    closed = start_server(server.database_url, log=log, default_host=True,
                          APPLICATIONS_API_TOKEN="")
    try:
        with httpx.Client(base_url=closed.base_url, timeout=30) as client:
            for headers in ({}, AUTH, {"Authorization": "Bearer"}):
                response = lookup(client, SPARED, SPARED_CODE, **headers)
                assert response.status_code == 503, response.text
                assert response.json()["fehler"] == "nicht_konfiguriert"
            # the open-data routes stay public
            assert client.get("/api/3/action/package_list").status_code == 200
        listening = {
            c.laddr.ip for c in psutil.Process(closed.process.pid).net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN
        }
        assert listening == {"127.0.0.1"}, listening  # no OPENDATA_HOST: loopback only
    finally:
        stop_server(closed)
    lines = [line for line in log.read_text().splitlines() if "APPLICATIONS_API_TOKEN" in line]
    assert len(lines) == 1 and "is not set" in lines[0] and "set it" in lines[0], lines


def test_the_default_host_is_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENDATA_HOST", raising=False)
    assert Settings().host == "127.0.0.1"
    monkeypatch.setenv("OPENDATA_HOST", "0.0.0.0")
    assert Settings().host == "0.0.0.0"  # only when asked for


# --- throttling that new client keys do not bypass --------------------------------------------


class Guesser:
    """Parallel guesses over keep-alive connections (http.client: light on a 2-core machine)."""

    def __init__(self, base_url: str, workers: int = 4) -> None:
        parts = urlsplit(base_url)
        self.host, self.port, self.workers = parts.hostname, parts.port, workers

    def run(self, guesses: list[tuple[str, str]]) -> list[tuple[int, float]]:
        results: list[tuple[int, float]] = [(0, 0.0)] * len(guesses)

        def work(offset: int) -> None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                for index in range(offset, len(guesses), self.workers):
                    number, code = guesses[index]
                    body = json.dumps({"vorgangsnummer": number, "zugangscode": code})
                    headers = {**AUTH, "Content-Type": "application/json",
                               "X-Client-Key": uuid.uuid4().hex}  # a new "conversation" each time
                    started = time.perf_counter()
                    connection.request("POST", PATH, body=body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    results[index] = (response.status, (time.perf_counter() - started) * 1000)
            finally:
                connection.close()

        threads = [threading.Thread(target=work, args=(i,)) for i in range(self.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results


def wrong_codes(count: int, right: str) -> list[str]:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    codes = []
    for i in range(count + 1):
        code = "".join(alphabet[(i // len(alphabet) ** k) % len(alphabet)] for k in range(6))
        if code != right:
            codes.append(code)
    return codes[:count]


@pytest.mark.slow
def test_ten_thousand_guesses_with_new_client_keys_find_nothing(
    server: RunningServer, http: httpx.Client, engine: Engine, clean_throttle: None
) -> None:
    """5,000 guesses at one number, then 5,000 at 5,000 numbers, each with a new client key, on
    the server's default budgets (5 failures per number in 15 minutes, 30 per minute in all)."""
    guesser = Guesser(server.base_url)
    one = [(ATTACKED, code) for code in wrong_codes(5_000, ATTACKED_CODE)]
    many = [(f"DU-2026-{500_000 + i:06d}", code)
            for i, code in enumerate(wrong_codes(5_000, "------"))]

    started = time.perf_counter()
    at_one = guesser.run(one)
    at_many = guesser.run(many)
    elapsed = time.perf_counter() - started

    one_counts = Counter(status for status, _ in at_one)
    many_counts = Counter(status for status, _ in at_many)
    assert 200 not in one_counts and 200 not in many_counts  # nothing found
    assert one_counts == {404: 5, 429: 4_995}, one_counts  # the number's budget, whoever asks
    # the global budget: 30 failures a minute in all, 5 of them spent on the first number
    assert many_counts == {404: 25, 429: 4_975}, many_counts
    assert failures(engine) == 30  # the refused guesses were not even recorded
    throttled = [ms for status, ms in at_one + at_many if status == 429]
    checked = [ms for status, ms in at_one + at_many if status == 404]  # one scrypt run each
    quick, slow = statistics.median(throttled), statistics.median(checked)
    print(f"\n10,000 guesses in {elapsed:.1f} s; median 429 {quick:.1f} ms, 404 {slow:.1f} ms")
    assert elapsed < 45, f"10,000 guesses took {elapsed:.0f} s"
    # A 429 runs no scrypt: it costs a fraction of an answer that verifies a code (both measured
    # under the same load, so the comparison holds on a busy machine too).
    assert quick < slow / 3, (quick, slow)

    # While the minute lasts, everybody waits, the right code for a spared number included;
    # the attacked number waits for its own 15 minutes.
    refused = lookup(http, SPARED, SPARED_CODE, **AUTH)
    assert refused.status_code == 429 and 0 < int(refused.headers["retry-after"]) <= 60
    assert lookup(http, ATTACKED, ATTACKED_CODE, **AUTH).status_code == 429

    # Two minutes later (another server on the same database, clock moved on; the budgets are
    # kept in the database), the spared number answers, the attacked one still does not; and
    # the budgets are settings (APPLICATIONS_FAILURES_GLOBAL=3 here).
    later = (datetime.fromisoformat(PINNED_CLOCK) + timedelta(minutes=2)).isoformat()
    second = start_server(server.database_url, clock=later, APPLICATIONS_FAILURES_GLOBAL="3")
    try:
        with httpx.Client(base_url=second.base_url, timeout=30) as client:
            answer = lookup(client, SPARED, SPARED_CODE, **AUTH)
            assert answer.status_code == 200 and answer.json()["status"] == "genehmigt"
            attacked = lookup(client, ATTACKED, ATTACKED_CODE, **AUTH)
            assert attacked.status_code == 429
            assert 12 * 60 < int(attacked.headers["retry-after"]) <= 13 * 60
            for i in range(3):
                assert lookup(client, f"DU-2026-77000{i}", "AAAAAA", **AUTH).status_code == 404
            assert lookup(client, "DU-2026-770009", "AAAAAA", **AUTH).status_code == 429
    finally:
        stop_server(second)
