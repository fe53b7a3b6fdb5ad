"""The imported network held in memory: stops, routes, localities, calendars and alerts.

Loaded once per import (keyed by the feed's import time) because every EFA answer needs stop
names, localities and line data for many ids, while the departure rows themselves always come
from the database. Thread-safe: FastAPI runs the synchronous endpoints in a thread pool.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from opendata.settings import get_settings
from opendata.transit.alerts import Alert, normalise_line
from opendata.transit.models import (
    TransitAgency,
    TransitAlert,
    TransitCalendarDate,
    TransitFeedInfo,
    TransitLocality,
    TransitRoute,
    TransitService,
    TransitStop,
    TransitStopRoute,
)
from opendata.transit.products import Operator, operator_for
from opendata.transit.service_days import ServiceCalendar, active_services
from opendata.transit.stopfinder import Candidate, StopIndex

ACTIVE_CACHE_DAYS = 64


@dataclass(frozen=True)
class Stop:
    key: int
    stop_id: str
    name: str
    lat: float | None
    lon: float | None
    location_type: int
    parent: int | None
    platform_code: str | None


@dataclass(frozen=True)
class Route:
    key: int
    route_id: str
    agency_id: str | None
    short_name: str
    long_name: str | None
    route_type: int
    product_class: int
    product_name: str


@dataclass(frozen=True)
class Locality:
    name: str
    place_id: str


class Catalog:
    def __init__(
        self,
        *,
        version: datetime | None,
        tz: ZoneInfo,
        max_secs: int,
        stops: list[Stop],
        routes: list[Route],
        operators: dict[str, Operator],
        localities: dict[str, Locality],
        default_locality: Locality,
        services: list[ServiceCalendar],
        stop_routes: list[tuple[int, int]],
        alerts: list[Alert],
    ) -> None:
        self.version = version
        self.tz = tz
        self.max_secs = max_secs
        self.stops = {s.key: s for s in stops}
        self.by_stop_id = {s.stop_id: s.key for s in stops}
        self.routes = {r.key: r for r in routes}
        self.operators = operators
        self.localities = localities
        self.default_locality = default_locality
        self.services = services
        self.alerts = alerts
        self.children: dict[int, list[int]] = defaultdict(list)
        for stop in stops:
            if stop.parent is not None and stop.location_type == 0:
                self.children[stop.parent].append(stop.key)
        self.station_routes: dict[int, set[int]] = defaultdict(set)
        for stop_key, route_key in stop_routes:
            stop = self.stops.get(stop_key)
            if stop is not None:
                self.station_routes[self.station(stop).key].add(route_key)
        self._vrr = {s.key: _vrr_number(s.stop_id) for s in stops}
        self.vrr_ids = {self._vrr[s.key]: s.key for s in stops if self.is_station_level(s)}
        self.routes_by_name: dict[str, list[Route]] = defaultdict(list)
        for route in routes:
            self.routes_by_name[normalise_line(route.short_name)].append(route)
        self.memo: dict[str, Any] = {}  # JSON fragments built once per import (see efa.Efa)
        self._active: dict[date, frozenset[int]] = {}
        self._lock = threading.Lock()
        self._index: StopIndex | None = None

    # -- stops ---------------------------------------------------------------

    @staticmethod
    def is_station_level(stop: Stop) -> bool:
        """Stations, and stops that belong to no station: what EFA calls a "stop"."""
        return stop.location_type == 1 or (stop.location_type == 0 and stop.parent is None)

    def station(self, stop: Stop) -> Stop:
        if stop.location_type == 0 and stop.parent is not None and stop.parent in self.stops:
            return self.stops[stop.parent]
        return stop

    def boarding_keys(self, stop: Stop) -> list[int]:
        """Where vehicles stop: a station's platforms, or the stop itself."""
        if stop.location_type == 1:
            return list(self.children.get(stop.key, []))
        return [stop.key]

    def locality(self, stop: Stop) -> Locality:
        """By the municipality key in a DHID ("de:05112:..." -> "05112"), else the default."""
        parts = stop.stop_id.split(":")
        if len(parts) >= 3 and len(parts[0]) == 2:
            found = self.localities.get(parts[1])
            if found is not None:
                return found
        return self.default_locality

    def vrr_stop_id(self, stop: Stop) -> str:
        return self._vrr.get(stop.key) or _vrr_number(stop.stop_id)

    def find_by_id(self, value: str) -> Stop | None:
        """A stop by GTFS id (station or platform) or VRR numeric id."""
        key = self.by_stop_id.get(value)
        if key is None:
            key = self.vrr_ids.get(value)
        return self.stops.get(key) if key is not None else None

    def product_classes(self, station: Stop) -> list[int]:
        return sorted(
            {self.routes[r].product_class for r in self.station_routes.get(station.key, ())}
        )

    def routes_at(self, station: Stop) -> set[int]:
        return self.station_routes.get(station.key, set())

    def index(self) -> StopIndex:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    home = self.default_locality.name
                    self._index = StopIndex(
                        Candidate(
                            key=s.key,
                            name=s.name,
                            locality=self.locality(s).name,
                            is_home=not home or self.locality(s).name == home,
                        )
                        for s in self.stops.values()
                        if self.is_station_level(s)
                    )
        return self._index

    # -- calendar ------------------------------------------------------------

    def active_services(self, conn: Connection, day: date) -> frozenset[int]:
        cached = self._active.get(day)
        if cached is not None:
            return cached
        rows = conn.execute(
            select(TransitCalendarDate.service_id, TransitCalendarDate.exception_type).where(
                TransitCalendarDate.date == day
            )
        ).all()
        active = active_services(self.services, dict(rows), day)
        with self._lock:
            if len(self._active) >= ACTIVE_CACHE_DAYS:
                self._active.clear()
            self._active[day] = active
        return active

    def operator(self, route: Route) -> Operator:
        return self.operators.get(route.agency_id or "") or operator_for(route.agency_id, None)


