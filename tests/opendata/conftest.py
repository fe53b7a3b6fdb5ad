"""Fixtures: one real open-data server per test session, on SQLite or PostgreSQL.

OPENDATA_TEST_DB=sqlite (default) or postgresql selects the database; scripts/test.sh runs the
suite once with each. The server runs in its own process and is reached over real HTTP.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
PINNED_CLOCK = "2026-11-23T08:15:00+01:00"  # a Monday in the morning peak
PG_ADMIN_URL = os.environ.get("OPENDATA_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# The application-status API answers only with this bearer token (APPLICATIONS_API_TOKEN).
APPLICATIONS_TOKEN = "opendata-tests-applications-token-0123456789"
AUTH = {"Authorization": f"Bearer {APPLICATIONS_TOKEN}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fresh_database_url(tmp_dir: Path) -> str:
    kind = os.environ.get("OPENDATA_TEST_DB", "sqlite")
    if kind == "sqlite":
        return f"sqlite:///{tmp_dir / 'opendata.sqlite'}"
    if kind == "postgresql":
        name = f"stadtlotse_test_{os.getpid()}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    raise ValueError(f"OPENDATA_TEST_DB must be sqlite or postgresql, not {kind!r}")


def _drop_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class RunningServer:
    def __init__(self, base_url: str, database_url: str, process: subprocess.Popen) -> None:
        self.base_url = base_url
        self.database_url = database_url
        self.process = process


def start_server(
    database_url: str,
    clock: str | None = PINNED_CLOCK,
    log: Path | None = None,
    default_host: bool = False,
    **env: str,
) -> RunningServer:
    """A server process; `log`: its output goes there; `default_host`: no OPENDATA_HOST (the
    server's own default decides where it listens)."""
    port = free_port()
    environment = {
        **os.environ,
        "OPENDATA_DATABASE_URL": database_url,
        "OPENDATA_PORT": str(port),
        "OPENDATA_HOST": "127.0.0.1",
        "APPLICATIONS_API_TOKEN": APPLICATIONS_TOKEN,
        **env,
    }
    if default_host:
        environment.pop("OPENDATA_HOST", None)
    if clock:
        environment["OPENDATA_CLOCK"] = clock
    else:
        environment.pop("OPENDATA_CLOCK", None)
    output = log.open("w") if log else None
    process = subprocess.Popen(
        [sys.executable, "-m", "opendata"],
        cwd=ROOT,
        env=environment,
        stdout=output,
        stderr=subprocess.STDOUT if output else None,
    )
    if output:
        output.close()  # the child keeps its own descriptor
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # first start seeds the database and imports the feed
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"open-data server exited with code {process.returncode}")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return RunningServer(base_url, database_url, process)
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError("open-data server did not answer /health within 180 s")


def stop_server(server: RunningServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = _fresh_database_url(tmp_path_factory.mktemp("db"))
    yield url
    _drop_database(url)


@pytest.fixture(scope="session")
def server(database_url: str) -> Iterator[RunningServer]:
    running = start_server(database_url)
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def base_url(server: RunningServer) -> str:
    return server.base_url


@pytest.fixture(scope="session")
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def engine(server: RunningServer) -> Iterator[Engine]:
    url = server.database_url
    if url.startswith("postgresql") and "+psycopg" not in url:
        url = url.replace("postgresql", "postgresql+psycopg", 1)
    db = create_engine(url)
    yield db
    db.dispose()
