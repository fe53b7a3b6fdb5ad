"""VRR EFA client (rapidJSON): stop finder, departure monitor, disruptions, direct trips."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from actions.clients.http import ApiError, Fetched, JsonApi

COMMON = {"outputFormat": "rapidJSON", "coordOutputFormat": "WGS84[dd.ddddd]"}


@dataclass(frozen=True)
class Stop:
    id: str
    name: str
    short_name: str
    lat: float | None = None
    lon: float | None = None
    quality: int = 0
    is_best: bool = False
    distance_m: int | None = None


@dataclass(frozen=True)
class Info:
    title: str
    text: str
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Departure:
    line: str
    destination: str
    planned: datetime
    estimated: datetime | None
    platform: str = ""
    infos: tuple[Info, ...] = ()

    @property
    def delay_minutes(self) -> int | None:
        if self.estimated is None:
            return None
        return round((self.estimated - self.planned).total_seconds() / 60)

    @property
    def expected(self) -> datetime:
        return self.estimated or self.planned


@dataclass(frozen=True)
class Board:
    stop: Stop | None
    candidates: list[Stop] = field(default_factory=list)  # several: ambiguous name
    departures: list[Departure] = field(default_factory=list)


@dataclass(frozen=True)
class Journey:
    line: str
    destination: str
    departure: datetime
    departure_estimated: datetime | None
    arrival: datetime | None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _coord(location: dict[str, Any]) -> tuple[float | None, float | None]:
    coord = location.get("coord")
    if isinstance(coord, list) and len(coord) == 2:
        return float(coord[0]), float(coord[1])  # WGS84[dd.ddddd] is [lat, lon]
    return None, None


def parse_stop(location: dict[str, Any]) -> Stop:
    lat, lon = _coord(location)
    distance = location.get("properties", {}).get("distance")
    return Stop(
        id=str(location.get("id", "")),
        name=str(location.get("name", "")),
        short_name=str(location.get("disassembledName") or location.get("name", "")),
        lat=lat,
        lon=lon,
        quality=int(location.get("matchQuality") or 0),
        is_best=bool(location.get("isBest")),
        distance_m=int(distance) if distance is not None else None,
    )


def _line_number(transportation: dict[str, Any]) -> str:
    return str(
        transportation.get("disassembledName")
        or transportation.get("number")
        or transportation.get("name", "")
    )


def parse_infos(items: Any) -> tuple[Info, ...]:
    infos = []
    for item in items or []:
        for link in item.get("infoLinks") or [{}]:
            title = str(link.get("title") or link.get("subtitle") or "")
            text = str(link.get("urlText") or link.get("smsText") or title)
            lines = tuple(
                _line_number(line) for line in item.get("affected", {}).get("lines", []) or []
            )
            if title or text:
                infos.append(Info(title=title, text=text, lines=lines))
    return tuple(infos)


def parse_departure(event: dict[str, Any]) -> Departure:
    transportation = event.get("transportation") or {}
    planned = _time(event.get("departureTimePlanned"))
    if planned is None:
        raise ApiError("bad_response", "stopEvent without departureTimePlanned")
    platform = (event.get("location") or {}).get("properties", {}).get("platformName", "")
    return Departure(
        line=_line_number(transportation),
        destination=str((transportation.get("destination") or {}).get("name", "")),
        planned=planned,
        estimated=_time(event.get("departureTimeEstimated")),
        platform=str(platform or ""),
        infos=parse_infos(event.get("infos")),
    )


class TransitClient:
    def __init__(self, api: JsonApi, place: str = "") -> None:
        self.api = api
        self.place = place

    async def find_stops(self, name: str) -> list[Stop]:
        fetched = await self.api.get(
            "/XML_STOPFINDER_REQUEST",
            {**COMMON, "type_sf": "any", "name_sf": name, "locationServerActive": 1},
        )
        locations = self._locations(fetched)
        stops = [parse_stop(loc) for loc in locations if loc.get("type") in ("stop", None)]
        return sorted(stops, key=lambda s: (not s.is_best, -s.quality))

    async def nearby_stops(self, lat: float, lon: float) -> list[Stop]:
        fetched = await self.api.get(
            "/XML_STOPFINDER_REQUEST",
            {**COMMON, "type_sf": "coord", "name_sf": f"{lon:.5f}:{lat:.5f}:WGS84[dd.ddddd]"},
        )
        stops = [parse_stop(loc) for loc in self._locations(fetched)]
        return sorted(stops, key=lambda s: s.distance_m if s.distance_m is not None else 10**9)

    async def departures(self, stop_id: str, limit: int = 40) -> tuple[Board, Fetched]:
        fetched = await self.api.get(
            "/XML_DM_REQUEST",
            {
                **COMMON,
                "mode": "direct",
                "type_dm": "any",
                "name_dm": stop_id,
                "useRealtime": 1,
                "limit": limit,
            },
        )
        data = fetched.data if isinstance(fetched.data, dict) else {}
        locations = [parse_stop(loc) for loc in data.get("locations") or []]
        events = data.get("stopEvents") or []
        if not events and len(locations) > 1:
            return Board(stop=None, candidates=locations), fetched
        stop = locations[0] if locations else None
        return Board(stop=stop, departures=[parse_departure(e) for e in events]), fetched

    async def disruptions(self, line: str | None = None) -> tuple[list[Info], Fetched]:
        params: dict[str, Any] = {**COMMON, "filterPublicationStatus": "current"}
        if line:
            params["itdLPxx_selLine"] = line
        fetched = await self.api.get("/XML_ADDINFO_REQUEST", params)
        infos = (fetched.data.get("infos") or {}) if isinstance(fetched.data, dict) else {}
        current = infos.get("current") if isinstance(infos, dict) else None
        return list(parse_infos(current or [])), fetched

    async def direct_journeys(
        self, origin_id: str, destination_id: str
    ) -> tuple[list[Journey], Fetched]:
        fetched = await self.api.get(
            "/XML_TRIP_REQUEST2",
            {
                **COMMON,
                "type_origin": "any",
                "name_origin": origin_id,
                "type_destination": "any",
                "name_destination": destination_id,
                "maxChanges": 0,
                "useRealtime": 1,
            },
        )
        journeys = []
        for journey in (fetched.data or {}).get("journeys") or []:
            legs = journey.get("legs") or []
            if len(legs) != 1:
                continue
            leg = legs[0]
            transportation = leg.get("transportation") or {}
            departure = _time((leg.get("origin") or {}).get("departureTimePlanned"))
            if departure is None:
                continue
            journeys.append(
                Journey(
                    line=_line_number(transportation),
                    destination=str((transportation.get("destination") or {}).get("name", "")),
                    departure=departure,
                    departure_estimated=_time(
                        (leg.get("origin") or {}).get("departureTimeEstimated")
                    ),
                    arrival=_time((leg.get("destination") or {}).get("arrivalTimePlanned")),
                )
            )
        return journeys, fetched

    @staticmethod
    def _locations(fetched: Fetched) -> list[dict[str, Any]]:
        if not isinstance(fetched.data, dict):
            raise ApiError("bad_response", "EFA answer is not an object")
        return [loc for loc in fetched.data.get("locations") or [] if isinstance(loc, dict)]
