"""VRR EFA rapidJSON building blocks: locations, lines, stop events, infos and journeys.

Shapes follow real VRR answers (departure monitor of 2025-06, see the research reference §3.3)
and other EFA rapidJSON installations for stop finder, trips and ADDINFO. All times are UTC
with a "Z"; coordinates are WGS84 [lat, lon] as with coordOutputFormat=WGS84[dd.ddddd].
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from opendata.transit.alerts import Alert, normalise_line
from opendata.transit.catalog import Catalog, Route, Stop
from opendata.transit.products import line_id
from opendata.transit.service_days import instant, timetable_year
from opendata.transit.stopfinder import Match
from opendata.transit.timetable import Call, Journey

VERSION = "10.6.21.17"  # the EFA release whose rapidJSON this server reproduces


def iso(moment: datetime) -> str:
    """UTC ISO 8601 with Z; naive values are taken as UTC (database convention)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def system_message(code: int, text: str, kind: str = "error") -> dict[str, Any]:
    return {"type": kind, "module": "BROKER", "code": code, "text": text}


def envelope(**parts: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"version": VERSION, "systemMessages": []}
    body.update(parts)
    return body


class Efa:
    """Turns catalog objects and timetable rows into EFA JSON for one request."""

    def __init__(self, catalog: Catalog, now: datetime) -> None:
        self.catalog = catalog
        self.now = now
        # Platforms and lines look the same in every answer of an import: memoised in the
        # catalog (shared read-only by all requests). Infos depend on "now": per request.
        self._points: dict[int, dict[str, Any]] = catalog.memo.setdefault("points", {})
        self._lines: dict[Any, dict[str, Any]] = catalog.memo.setdefault("lines", {})
        self._infos: dict[str, dict[str, Any]] = {}

    # -- locations -----------------------------------------------------------

    @staticmethod
    def _global(stop_id: str) -> bool:
        parts = stop_id.split(":")
        return len(parts) >= 3 and len(parts[0]) == 2

    @staticmethod
    def coord(stop: Stop) -> list[float] | None:
        if stop.lat is None or stop.lon is None:
            return None
        return [round(stop.lat, 5), round(stop.lon, 5)]

    def locality(self, stop: Stop) -> dict[str, Any]:
        loc = self.catalog.locality(stop)
        out: dict[str, Any] = {"name": loc.name, "type": "locality"}
        if loc.place_id:
            out = {"id": loc.place_id, **out}
        return out

    def full_name(self, stop: Stop) -> str:
        loc = self.catalog.locality(stop).name
        return f"{loc}, {stop.name}" if loc else stop.name

    def _with_coord(self, out: dict[str, Any], stop: Stop) -> dict[str, Any]:
        point = self.coord(stop)
        if point is not None:
            out["coord"] = point
        return out

    def stop(self, station: Stop, match: Match | None = None, assigned: bool = False) -> dict:
        """A stop-level location (station or stop without station)."""
        out: dict[str, Any] = {
            "id": station.stop_id,
            "isGlobalId": self._global(station.stop_id),
            "name": self.full_name(station),
            "disassembledName": station.name,
        }
        self._with_coord(out, station)
        out["type"] = "stop"
        if match is not None:
            out["matchQuality"] = match.quality
            out["isBest"] = match.is_best
        out["parent"] = self.locality(station)
        out["productClasses"] = self.catalog.product_classes(station)
        if assigned:
            inner: dict[str, Any] = {
                "id": station.stop_id,
                "isGlobalId": self._global(station.stop_id),
                "name": station.name,
                "type": "stop",
            }
            self._with_coord(inner, station)
            inner.update(
                {
                    "parent": {"name": self.catalog.locality(station).name, "type": "locality"},
                    "productClasses": out["productClasses"],
                    "connectingMode": 100,
                    "properties": {"stopId": self.catalog.vrr_stop_id(station)},
                }
            )
            out["assignedStops"] = [inner]
        out["properties"] = {
            "stopId": self.catalog.vrr_stop_id(station),
            "mainLocality": self.catalog.locality(station).name,
        }
        return out

    def point(self, stop: Stop) -> dict[str, Any]:
        """Where a vehicle stops: a platform of a station, or a stop without platforms."""
        cached = self._points.get(stop.key)
        if cached is None:
            cached = self._points[stop.key] = self._point(stop)
        return dict(cached)  # callers add top-level keys only; nested parts are shared

    def _point(self, stop: Stop) -> dict[str, Any]:
        station = self.catalog.station(stop)
        if station.key == stop.key:
            out = {
                "id": stop.stop_id,
                "isGlobalId": self._global(stop.stop_id),
                "name": stop.name,
                "disassembledName": stop.name,
                "type": "stop",
            }
            self._with_coord(out, stop)
            out["properties"] = {"stopId": self.catalog.vrr_stop_id(stop)}
            out["parent"] = {"name": self.catalog.locality(stop).name, "type": "locality"}
            return out
        parts = stop.stop_id.split(":")
        code = stop.platform_code or (parts[4] if len(parts) >= 5 else "")
        out = {
            "id": stop.stop_id,
            "isGlobalId": self._global(stop.stop_id),
            "name": station.name,
            "disassembledName": code,
            "type": "platform",
            "pointType": "PLATFORM",
        }
        self._with_coord(out, stop)
        out["properties"] = {
            "stopId": self.catalog.vrr_stop_id(station),
            "area": parts[3] if len(parts) >= 4 else "",
            "platform": code,
            "platformName": code,
            "plannedPlatformName": code,
        }
        out["parent"] = {
            "id": station.stop_id,
            "isGlobalId": self._global(station.stop_id),
            "name": station.name,
            "type": "stop",
            "parent": {"name": self.catalog.locality(station).name, "type": "locality"},
            "properties": {"stopId": self.catalog.vrr_stop_id(station)},
        }
        return out

    def short_stop(self, stop: Stop | None, name: str | None = None) -> dict[str, Any]:
        """The compact {id, name, type} used for a line's origin and destination."""
        if stop is None:
            return {"name": name or "", "type": "stop"}
        station = self.catalog.station(stop)
        return {
            "id": self.catalog.vrr_stop_id(station),
            "name": name or station.name,
            "type": "stop",
        }

    # -- lines ---------------------------------------------------------------

    def line(self, route: Route, direction_id: int | None, day: Any) -> dict[str, Any]:
        key = (route.key, direction_id, timetable_year(day))
        cached = self._lines.get(key)
        if cached is None:
            cached = self._lines[key] = self._line(route, direction_id, day)
        return dict(cached)

    def _line(self, route: Route, direction_id: int | None, day: Any) -> dict[str, Any]:
        operator = self.catalog.operator(route)
        return {
            "id": line_id(operator, route.short_name, route.route_type, direction_id, day),
            "name": f"{route.product_name} {route.short_name}",
            "disassembledName": route.short_name,
            "number": route.short_name,
            "description": route.long_name or "",
            "product": {
                "id": route.product_class,
                "class": route.product_class,
                "name": route.product_name,
            },
            "operator": {"code": operator.code, "id": operator.id, "name": operator.name},
        }

    def transportation(self, call: Call) -> dict[str, Any]:
        route = self.catalog.routes[call.route_key]
        out = self.line(route, call.direction_id, call.service_day)
        first = self.catalog.stops.get(call.first_stop) if call.first_stop else None
        last = self.catalog.stops.get(call.last_stop) if call.last_stop else None
        out["destination"] = self.short_stop(last, call.stop_headsign or call.headsign)
        out["origin"] = self.short_stop(first)
        out["properties"] = {"tripCode": call.trip_key, "lineDisplay": "LINE"}
        return out

    # -- infos ---------------------------------------------------------------

    def info(self, alert: Alert) -> dict[str, Any]:
        """An alert as EFA info item (same shape in DM, trips and ADDINFO)."""
        cached = self._infos.get(alert.id)
        if cached is None:
            cached = self._infos[alert.id] = self._info(alert)
        return cached  # shared between stop events: serialised as is, never modified

    def _info(self, alert: Alert) -> dict[str, Any]:
        tz = self.catalog.tz
        period = (
            f"{alert.valid_from.replace(tzinfo=timezone.utc).astimezone(tz):%d/%m/%Y %H:%M} - "
            f"{alert.valid_to.replace(tzinfo=timezone.utc).astimezone(tz):%d/%m/%Y %H:%M}"
        )
        link: dict[str, Any] = {
            "urlText": alert.summary,
            "url": alert.url or "",
            "content": alert.content,
            "subtitle": alert.title,
            "title": alert.title,
            "smsText": alert.summary,
        }
        if alert.additional_text:
            link["additionalText"] = alert.additional_text
        lines = []
        for name in alert.lines:
            for route in self.catalog.routes_by_name.get(normalise_line(name), []):
                line = self.line(route, 0, self.now.date())
                line["type"] = "line"
                lines.append(line)
        stops = []
        for stop_id in alert.stops:
            stop = self.catalog.find_by_id(stop_id)
            if stop is not None:
                stops.append(self.stop(self.catalog.station(stop)))
        return {
            "priority": alert.priority,
            "id": alert.id,
            "version": alert.version,
            "type": alert.info_type,
            "timestamps": {
                "creation": iso(alert.created_at),
                "lastModification": iso(alert.modified_at),
                "availability": {"from": iso(alert.published_from), "to": iso(alert.valid_to)},
                "validity": [{"from": iso(alert.valid_from), "to": iso(alert.valid_to)}],
            },
            "infoLinks": [link],
            "affected": {"lines": lines, "stops": stops},
            "properties": {
                "publisher": "ems.comm.addinfo",
                "infoType": alert.info_type,
                "incidentDateTime": period,
                "smsText": alert.summary,
                "cause": alert.cause,
                "effect": alert.effect,
            },
        }

    def call_infos(self, call: Call) -> list[dict[str, Any]]:
        """Alerts published by now that are valid at the call and concern its line or stop."""
        route = self.catalog.routes[call.route_key]
        stop = self.catalog.stops[call.stop_key]
        stop_ids = {stop.stop_id, self.catalog.station(stop).stop_id}
        planned = call.planned.astimezone(timezone.utc).replace(tzinfo=None)
        now = self.now.astimezone(timezone.utc).replace(tzinfo=None)
        return [
            self.brief_info(a)
            for a in self.catalog.alerts
            if a.published_from <= now
            and a.is_valid_at(planned)
            and a.applies_to(route.short_name, stop_ids)
        ]

    def brief_info(self, alert: Alert) -> dict[str, Any]:
        """The info item as attached to departures: affected lines as short references only
        (a board repeats it for every departure; XML_ADDINFO_REQUEST has the full item)."""
        key = "brief:" + alert.id
        cached = self._infos.get(key)
        if cached is None:
            full = self.info(alert)
            lines = [
                {k: line[k] for k in ("id", "name", "number", "disassembledName", "type")}
                for line in full["affected"]["lines"]
            ]
            cached = self._infos[key] = {**full, "affected": {"lines": lines}}
        return cached

    # -- departure monitor and trips -------------------------------------------

    def stop_event(self, call: Call) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if call.delay is not None:
            out["realtimeStatus"] = ["MONITORED"]
        out["isRealtimeControlled"] = call.delay is not None
        out["location"] = self.point(self.catalog.stops[call.stop_key])
        out["departureTimePlanned"] = iso(call.planned)
        out["departureTimeBaseTimetable"] = iso(call.planned)
        if call.estimated is not None:
            out["departureTimeEstimated"] = iso(call.estimated)
        out["transportation"] = self.transportation(call)
        infos = self.call_infos(call)
        if infos:
            out["infos"] = infos
        out["properties"] = {"AVMSTripID": call.trip_id}
        return out

    def journey(self, journey: Journey, calls: list[tuple[int, int, int, int]]) -> dict:
        board, alight = journey.board, journey.alight
        origin = self.point(self.catalog.stops[board.stop_key])
        origin["departureTimeBaseTimetable"] = iso(board.planned)
        origin["departureTimePlanned"] = iso(board.planned)
        if board.estimated is not None:
            origin["departureTimeEstimated"] = iso(board.estimated)
        destination = self.point(self.catalog.stops[alight.stop_key])
        destination["arrivalTimeBaseTimetable"] = iso(alight.planned_arrival)
        destination["arrivalTimePlanned"] = iso(alight.planned_arrival)
        if alight.estimated_arrival is not None:
            destination["arrivalTimeEstimated"] = iso(alight.estimated_arrival)
        sequence = []
        delay = board.delay
        for seq, stop_key, arrival, departure in calls:
            item = self.point(self.catalog.stops[stop_key])
            arr = instant(board.service_day, arrival, self.catalog.tz)
            dep = instant(board.service_day, departure, self.catalog.tz)
            if seq != board.sequence:
                item["arrivalTimePlanned"] = iso(arr)
                if delay is not None:
                    item["arrivalTimeEstimated"] = iso(arr + timedelta(seconds=delay))
            if seq != alight.sequence:
                item["departureTimePlanned"] = iso(dep)
                if delay is not None:
                    item["departureTimeEstimated"] = iso(dep + timedelta(seconds=delay))
            sequence.append(item)
        leg: dict[str, Any] = {
            "duration": int((alight.planned_arrival - board.planned).total_seconds()),
            "isRealtimeControlled": delay is not None,
        }
        if delay is not None:
            leg["realtimeStatus"] = ["MONITORED"]
        leg.update(
            {
                "origin": origin,
                "destination": destination,
                "transportation": self.transportation(board),
                "stopSequence": sequence,
                "infos": self.call_infos(board),
            }
        )
        return {
            "rating": 0,
            "isAdditional": False,
            "interchanges": 0,
            "legs": [leg],
        }
