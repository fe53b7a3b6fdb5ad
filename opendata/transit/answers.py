"""The EFA requests: parameters in, rapidJSON body out (HTTP handling lives in routes)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection

from opendata.transit.alerts import normalise_line
from opendata.transit.catalog import Catalog, Stop
from opendata.transit.efa import Efa, envelope, system_message
from opendata.transit.params import EfaParamError, Params, parse_coord
from opendata.transit.products import line_key
from opendata.transit.resolve import Resolution, nearest_stops, resolve
from opendata.transit.stopfinder import Candidate, Match
from opendata.transit.timetable import departures, direct_journeys, trip_calls

STOP_TYPES = ("any", "stop", "stopID", "coord")
CODE_STOP_INVALID = -2000  # EFA: stop unknown
CODE_NO_DEPARTURE = -4030  # EFA: no matching departure found
CODE_NOT_UNIQUE = -8011  # EFA: input not unique / nothing found in the stop finder
CODE_UNIQUE = -8010  # EFA: input uniquely verified
CODE_NO_TRIP = -4000  # no direct connection found (value as used by EFA trip requests)


def _candidates(efa: Efa, matches: list[Match]) -> list[dict[str, Any]]:
    return [efa.stop(efa.catalog.stops[m.candidate.key], match=m) for m in matches]


def _unresolved(efa: Efa, found: Resolution, parameter: str) -> dict[str, Any]:
    """Body for a name that matches no stop, or several."""
    if found.ambiguous:
        message = system_message(CODE_NOT_UNIQUE, f"{parameter}: several stops match")
        return envelope(systemMessages=[message], locations=_candidates(efa, found.candidates))
    message = system_message(CODE_STOP_INVALID, f"{parameter}: stop invalid")
    return envelope(systemMessages=[message], locations=[])


def _boarding(catalog: Catalog, stop: Stop) -> list[int]:
    """Platforms of a station (plus the station itself for feeds that stop there directly)."""
    if stop.location_type == 1:
        return [*catalog.boarding_keys(stop), stop.key]
    return [stop.key]


def departure_monitor(conn: Connection, catalog: Catalog, params: Params, now: datetime) -> dict:
    params.check_output_format()
    kind = params.choice("type_dm", STOP_TYPES, "any")
    name = params.text("name_dm", required=True)
    place = params.text("place_dm")
    limit = params.integer("limit", 40, 1, 500)
    start = params.moment(catalog.tz, now)
    params.departure_mode()
    use_realtime = params.flag("useRealtime", True)
    efa = Efa(catalog, now)
    found = resolve(catalog, name, kind, place, "name_dm")
    if found.stop is None:
        return _unresolved(efa, found, "name_dm")
    station = catalog.station(found.stop)
    calls = departures(
        conn,
        catalog,
        _boarding(catalog, found.stop),
        start,
        limit,
        now=now,
        use_realtime=use_realtime,
    )
    messages = [] if calls else [system_message(CODE_NO_DEPARTURE, "no matching departure found")]
    return envelope(
        systemMessages=messages,
        locations=[efa.stop(station, assigned=True)],
        stopEvents=[efa.stop_event(c) for c in calls],
    )


def stop_finder(catalog: Catalog, params: Params, now: datetime) -> dict:
    params.check_output_format()
    kind = params.choice("type_sf", ("any", "stop", "coord", "poi", "address"), "any")
    name = params.text("name_sf", required=True)
    limit = params.integer("anyMaxSizeHitList", 10, 1, 100)
    efa = Efa(catalog, now)
    radius = params.integer("radius_sf", 1500, 1, 20_000)
    place = params.text("place_sf")
    if kind == "coord":
        try:
            lat, lon = parse_coord(name or "", "name_sf")
        except EfaParamError as error:  # EFA answers with a message, as for unknown names
            message = system_message(CODE_NOT_UNIQUE, f"{error.parameter}: {error.text}")
            return envelope(systemMessages=[message], locations=[])
        return _near(efa, lat, lon, radius, limit)
    if kind in ("poi", "address"):  # this server knows stops only
        return envelope(systemMessages=[system_message(CODE_NOT_UNIQUE, "")], locations=[])
    by_id = catalog.find_by_id(name or "")
    if by_id is not None:
        station = catalog.station(by_id)
        match = Match(candidate=_as_candidate(catalog, station), quality=1000, is_best=True)
        message = system_message(CODE_UNIQUE, "Any - input uniquely verified", "message")
        return envelope(systemMessages=[message], locations=[efa.stop(station, match=match)])
    matches = catalog.index().search(name or "", place=place, limit=limit)
    if not matches:
        return envelope(systemMessages=[system_message(CODE_NOT_UNIQUE, "")], locations=[])
    messages = []
    if len(matches) == 1:
        messages = [system_message(CODE_UNIQUE, "Any - input uniquely verified", "message")]
    return envelope(systemMessages=messages, locations=_candidates(efa, matches))


def _as_candidate(catalog: Catalog, station: Stop) -> Candidate:
    locality = catalog.locality(station).name
    return Candidate(station.key, station.name, locality, locality == catalog.default_locality.name)


def _near(efa: Efa, lat: float, lon: float, radius: int, limit: int) -> dict:
    found = nearest_stops(efa.catalog, lat, lon, radius, limit)
    if not found:
        return envelope(systemMessages=[system_message(CODE_NOT_UNIQUE, "")], locations=[])
    locations = []
    for stop, metres in found:
        item = efa.stop(stop)
        item["properties"]["distance"] = metres
        item["distance"] = metres
        locations.append(item)
    return envelope(locations=locations)


def coord_request(catalog: Catalog, params: Params, now: datetime) -> dict:
    """XML_COORD_REQUEST: stops around a coordinate (coord=lon:lat:WGS84[dd.ddddd])."""
    params.check_output_format()
    lat, lon = parse_coord(params.text("coord", required=True) or "", "coord")
    radius = params.integer("radius_1", 1000, 1, 20_000)
    limit = params.integer("max", 10, 1, 100)
    return _near(Efa(catalog, now), lat, lon, radius, limit)


def _line_matches(efa: Efa, wanted: list[str]) -> set[str]:
    """Normalised line names for selLine values: "903", "U 79" or an EFA id "dvg:20079: :H:j26"."""
    names = set()
    for value in wanted:
        if ":" in value:
            key = line_key(value)
            for route in efa.catalog.routes.values():
                if line_key(efa.line(route, 0, efa.now.date())["id"]) == key:
                    names.add(normalise_line(route.short_name))
        else:
            names.add(normalise_line(value))
    return names


def additional_info(catalog: Catalog, params: Params, now: datetime) -> dict:
    """XML_ADDINFO_REQUEST: current (published, not over) and historic alerts, filterable."""
    params.check_output_format()
    status = params.choice("filterPublicationStatus", ("current", "historic"), "")
    efa = Efa(catalog, now)
    lines = _line_matches(efa, params.texts("itdLPxx_selLine"))
    stop_values = params.texts("itdLPxx_selStop")
    stop_ids: set[str] = set()
    stop_routes: set[str] = set()
    for value in stop_values:
        stop = catalog.find_by_id(value)
        if stop is None:
            found = resolve(catalog, value, "any", None, "itdLPxx_selStop")
            stop = found.stop
        if stop is None:
            continue
        station = catalog.station(stop)
        stop_ids.update({station.stop_id, stop.stop_id})
        stop_ids.update(catalog.stops[k].stop_id for k in catalog.boarding_keys(station))
        stop_routes.update(
            normalise_line(catalog.routes[r].short_name) for r in catalog.routes_at(station)
        )
    naive_now = now.astimezone(timezone.utc).replace(tzinfo=None)

    def wanted(alert: Any) -> bool:
        alert_lines = {normalise_line(x) for x in alert.lines}
        if lines and alert.info_type != "generalInfo" and not lines & alert_lines:
            return False
        if stop_values:
            at_stop = bool(stop_ids & set(alert.stops))
            on_lines = alert.info_type == "lineInfo" and bool(alert_lines & stop_routes)
            if not (at_stop or on_lines or alert.info_type == "generalInfo"):
                return False
        return True

    current = [a for a in catalog.alerts if a.is_current(naive_now) and wanted(a)]
    historic = [a for a in catalog.alerts if a.is_historic(naive_now) and wanted(a)]
    if status == "current":
        historic = []
    elif status == "historic":
        current = []
    current_items = [efa.info(a) for a in current]
    affected_lines: dict[str, dict] = {}
    affected_stops: dict[str, dict] = {}
    for item in current_items:
        for line in item["affected"]["lines"]:
            affected_lines.setdefault(line["id"], line)
        for stop in item["affected"]["stops"]:
            affected_stops.setdefault(stop["id"], stop)
    return envelope(
        infos={
            "current": current_items,
            "historic": [efa.info(a) for a in historic],
            "affected": {
                "lines": list(affected_lines.values()),
                "stops": list(affected_stops.values()),
            },
        }
    )


def trip_request(conn: Connection, catalog: Catalog, params: Params, now: datetime) -> dict:
    """XML_TRIP_REQUEST2, direct connections only (maxChanges is honoured as 0)."""
    params.check_output_format()
    origin_kind = params.choice("type_origin", STOP_TYPES, "any")
    destination_kind = params.choice("type_destination", STOP_TYPES, "any")
    origin_name = params.text("name_origin", required=True) or ""
    destination_name = params.text("name_destination", required=True) or ""
    params.integer("maxChanges", 0, 0, 9)
    count = params.integer("calcNumberOfTrips", 5, 1, 20)
    start = params.moment(catalog.tz, now)
    params.departure_mode()
    use_realtime = params.flag("useRealtime", True)
    origin_place = params.text("place_origin")
    destination_place = params.text("place_destination")
    efa = Efa(catalog, now)
    origin = resolve(catalog, origin_name, origin_kind, origin_place, "name_origin")
    if origin.stop is None:
        return {**_unresolved(efa, origin, "name_origin"), "journeys": []}
    destination = resolve(
        catalog, destination_name, destination_kind, destination_place, "name_destination"
    )
    if destination.stop is None:
        return {**_unresolved(efa, destination, "name_destination"), "journeys": []}
    a, b = catalog.station(origin.stop), catalog.station(destination.stop)
    if a.key == b.key:
        raise EfaParamError("name_destination", "origin and destination are the same stop")
    journeys = direct_journeys(
        conn,
        catalog,
        _boarding(catalog, origin.stop),
        _boarding(catalog, destination.stop),
        start,
        count,
        now=now,
        use_realtime=use_realtime,
    )
    messages = [] if journeys else [system_message(CODE_NO_TRIP, "no direct connection found")]
    return envelope(
        systemMessages=messages,
        journeys=[efa.journey(j, trip_calls(conn, catalog, j)) for j in journeys],
    )
