"""The streaming GTFS importer: folder and zip, counts, repairs, memory bound, CLI.

Runs against a fresh database of the kind selected by OPENDATA_TEST_DB (sqlite|postgresql).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine

from opendata.db import Base
from opendata.transit import models as m
from opendata.transit.gtfs_import import FeedError, import_feed

ROOT = Path(__file__).resolve().parents[2]
GTFS = ROOT / "opendata" / "data" / "duisburg" / "transit" / "gtfs"
PG_ADMIN_URL = os.environ.get(
    "OPENDATA_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TABLES = [
    model.__table__
    for model in vars(m).values()
    if isinstance(model, type) and hasattr(model, "__table__")
]


def _fresh_url(folder: Path, name: str) -> str:
    if os.environ.get("OPENDATA_TEST_DB", "sqlite") != "postgresql":
        return f"sqlite:///{folder / (name + '.sqlite')}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop(url: str) -> None:
    if url.startswith("postgresql"):
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = _fresh_url(tmp_path_factory.mktemp("import"), f"stadtlotse_transit_import_{os.getpid()}")
    yield url
    _drop(url)


@pytest.fixture(scope="module")
def engine(database_url: str) -> Iterator[Engine]:
    db = create_engine(database_url)
    Base.metadata.create_all(db, tables=TABLES)
    yield db
    db.dispose()


def csv_rows(folder: Path, name: str) -> int:
    with (folder / name).open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.scalar(select(func.count()).select_from(t))
            for t in TABLES
            if t.name not in ("transit_alert", "transit_locality")
        }


def load(engine: Engine, path: Path):
    with engine.begin() as conn:
        return import_feed(conn, path, batch_size=2_000)


def test_folder_import_counts_every_row(engine: Engine) -> None:
    stats = load(engine, GTFS)
    found = counts(engine)
    assert (
        found["transit_stop_time"]
        == csv_rows(GTFS, "stop_times.txt")
        == stats.rows["stop_times.txt"]
    )
    assert found["transit_trip"] == csv_rows(GTFS, "trips.txt")
    assert found["transit_stop"] == csv_rows(GTFS, "stops.txt")
    assert found["transit_route"] == csv_rows(GTFS, "routes.txt")
    assert found["transit_calendar_date"] == csv_rows(GTFS, "calendar_dates.txt")
    assert found["transit_service"] == 4 and found["transit_agency"] == 1
    assert found["transit_stop_route"] > 100
    assert stats.stop_times_per_second > 0 and not stats.skipped.get("stop_times.txt")


def test_times_are_seconds_of_the_service_day(engine: Engine) -> None:
    with engine.connect() as conn:
        info = conn.execute(select(m.TransitFeedInfo)).one()
        assert info.max_departure_secs > 26 * 3600 and info.stop_times > 40_000
        trip = conn.execute(
            select(m.TransitTrip).where(m.TransitTrip.trip_id == "NE1-NACHT-0-2345")
        ).one()
        secs = (
            conn.execute(
                select(m.TransitStopTime.departure_secs)
                .where(m.TransitStopTime.trip_id == trip.id)
                .order_by(m.TransitStopTime.stop_sequence)
            )
            .scalars()
            .all()
        )
    assert secs[0] == 23 * 3600 + 45 * 60
    assert secs[-1] > 24 * 3600 and secs == sorted(secs)
    assert trip.first_stop_id != trip.last_stop_id and trip.last_sequence == len(secs)


def test_zip_import_matches_folder_import(engine: Engine, tmp_path: Path) -> None:
    folder_counts = counts(engine)
    archive = tmp_path / "feed.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in GTFS.iterdir():
            zf.write(path, f"vrr-export/{path.name}")  # files one folder deep, as some exports
    load(engine, archive)
    assert counts(engine) == folder_counts
    with engine.connect() as conn:
        total = conn.scalar(select(func.sum(m.TransitStopTime.departure_secs)))
    load(engine, GTFS)  # and back: re-importing replaces everything (idempotent)
    with engine.connect() as conn:
        assert conn.scalar(select(func.sum(m.TransitStopTime.departure_secs))) == total
    assert counts(engine) == folder_counts


def write_feed(folder: Path, files: dict[str, list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in files.items():
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def small_feed(folder: Path, stop_times: list[str]) -> Path:
    return write_feed(
        folder,
        {
            "agency.txt": [
                "\ufeffagency_id,agency_name,agency_url,agency_timezone",
                "x-1,X,https://x.example,Europe/Berlin",
            ],
            "stops.txt": [
                "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station",
                "S,Station,51.0,6.0,1,",
                "S:1,Station,51.0,6.0,,S",
                "A,A,51.1,6.1,,",
                "B,B,51.2,6.2,,",
            ],
            "routes.txt": ["route_id,agency_id,route_short_name,route_type", "r,x-1,7,3"],
            "calendar_dates.txt": ["service_id,date,exception_type", "only,20261123,1"],
            "trips.txt": ["route_id,service_id,trip_id", "r,only,t1", "r,only,t2", "r,ghost,t3"],
            "stop_times.txt": [
                "trip_id,arrival_time,departure_time,stop_id,stop_sequence",
                *stop_times,
            ],
        },
    )


def test_importer_interpolates_and_skips_bad_rows(engine: Engine, tmp_path: Path) -> None:
    feed = small_feed(
        tmp_path / "small",
        [
            "t1,5:00:00,5:00:00,S:1,1",
            "t1,,,A,2",  # non-timepoint: interpolated
            "t1,05:10:00,05:10:00,B,3",
            "t2,06:00:00,06:00:00,A,1",
            "t2,06:05:00,06:05:00,NOWHERE,2",  # unknown stop
            "t2,06:09:00,06:09:00,B,3",
            "t3,07:00:00,07:00:00,A,1",  # trip of an unknown service
            "t2,25:61:00,25:61:00,S:1,4",  # invalid time
        ],
    )
    stats = load(engine, feed)
    assert stats.rows["stop_times.txt"] == 5
    assert stats.skipped["stop_times.txt"] == 3
    assert stats.skipped["trips.txt"] == 1
    with engine.connect() as conn:
        middle = conn.scalar(
            select(m.TransitStopTime.departure_secs)
            .join(m.TransitTrip, m.TransitTrip.id == m.TransitStopTime.trip_id)
            .where(m.TransitTrip.trip_id == "t1", m.TransitStopTime.stop_sequence == 2)
        )
        service = conn.execute(select(m.TransitService)).one()
        agency = conn.execute(select(m.TransitAgency)).one()
    assert middle == 5 * 3600 + 5 * 60
    assert service.weekdays is None  # calendar_dates-only service
    assert agency.agency_id == "x-1"  # BOM stripped from the header


def test_missing_required_file_is_a_feed_error(engine: Engine, tmp_path: Path) -> None:
    feed = small_feed(tmp_path / "broken", ["t1,05:00:00,05:00:00,A,1"])
    (feed / "trips.txt").unlink()
    with pytest.raises(FeedError, match=r"trips\.txt"):
        load(engine, feed)
    with pytest.raises(FeedError):
        load(engine, tmp_path / "does-not-exist")


def synthetic_feed(folder: Path, trips: int, stops_per_trip: int) -> Path:
    stops = [f"s{i}" for i in range(60)]
    folder.mkdir(parents=True, exist_ok=True)
    small_feed(folder, [])
    with (folder / "stops.txt").open("w", encoding="utf-8") as handle:
        handle.write("stop_id,stop_name,stop_lat,stop_lon\n")
        for i, stop in enumerate(stops):
            handle.write(f"{stop},Stop {i},51.{i:02d},6.{i:02d}\n")
    (folder / "calendar_dates.txt").write_text(
        "service_id,date,exception_type\nonly,20261123,1\n", encoding="utf-8"
    )
    with (folder / "trips.txt").open("w", encoding="utf-8") as handle:
        handle.write("route_id,service_id,trip_id\n")
        for t in range(trips):
            handle.write(f"r,only,trip-{t}\n")
    with (folder / "stop_times.txt").open("w", encoding="utf-8") as handle:
        handle.write("trip_id,arrival_time,departure_time,stop_id,stop_sequence\n")
        for t in range(trips):
            for s in range(stops_per_trip):
                secs = 4 * 3600 + t * 60 + s * 90
                clock = f"{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
                handle.write(f"trip-{t},{clock},{clock},{stops[s % 60]},{s + 1}\n")
    return folder


def traced_peak(engine: Engine, feed: Path) -> int:
    tracemalloc.start()
    try:
        load(engine, feed)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_stop_times(engine: Engine, tmp_path: Path) -> None:
    """Same trips, six times the stop_times: the importer's peak memory stays about the same
    (rows are streamed in batches), while holding all rows would need several MB more."""
    small = traced_peak(engine, synthetic_feed(tmp_path / "s", trips=400, stops_per_trip=10))
    large = traced_peak(engine, synthetic_feed(tmp_path / "l", trips=400, stops_per_trip=60))
    assert counts(engine)["transit_stop_time"] == 24_000
    assert large < small * 1.5 + 1_000_000, (small, large)


def test_cli_migrates_and_imports_a_zip(tmp_path: Path) -> None:
    database_url = _fresh_url(tmp_path, f"stadtlotse_transit_cli_{os.getpid()}")
    archive = tmp_path / "feed.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in GTFS.iterdir():
            zf.write(path, path.name)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "opendata.transit.gtfs_import",
            str(archive),
            "--database-url",
            database_url,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OPENDATA_DOMAINS": "transit"},
    )
    assert result.returncode == 0, result.stderr
    assert "rows/s" in result.stdout and "peak RSS" in result.stdout
    assert "stop_times.txt" in result.stderr  # progress lines
    engine = create_engine(database_url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(m.TransitStopTime)) == csv_rows(
            GTFS, "stop_times.txt"
        )
    engine.dispose()
    _drop(database_url)
