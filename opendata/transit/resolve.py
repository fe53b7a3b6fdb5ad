"""Turning what a client sends (stop id, name or coordinate) into a stop, or candidates."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from opendata.transit.catalog import Catalog, Stop
from opendata.transit.params import EfaParamError, parse_coord
from opendata.transit.stopfinder import Match

NEAR_RADIUS_M = 1500


@dataclass(frozen=True)
class Resolution:
    stop: Stop | None = None  # station, stop or platform
    candidates: list[Match] = field(default_factory=list)  # several: ambiguous

    @property
    def ambiguous(self) -> bool:
        return self.stop is None and len(self.candidates) > 1


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(min(1.0, a)))


def nearest_stops(
    catalog: Catalog, lat: float, lon: float, radius_m: float, limit: int
) -> list[tuple[Stop, int]]:
    """Stations (and stops without station) within `radius_m`, nearest first, with metres."""
    dlat = radius_m / 111_000
    dlon = radius_m / max(1.0, 111_000 * math.cos(math.radians(lat)))
    found = []
    for stop in catalog.stops.values():
        if stop.lat is None or stop.lon is None or not catalog.is_station_level(stop):
            continue
        if abs(stop.lat - lat) > dlat or abs(stop.lon - lon) > dlon:
            continue
        metres = distance_m(lat, lon, stop.lat, stop.lon)
        if metres <= radius_m:
            found.append((stop, round(metres)))
    found.sort(key=lambda pair: (pair[1], pair[0].name))
    return found[:limit]


def resolve(
    catalog: Catalog, value: str, kind: str, place: str | None, parameter: str
) -> Resolution:
    """A stop from an id (GTFS/DHID or VRR number), a coordinate or a (possibly vague) name."""
    if kind == "coord":
        try:
            lat, lon = parse_coord(value, parameter)
        except EfaParamError:
            return Resolution()  # like EFA: an unusable location, reported in systemMessages
        near = nearest_stops(catalog, lat, lon, NEAR_RADIUS_M, 1)
        return Resolution(stop=near[0][0]) if near else Resolution()
    by_id = catalog.find_by_id(value)
    if by_id is not None:
        return Resolution(stop=by_id)
    if kind == "stopID":
        return Resolution()
    matches = catalog.index().search(value, place=place, limit=10)
    if not matches:
        return Resolution()
    if matches[0].is_best or len(matches) == 1:
        return Resolution(stop=catalog.stops[matches[0].candidate.key], candidates=matches[:1])
    return Resolution(candidates=matches)