def _vrr_number(stop_id: str) -> str:
    """VRR's numeric stop id: "de:05111:18235" -> "20018235"; other ids stay as they are."""
    parts = stop_id.split(":")
    if len(parts) >= 3 and parts[2].isdigit() and len(parts[2]) <= 7:
        return "2" + parts[2].zfill(7)
    return stop_id


def _load(conn: Connection, version: datetime | None, max_secs: int) -> Catalog:
    settings_tz = get_settings().timezone
    agencies = conn.execute(
        select(TransitAgency.agency_id, TransitAgency.name, TransitAgency.timezone)
    ).all()
    tz_name = agencies[0].timezone if agencies else settings_tz
    try:
        tz = ZoneInfo(tz_name)
    except (KeyError, ValueError):
        tz = ZoneInfo(settings_tz)
    localities = {
        row.code: Locality(row.name, row.place_id) for row in conn.execute(select(TransitLocality))
    }
    default = next(
        (
            Locality(row.name, row.place_id)
            for row in conn.execute(
                select(TransitLocality).where(TransitLocality.is_default.is_(True))
            )
        ),
        Locality("", ""),
    )
    stops = [
        Stop(r.id, r.stop_id, r.name, r.lat, r.lon, r.location_type, r.parent_id, r.platform_code)
        for r in conn.execute(select(TransitStop))
    ]
    routes = [
        Route(
            r.id,
            r.route_id,
            r.agency_id,
            r.short_name or r.long_name or r.route_id,
            r.long_name,
            r.route_type,
            r.product_class,
            r.product_name,
        )
        for r in conn.execute(select(TransitRoute))
    ]
    services = [
        ServiceCalendar(r.id, r.weekdays, r.start_date, r.end_date)
        for r in conn.execute(select(TransitService))
    ]
    stop_routes = [(r.stop_id, r.route_id) for r in conn.execute(select(TransitStopRoute))]
    alerts = [
        Alert(
            id=a.id,
            version=a.version,
            info_type=a.info_type,
            priority=a.priority,
            cause=a.cause,
            effect=a.effect,
            title=a.title,
            summary=a.summary,
            content=a.content,
            additional_text=a.additional_text,
            url=a.url,
            lines=tuple(x for x in a.lines.split(",") if x),
            stops=tuple(x for x in a.stops.split(",") if x),
            valid_from=a.valid_from,
            valid_to=a.valid_to,
            published_from=a.published_from,
            created_at=a.created_at,
            modified_at=a.modified_at,
        )
        for a in conn.execute(select(TransitAlert).order_by(TransitAlert.id))
    ]
    return Catalog(
        version=version,
        tz=tz,
        max_secs=max_secs,
        stops=stops,
        routes=routes,
        operators={a.agency_id: operator_for(a.agency_id, a.name) for a in agencies},
        localities=localities,
        default_locality=default,
        services=services,
        stop_routes=stop_routes,
        alerts=alerts,
    )


VERSION_CHECK_SECONDS = 2.0  # how often a request looks for a new import

_cache: dict[str, Catalog] = {}
_checked_at = 0.0
_cache_lock = threading.Lock()


def get_catalog(conn: Connection) -> Catalog:
    """The catalog of the current import; reloaded when the feed was imported again.

    Whether there is a new import is checked at most every few seconds, which saves every
    request a database round trip (imports happen at start-up or via the CLI).
    """
    global _checked_at
    cached = _cache.get("current")
    if cached is not None and time.monotonic() - _checked_at < VERSION_CHECK_SECONDS:
        return cached
    info = conn.execute(
        select(TransitFeedInfo.imported_at, TransitFeedInfo.max_departure_secs).where(
            TransitFeedInfo.id == 1
        )
    ).first()
    version = info.imported_at if info else None
    if cached is None or cached.version != version:
        with _cache_lock:
            cached = _cache.get("current")
            if cached is None or cached.version != version:
                cached = _load(conn, version, info.max_departure_secs if info else 0)
                _cache["current"] = cached
    _checked_at = time.monotonic()
    return cached
