"""Streaming GTFS importer: a zip or folder into the transit tables, in bounded memory.

Files are read one at a time with the csv module and written in batches (executemany on
SQLite, COPY on PostgreSQL). Memory grows with the number of stops, routes and trips (id maps
and a few integers per trip), never with stop_times, which is streamed (a full VRR feed has
~7 M stop_times). Times are stored as seconds of the service day (GTFS "noon minus 12 h").

CLI::

    python -m opendata.transit.gtfs_import feed.zip           # or an unzipped folder
    python -m opendata.transit.gtfs_import path/to/package/transit   # a data-package folder
        [--database-url URL] [--batch-size N] [--quiet]

A data-package folder (one with a ``gtfs`` subfolder) is loaded exactly as the server's seeder
does, including alerts, and marked as seeded so the server keeps it; a bare feed only replaces
the GTFS tables.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import logging
import os
import resource
import sys
import time
import zipfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Connection, delete, text
from sqlalchemy.orm import Session

from opendata.transit import models as m
from opendata.transit.products import default_product
from opendata.transit.service_days import parse_gtfs_date, parse_gtfs_time

log = logging.getLogger("opendata.transit.import")

STOP_TIME_INDEX = "ix_transit_stop_time_stop_departure"
GTFS_TABLES = (
    m.TransitStopTime,
    m.TransitStopRoute,
    m.TransitTrip,
    m.TransitCalendarDate,
    m.TransitService,
    m.TransitRoute,
    m.TransitStop,
    m.TransitAgency,
    m.TransitFeedInfo,
)
Progress = Callable[[str, int, float], None]  # (file, rows so far, seconds so far)


class FeedError(ValueError):
    """The feed cannot be imported (missing required file or column)."""


@dataclass
class ImportStats:
    rows: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    stop_times_seconds: float = 0.0

    @property
    def stop_times_per_second(self) -> float:
        rows = self.rows.get("stop_times.txt", 0)
        return rows / self.stop_times_seconds if self.stop_times_seconds else 0.0


# --------------------------------------------------------------------------- reading


class FeedSource:
    """The files of a GTFS feed in a zip or a folder (also one nested folder deep)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._names: dict[str, str] = {}
        if path.is_file():
            self._zip = zipfile.ZipFile(path)
            for name in self._zip.namelist():
                self._names.setdefault(name.rsplit("/", 1)[-1], name)
        elif path.is_dir():
            for candidate in sorted(path.rglob("*.txt")):
                self._names.setdefault(candidate.name, str(candidate))
        else:
            raise FeedError(f"{path} is neither a GTFS zip nor a folder")

    def has(self, name: str) -> bool:
        return name in self._names

    @contextmanager
    def open(self, name: str) -> Iterator[TextIO]:
        if name not in self._names:
            raise FeedError(f"{name} missing in {self.path}")
        if self._zip is not None:
            with self._zip.open(self._names[name]) as raw:
                yield io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        else:
            with open(self._names[name], encoding="utf-8-sig", newline="") as handle:
                yield handle

    def rows(self, name: str, required: tuple[str, ...] = ()) -> Iterator[dict[str, str]]:
        """Rows as dicts with stripped keys; checks the required columns first."""
        with self.open(name) as handle:
            reader = csv.reader(handle)
            try:
                header = [h.strip() for h in next(reader)]
            except StopIteration:
                return
            missing = [c for c in required if c not in header]
            if missing:
                raise FeedError(f"{name}: missing column(s) {', '.join(missing)}")
            for values in reader:
                if not values or values == [""]:
                    continue
                yield dict(zip(header, values, strict=False))  # short rows: missing = empty

    def table(
        self, name: str, required: tuple[str, ...]
    ) -> tuple[dict[str, int], Iterator[list[str]]]:
        """Column positions and raw rows, for the big files where dicts per row cost too much."""
        handle_cm = self.open(name)
        handle = handle_cm.__enter__()
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in required if c not in header]
        if missing:
            handle_cm.__exit__(None, None, None)
            raise FeedError(f"{name}: missing column(s) {', '.join(missing)}")

        def rows() -> Iterator[list[str]]:
            try:
                for values in reader:
                    if values and values != [""]:
                        yield values
            finally:
                handle_cm.__exit__(None, None, None)

        return {column: i for i, column in enumerate(header)}, rows()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def _int(value: str | None, default: int | None = None) -> int | None:
    value = (value or "").strip()
    return int(value) if value else default


