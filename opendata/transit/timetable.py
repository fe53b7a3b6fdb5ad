"""Timetable queries: next departures at stops and direct trips between two stops.

Both walk the stop_times index (stop, departure) in growing time windows, once per service day
that can reach into the window (yesterday's after-midnight trips included), and keep only the
trips whose service runs on that day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, and_, bindparam, select
from sqlalchemy.orm import aliased

from opendata.transit import realtime
from opendata.transit.catalog import Catalog
from opendata.transit.models import TransitStopTime, TransitTrip
from opendata.transit.service_days import instant, service_windows

WINDOWS = (timedelta(hours=3), timedelta(hours=26))


@dataclass(frozen=True)
class Call:
    """A trip calling at a stop on a service day."""

    service_day: date
    stop_key: int
    sequence: int
    planned: datetime  # departure, UTC
    planned_arrival: datetime
    trip_key: int
    trip_id: str
    route_key: int
    headsign: str | None
    direction_id: int | None
    first_stop: int | None
    last_stop: int | None
    stop_headsign: str | None
    delay: int | None = None  # seconds; None = no realtime

    @property
    def estimated(self) -> datetime | None:
        return self.planned + timedelta(seconds=self.delay) if self.delay is not None else None

    @property
    def estimated_arrival(self) -> datetime | None:
        if self.delay is None:
            return None
        return self.planned_arrival + timedelta(seconds=self.delay)

    @property
    def expected(self) -> datetime:
        return self.estimated or self.planned


@dataclass(frozen=True)
class Journey:
    """A direct ride: boarding call and alighting call of the same trip."""

    board: Call
    alight: Call


_st = TransitStopTime.__table__
_trip = TransitTrip.__table__
_CALL_COLUMNS = (
    _st.c.departure_secs,
    _st.c.arrival_secs,
    _st.c.stop_id,
    _st.c.stop_sequence,
    _st.c.stop_headsign,
    _trip.c.id,
    _trip.c.trip_id,
    _trip.c.route_id,
    _trip.c.headsign,
    _trip.c.direction_id,
    _trip.c.first_stop_id,
    _trip.c.last_stop_id,
)

_DEPARTURES = (
    select(*_CALL_COLUMNS)
    .select_from(_st.join(_trip, _trip.c.id == _st.c.trip_id))
    .where(
        _st.c.stop_id.in_(bindparam("stops", expanding=True)),
        _st.c.departure_secs >= bindparam("lo"),
        _st.c.departure_secs < bindparam("hi"),
        _trip.c.service_id.in_(bindparam("services", expanding=True)),
        _st.c.pickup_type != 1,
        _st.c.stop_sequence < _trip.c.last_sequence,
    )
    .order_by(_st.c.departure_secs, _trip.c.id)
    .limit(bindparam("n"))
)

_alight = aliased(TransitStopTime.__table__, name="alight")
_JOURNEYS = (
    select(
        *_CALL_COLUMNS,
        _alight.c.arrival_secs.label("a_arrival"),
        _alight.c.departure_secs.label("a_departure"),
        _alight.c.stop_id.label("a_stop"),
        _alight.c.stop_sequence.label("a_sequence"),
    )
    .select_from(
        _st.join(_trip, _trip.c.id == _st.c.trip_id).join(
            _alight,
            and_(_alight.c.trip_id == _st.c.trip_id, _alight.c.stop_sequence > _st.c.stop_sequence),
        )
    )
    .where(
        _st.c.stop_id.in_(bindparam("stops", expanding=True)),
        _st.c.departure_secs >= bindparam("lo"),
        _st.c.departure_secs < bindparam("hi"),
        _trip.c.service_id.in_(bindparam("services", expanding=True)),
        _st.c.pickup_type != 1,
        _alight.c.stop_id.in_(bindparam("targets", expanding=True)),
        _alight.c.drop_off_type != 1,
    )
    .order_by(_st.c.departure_secs, _trip.c.id, _alight.c.stop_sequence)
    .limit(bindparam("n"))
)


def _call(catalog: Catalog, day: date, row: Sequence) -> Call:
    return Call(
        service_day=day,
        stop_key=row[2],
        sequence=row[3],
        planned=instant(day, row[0], catalog.tz),
        planned_arrival=instant(day, row[1], catalog.tz),
        trip_key=row[5],
        trip_id=row[6],
        route_key=row[7],
        headsign=row[8],
        direction_id=row[9],
        first_stop=row[10],
        last_stop=row[11],
        stop_headsign=row[4],
    )


def with_realtime(call: Call, now: datetime) -> Call:
    if not realtime.is_monitored(call.planned, now):
        return call
    return replace(call, delay=realtime.delay_seconds(call.trip_id, call.service_day))


def _collect(
    conn: Connection,
    catalog: Catalog,
    query: object,
    params: dict,
    span: tuple[datetime, datetime],
) -> list[tuple[date, list[Sequence]]]:
    """Rows of `query` per service day reaching into `span` (earlier days first)."""
    out = []
    for window in service_windows(span[0], span[1], catalog.max_secs, catalog.tz):
        services = catalog.active_services(conn, window.day)
        if not services:
            continue
        rows = conn.execute(
            query, {**params, "lo": window.lo, "hi": window.hi, "services": sorted(services)}
        ).all()
        out.append((window.day, rows))
    return out


EARLY_SLACK = 60  # extra rows for departures planned before the requested time but delayed


def departures(
    conn: Connection,
    catalog: Catalog,
    stop_keys: list[int],
    start: datetime,
    limit: int,
    *,
    now: datetime,
    use_realtime: bool,
) -> list[Call]:
    """The next `limit` departures at `stop_keys` from `start` on (UTC), sorted by plan.

    With realtime, a departure planned up to 15 minutes before `start` is still listed while
    its delayed departure is not yet over. One query per service day and time window; a
    window whose rows were cut by the row limit continues where they were cut.
    """
    if not stop_keys or limit <= 0:
        return []
    found: dict[tuple[int, date, int], Call] = {}
    late = use_realtime and realtime.is_monitored(start, now)
    span_start = start - realtime.MAX_DELAY if late else start
    n = limit + EARLY_SLACK
    step = 0
    for _ in range(20):  # bounded: each round moves forward in time
        span_end = start + WINDOWS[step]
        cut_at: datetime | None = None
        for day, rows in _collect(
            conn, catalog, _DEPARTURES, {"stops": stop_keys, "n": n}, (span_start, span_end)
        ):
            for row in rows:
                call = _call(catalog, day, row)
                if use_realtime:
                    call = with_realtime(call, now)
                if call.planned >= start or call.expected >= start:
                    found[(call.trip_key, call.service_day, call.sequence)] = call
            if len(rows) == n:
                last = instant(day, rows[-1][0], catalog.tz)
                cut_at = last if cut_at is None else min(cut_at, last)
        if sum(1 for c in found.values() if c.planned >= start) >= limit:
            break
        if cut_at is not None and cut_at > span_start:
            span_start = cut_at
        elif step + 1 < len(WINDOWS):
            span_start, step = span_end, step + 1
        else:
            break
    calls = sorted(found.values(), key=lambda c: (c.planned, c.expected, c.trip_key))
    return calls[:limit]


def direct_journeys(
    conn: Connection,
    catalog: Catalog,
    origin_keys: list[int],
    destination_keys: list[int],
    start: datetime,
    count: int,
    *,
    now: datetime,
    use_realtime: bool,
) -> list[Journey]:
    """Rides without change from origin to destination leaving from `start` on.

    The first ride of every line comes first (the question is usually "which line goes
    there?"), then further rides in time order, at most `count`.
    """
    if not origin_keys or not destination_keys or count <= 0:
        return []
    found: dict[tuple[int, date, int], Journey] = {}
    window_start = start
    params = {"stops": origin_keys, "targets": destination_keys, "n": 200}
    for length in WINDOWS:
        span = (window_start, start + length)
        for day, row in (
            (day, row)
            for day, rows in _collect(conn, catalog, _JOURNEYS, params, span)
            for row in rows
        ):
            board = _call(catalog, day, row)
            key = (board.trip_key, board.service_day, board.sequence)
            if key in found:
                continue  # rows come nearest alighting stop first: keep that one
            alight = replace(
                board,
                stop_key=row.a_stop,
                sequence=row.a_sequence,
                planned=instant(day, row.a_departure, catalog.tz),
                planned_arrival=instant(day, row.a_arrival, catalog.tz),
            )
            if use_realtime:
                board, alight = with_realtime(board, now), with_realtime(alight, now)
                if alight.delay is None and board.delay is not None:
                    alight = replace(alight, delay=board.delay)
            found[key] = Journey(board, alight)
        if len(found) >= count:
            break
        window_start = start + length
    ordered = sorted(found.values(), key=lambda j: (j.board.planned, j.board.trip_key))
    chosen: list[Journey] = []
    seen_routes: set[int] = set()
    for journey in ordered:  # the next ride of every line ...
        if journey.board.route_key not in seen_routes:
            seen_routes.add(journey.board.route_key)
            chosen.append(journey)
    for journey in ordered:  # ... then the earliest further rides
        if len(chosen) >= count:
            break
        if journey not in chosen:
            chosen.append(journey)
    return sorted(chosen, key=lambda j: (j.board.planned, j.board.trip_key))


def trip_calls(
    conn: Connection, catalog: Catalog, journey: Journey
) -> list[tuple[int, int, int, int]]:
    """(sequence, stop key, arrival secs, departure secs) from boarding to alighting stop."""
    rows = conn.execute(
        select(_st.c.stop_sequence, _st.c.stop_id, _st.c.arrival_secs, _st.c.departure_secs)
        .where(
            _st.c.trip_id == journey.board.trip_key,
            _st.c.stop_sequence >= journey.board.sequence,
            _st.c.stop_sequence <= journey.alight.sequence,
        )
        .order_by(_st.c.stop_sequence)
    ).all()
    return [tuple(r) for r in rows]