def _float(value: str | None) -> float | None:
    value = (value or "").strip()
    return float(value) if value else None


def _str(value: str | None, limit: int) -> str | None:
    value = (value or "").strip()
    return value[:limit] if value else None


# --------------------------------------------------------------------------- writing


class BulkWriter:
    """Append rows to one table: COPY on PostgreSQL, batched executemany elsewhere."""

    def __init__(self, conn: Connection, table: str, columns: list[str], batch: int) -> None:
        self.conn, self.table, self.columns, self.batch = conn, table, columns, batch
        self.count = 0
        self._pending: list[tuple[Any, ...]] = []
        self._copy_cm: Any = None
        self._copy: Any = None
        self._cursor: Any = None
        self._postgres = conn.dialect.name == "postgresql"

    def __enter__(self) -> BulkWriter:
        raw = self.conn.connection.driver_connection
        self._cursor = raw.cursor()
        if self._postgres:
            sql = f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN"
            self._copy_cm = self._cursor.copy(sql)
            self._copy = self._copy_cm.__enter__()
        return self

    def write(self, row: tuple[Any, ...]) -> None:
        self.count += 1
        if self._copy is not None:
            self._copy.write_row(row)
            return
        self._pending.append(row)
        if len(self._pending) >= self.batch:
            self._flush()

    def write_many(self, rows: Iterable[tuple[Any, ...]]) -> None:
        if self._copy is not None:
            for row in rows:
                self._copy.write_row(row)
                self.count += 1
            return
        before = len(self._pending)
        self._pending.extend(rows)
        self.count += len(self._pending) - before
        if len(self._pending) >= self.batch:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            marks = ", ".join("?" for _ in self.columns)
            sql = f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES ({marks})"
            self._cursor.executemany(sql, self._pending)
            self._pending = []

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if self._copy_cm is not None:
                self._copy_cm.__exit__(exc_type, exc, tb)
            elif exc_type is None:
                self._flush()
        finally:
            self._cursor.close()


# --------------------------------------------------------------------------- import


def clear_feed(conn: Connection) -> None:
    """Delete every GTFS row (alerts and localities belong to the seeder)."""
    if conn.dialect.name == "postgresql":
        names = ", ".join(t.__tablename__ for t in GTFS_TABLES)
        conn.execute(text(f"TRUNCATE {names}"))
        return
    for model in GTFS_TABLES:
        conn.execute(delete(model))


class _Importer:
    def __init__(self, conn: Connection, feed: FeedSource, batch: int, progress: Progress | None):
        self.conn, self.feed, self.batch, self.progress = conn, feed, batch, progress
        self.stats = ImportStats()
        self.stop_ids: dict[str, int] = {}
        self.route_ids: dict[str, int] = {}
        self.service_ids: dict[str, int] = {}
        self.trip_ids: dict[str, int] = {}
        self.trip_route = array("i")  # index = trip key - 1
        self.first_seq = array("i")
        self.first_stop = array("i")
        self.last_seq = array("i")
        self.last_stop = array("i")
        self.stop_routes: set[int] = set()  # stop key * 2**20 + route key
        self.max_secs = 0

    def writer(self, model: type, columns: list[str]) -> BulkWriter:
        return BulkWriter(self.conn, model.__tablename__, columns, self.batch)

    def count(self, name: str, rows: int, skipped: int = 0) -> None:
        self.stats.rows[name] = rows
        if skipped:
            self.stats.skipped[name] = skipped
            log.warning("%s: skipped %d rows with unknown references or bad values", name, skipped)

    # -- small files -------------------------------------------------------

    def agencies(self) -> None:
        rows = list(self.feed.rows("agency.txt", ("agency_name", "agency_timezone")))
        with self.writer(
            m.TransitAgency, ["agency_id", "name", "url", "timezone", "lang", "phone"]
        ) as w:
            for row in rows:
                w.write(
                    (
                        _str(row.get("agency_id"), 100) or "",
                        _str(row.get("agency_name"), 255) or "",
                        _str(row.get("agency_url"), 1000),
                        _str(row.get("agency_timezone"), 64) or "UTC",
                        _str(row.get("agency_lang"), 16),
                        _str(row.get("agency_phone"), 64),
                    )
                )
        self.count("agency.txt", len(rows))

    def stops(self) -> None:
        rows = list(self.feed.rows("stops.txt", ("stop_id",)))
        for key, row in enumerate(rows, start=1):
            self.stop_ids[row["stop_id"].strip()] = key
        columns = [
            "id",
            "stop_id",
            "stop_code",
            "name",
            "lat",
            "lon",
            "location_type",
            "parent_id",
            "platform_code",
            "wheelchair_boarding",
        ]
        with self.writer(m.TransitStop, columns) as w:
            for key, row in enumerate(rows, start=1):
                parent = self.stop_ids.get((row.get("parent_station") or "").strip())
                w.write(
                    (
                        key,
                        row["stop_id"].strip()[:255],
                        _str(row.get("stop_code"), 64),
                        _str(row.get("stop_name"), 255) or row["stop_id"].strip()[:255],
                        _float(row.get("stop_lat")),
                        _float(row.get("stop_lon")),
                        _int(row.get("location_type"), 0),
                        parent,
                        _str(row.get("platform_code"), 64),
                        _int(row.get("wheelchair_boarding")),
                    )
                )
        self.count("stops.txt", len(rows))

    def routes(self) -> None:
        columns = [
            "id",
            "route_id",
            "agency_id",
            "short_name",
            "long_name",
            "route_type",
            "color",
            "text_color",
            "product_class",
            "product_name",
        ]
        n = 0
        with self.writer(m.TransitRoute, columns) as w:
            for row in self.feed.rows("routes.txt", ("route_id", "route_type")):
                n += 1
                self.route_ids[row["route_id"].strip()] = n
                route_type = _int(row.get("route_type"), 3) or 0
                product = default_product(route_type)
                w.write(
                    (
                        n,
                        row["route_id"].strip()[:255],
                        _str(row.get("agency_id"), 100),
                        _str(row.get("route_short_name"), 64),
                        _str(row.get("route_long_name"), 500),
                        route_type,
                        _str(row.get("route_color"), 8),
                        _str(row.get("route_text_color"), 8),
                        product.product_class,
                        product.name,
                    )
                )
        self.count("routes.txt", n)

    def services(self) -> None:
        calendars: list[tuple[Any, ...]] = []
        if self.feed.has("calendar.txt"):
            days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
            for row in self.feed.rows("calendar.txt", ("service_id", *days)):
                sid = row["service_id"].strip()
                if sid in self.service_ids:
                    continue
                self.service_ids[sid] = len(self.service_ids) + 1
                flags = "".join("1" if (row.get(d) or "").strip() == "1" else "0" for d in days)
                calendars.append(
                    (
                        self.service_ids[sid],
                        sid[:255],
                        flags,
                        parse_gtfs_date(row["start_date"]),
                        parse_gtfs_date(row["end_date"]),
                    )
                )
        exceptions: dict[tuple[int, date], int] = {}
        if self.feed.has("calendar_dates.txt"):
            for row in self.feed.rows(
                "calendar_dates.txt", ("service_id", "date", "exception_type")
            ):
                sid = row["service_id"].strip()
                if sid not in self.service_ids:
                    self.service_ids[sid] = len(self.service_ids) + 1
                    calendars.append((self.service_ids[sid], sid[:255], None, None, None))
                exceptions[(self.service_ids[sid], parse_gtfs_date(row["date"]))] = int(
                    row["exception_type"]
                )
        columns = ["id", "service_id", "weekdays", "start_date", "end_date"]
        with self.writer(m.TransitService, columns) as w:
            for service in calendars:
                w.write(service)
        with self.writer(m.TransitCalendarDate, ["service_id", "date", "exception_type"]) as w:
            for (service_key, day), kind in exceptions.items():
                w.write((service_key, day, kind))
        self.count("calendar.txt", len(calendars))
        self.count("calendar_dates.txt", len(exceptions))

    # -- trips: pass 1 maps ids, pass 2 (after stop_times) writes the rows ---

    def map_trips(self) -> None:
        skipped = 0
        for row in self.feed.rows("trips.txt", ("route_id", "service_id", "trip_id")):
            route = self.route_ids.get(row["route_id"].strip())
            if route is None or row["service_id"].strip() not in self.service_ids:
                skipped += 1
                continue
            trip = row["trip_id"].strip()
            if trip in self.trip_ids:
                skipped += 1
                continue
            self.trip_ids[trip] = len(self.trip_ids) + 1
            self.trip_route.append(route)
        n = len(self.trip_ids)
        self.first_seq = array("i", [2**31 - 1]) * n
        self.last_seq = array("i", [-1]) * n
        self.first_stop = array("i", [0]) * n
        self.last_stop = array("i", [0]) * n
        self.stats.skipped["trips.txt"] = skipped

    def write_trips(self) -> None:
        columns = [
            "id",
            "trip_id",
            "route_id",
            "service_id",
            "headsign",
            "short_name",
            "direction_id",
            "wheelchair_accessible",
            "first_stop_id",
            "last_stop_id",
            "last_sequence",
        ]
        written = set()
        with self.writer(m.TransitTrip, columns) as w:
            for row in self.feed.rows("trips.txt", ("route_id", "service_id", "trip_id")):
                key = self.trip_ids.get(row["trip_id"].strip())
                if key is None or key in written:
                    continue
                written.add(key)
                i = key - 1
                has_times = self.last_seq[i] >= 0
                w.write(
                    (
                        key,
                        row["trip_id"].strip()[:255],
                        self.trip_route[i],
                        self.service_ids[row["service_id"].strip()],
                        _str(row.get("trip_headsign"), 255),
                        _str(row.get("trip_short_name"), 64),
                        _int(row.get("direction_id")),
                        _int(row.get("wheelchair_accessible")),
                        self.first_stop[i] if has_times else None,
                        self.last_stop[i] if has_times else None,
                        self.last_seq[i] if has_times else None,
                    )
                )
        self.count("trips.txt", len(written), self.stats.skipped.get("trips.txt", 0))

    # -- stop_times: the streamed bulk ---------------------------------------

    def stop_times(self) -> None:
        columns = [
            "trip_id",
            "stop_sequence",
            "stop_id",
            "arrival_secs",
            "departure_secs",
            "pickup_type",
            "drop_off_type",
            "stop_headsign",
        ]
        started = time.monotonic()
        skipped = 0
        pending: list[list[Any]] = []  # rows of the current trip (to interpolate missing times)
        pending_trip = None
        with self.writer(m.TransitStopTime, columns) as w:

            def flush() -> int:
                if not pending:
                    return 0
                ordered = (
                    all(a[1] < b[1] and b[4] is not None for a, b in itertools.pairwise(pending))
                    and pending[0][4] is not None
                )
                rows = pending if ordered else [r for r in _interpolate(pending) if r is not None]
                if rows:
                    self._track_trip(rows)
                    w.write_many(tuple(row) for row in rows)
                lost = len(pending) - len(rows)
                pending.clear()
                return lost

            required = ("trip_id", "stop_id", "stop_sequence", "arrival_time", "departure_time")
            col, rows = self.feed.table("stop_times.txt", required)
            i_trip, i_stop, i_seq = col["trip_id"], col["stop_id"], col["stop_sequence"]
            i_arr, i_dep = col["arrival_time"], col["departure_time"]
            i_pick, i_drop = col.get("pickup_type"), col.get("drop_off_type")
            i_sign = col.get("stop_headsign")
            width = len(col)
            trip_ids, stop_ids = self.trip_ids, self.stop_ids
            times: dict[str, int] = {}  # at most ~2 days of distinct "HH:MM:SS" strings
            for n, values in enumerate(rows, start=1):
                if len(values) < width:
                    values = values + [""] * (width - len(values))
                trip = trip_ids.get(values[i_trip].strip())
                stop = stop_ids.get(values[i_stop].strip())
                if trip is None or stop is None:
                    skipped += 1
                    continue
                try:
                    arrival = values[i_arr].strip()
                    departure = values[i_dep].strip()
                    arr = times.get(arrival) if arrival else None
                    if arr is None and arrival:
                        arr = times[arrival] = parse_gtfs_time(arrival)
                    dep = times.get(departure) if departure else None
                    if dep is None and departure:
                        dep = times[departure] = parse_gtfs_time(departure)
                    parsed = [
                        trip,
                        int(values[i_seq]),
                        stop,
                        arr if arr is not None else dep,
                        dep if dep is not None else arr,
                        _int(values[i_pick], 0) if i_pick is not None else 0,
                        _int(values[i_drop], 0) if i_drop is not None else 0,
                        _str(values[i_sign], 255) if i_sign is not None else None,
                    ]
                except ValueError:
                    skipped += 1
                    continue
                if trip != pending_trip:
                    skipped += flush()
                    pending_trip = trip
                pending.append(parsed)
                if self.progress and n % 250_000 == 0:
                    self.progress("stop_times.txt", n, time.monotonic() - started)
            skipped += flush()
            written = w.count
        self.stats.stop_times_seconds = time.monotonic() - started
        if self.progress:
            self.progress("stop_times.txt", written, self.stats.stop_times_seconds)
        self.count("stop_times.txt", written, skipped)

    def _track_trip(self, rows: list[list[Any]]) -> None:
        """Remember a trip's first and last stop and its route at every stop."""
        i = rows[0][0] - 1
        first = min(rows, key=lambda r: r[1])
        last = max(rows, key=lambda r: r[1])
        if first[1] < self.first_seq[i]:
            self.first_seq[i], self.first_stop[i] = first[1], first[2]
        if last[1] > self.last_seq[i]:
            self.last_seq[i], self.last_stop[i] = last[1], last[2]
        route = self.trip_route[i]
        self.stop_routes.update(row[2] * 2**20 + route for row in rows)
        latest = max(row[4] for row in rows)
        if latest > self.max_secs:
            self.max_secs = latest

    def write_stop_routes(self) -> None:
        with self.writer(m.TransitStopRoute, ["stop_id", "route_id"]) as w:
            for packed in sorted(self.stop_routes):
                w.write((packed >> 20, packed & (2**20 - 1)))
        self.stats.rows["stop_routes"] = len(self.stop_routes)

    def feed_info(self) -> None:
        info: dict[str, str] = {}
        if self.feed.has("feed_info.txt"):
            info = next(iter(self.feed.rows("feed_info.txt")), {})
        start = (info.get("feed_start_date") or "").strip()
        end = (info.get("feed_end_date") or "").strip()
        self.conn.execute(
            m.TransitFeedInfo.__table__.insert().values(
                id=1,
                publisher_name=_str(info.get("feed_publisher_name"), 255),
                publisher_url=_str(info.get("feed_publisher_url"), 1000),
                lang=_str(info.get("feed_lang"), 16),
                start_date=parse_gtfs_date(start) if start else None,
                end_date=parse_gtfs_date(end) if end else None,
                version=_str(info.get("feed_version"), 100),
                max_departure_secs=self.max_secs,
                stop_times=self.stats.rows.get("stop_times.txt", 0),
                imported_at=datetime.now(timezone.utc).replace(tzinfo=None),
            )
        )

    def run(self) -> ImportStats:
        started = time.monotonic()
        clear_feed(self.conn)
        self.agencies()
        self.stops()
        self.routes()
        self.services()
        self.map_trips()
        self.conn.execute(text(f"DROP INDEX IF EXISTS {STOP_TIME_INDEX}"))
        self.stop_times()
        self.conn.execute(
            text(f"CREATE INDEX {STOP_TIME_INDEX} ON transit_stop_time (stop_id, departure_secs)")
        )
        self.write_trips()
        self.write_stop_routes()
        self.feed_info()
        for model in GTFS_TABLES:  # fresh planner statistics for the new data
            self.conn.execute(text(f"ANALYZE {model.__tablename__}"))
        self.stats.seconds = time.monotonic() - started
        return self.stats


def _interpolate(rows: list[list[Any]]) -> Iterator[list[Any] | None]:
    """Fill stop times left empty (non-timepoints) linearly between their timed neighbours.

    Yields None for rows that cannot be timed (no timed stop before or after them).
    """
    rows.sort(key=lambda r: r[1])
    timed = [i for i, r in enumerate(rows) if r[4] is not None]
    for i, row in enumerate(rows):
        if i and rows[i - 1][1] == row[1]:
            yield None  # duplicate stop_sequence
            continue
        if row[4] is None:
            before = max((t for t in timed if t < i), default=None)
            after = min((t for t in timed if t > i), default=None)
            if before is None or after is None:
                yield None
                continue
            a, b = rows[before][4], rows[after][3]
            secs = a + (b - a) * (i - before) // (after - before)
            row[3] = row[4] = secs
        yield row


def import_feed(
    conn: Connection, path: Path, *, batch_size: int = 10_000, progress: Progress | None = None
) -> ImportStats:
    """Replace the GTFS tables with the feed at `path` (zip or folder) inside `conn`'s
    transaction; the caller commits."""
    feed = FeedSource(path)
    try:
        return _Importer(conn, feed, batch_size, progress).run()
    finally:
        feed.close()


# --------------------------------------------------------------------------- CLI


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _print_progress(name: str, rows: int, seconds: float) -> None:
    rate = rows / seconds if seconds else 0.0
    print(
        f"  {name}: {rows:,} rows, {rate:,.0f} rows/s, peak RSS {peak_rss_mb():.0f} MB",
        file=sys.stderr,
        flush=True,
    )


def _mark_seeded(session: Session, fingerprint: str) -> None:
    """Record the package folder as loaded, so the server does not reseed it on start."""
    from opendata.seed import SeedState

    state = session.get(SeedState, "transit")
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    if state is None:
        session.add(SeedState(domain="transit", fingerprint=fingerprint, seeded_at=now))
    else:
        state.fingerprint, state.seeded_at = fingerprint, now


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Import a GTFS feed into the transit tables.")
    parser.add_argument("source", type=Path, help="GTFS zip, GTFS folder or data-package folder")
    parser.add_argument("--database-url", help="default: OPENDATA_DATABASE_URL / settings")
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.database_url:
        os.environ["OPENDATA_DATABASE_URL"] = args.database_url
    from opendata import seed as seeding
    from opendata.db import get_sessionmaker
    from opendata.transit.seed import seed as seed_transit

    seeding.migrate()
    progress = None if args.quiet else _print_progress
    started = time.monotonic()
    package_folder = (args.source / "gtfs").is_dir()
    with get_sessionmaker()() as session, session.begin():
        if package_folder:
            seed_transit(session, args.source, progress=progress)
            _mark_seeded(session, seeding.fingerprint(args.source))
            stop_times = session.scalar(text("SELECT stop_times FROM transit_feed_info")) or 0
        else:
            stats = import_feed(
                session.connection(), args.source, batch_size=args.batch_size, progress=progress
            )
            stop_times = stats.rows.get("stop_times.txt", 0)
    seconds = time.monotonic() - started
    print(
        f"imported {stop_times:,} stop_times in {seconds:.1f} s "
        f"({stop_times / seconds if seconds else 0:,.0f} rows/s overall), "
        f"peak RSS {peak_rss_mb():.0f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
