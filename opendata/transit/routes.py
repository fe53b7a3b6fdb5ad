"""HTTP routes of the transit domain: VRR EFA endpoints answering in rapidJSON."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Connection

from opendata import clock, demo
from opendata.db import get_engine
from opendata.transit import answers
from opendata.transit.catalog import get_catalog
from opendata.transit.params import EfaParamError, Params, schema

router = APIRouter(tags=["transit (VRR EFA rapidJSON)"])

_ERROR = {
    400: {
        "description": "Invalid parameter; body: {version, systemMessages: [{type: error, "
        "module, code, text}]}"
    }
}
_COMMON = [
    ("outputFormat", "rapidJSON (the only format served)", schema("output")),
    (
        "coordOutputFormat",
        "WGS84[dd.ddddd]; coordinates are always WGS84 [lat, lon]",
        schema("coord_output"),
    ),
    (
        "useRealtime",
        "1 (default) adds simulated realtime near the current time, 0 timetable only",
        schema("flag"),
    ),
    ("locationServerActive", "accepted for compatibility", schema("any")),
    ("stateless", "accepted for compatibility", schema("any")),
]
_WHEN = [
    ("itdDate", "service date YYYYMMDD (default: today, Europe/Berlin)", schema("date")),
    ("itdTime", "time HHMM (default: now)", schema("time")),
    (
        "itdTripDateTimeDepArr",
        "dep (arrival-based requests are not supported)",
        schema("any", enum=["dep", ""]),
    ),
]


def _int(low: int, high: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high}


def _doc(*params: tuple[str, str, dict[str, Any]], required: tuple[str, ...] = ()) -> dict:
    return {
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": spec,
                "description": text,
            }
            for name, text, spec in params
        ]
    }


_STOP_TYPES = schema("any", enum=["any", "stop", "stopID", "coord", ""])


def read_connection() -> Iterator[Connection]:
    """FastAPI dependency: a read-only connection in autocommit mode (the transit endpoints
    only read, so no BEGIN/ROLLBACK round trips per request)."""
    with get_engine().connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")


def _answer(build: Callable[[], dict]) -> JSONResponse:
    try:
        return JSONResponse(build(), headers=demo.headers("transit"))
    except EfaParamError as error:
        return error.response()


@router.get(
    "/standard/XML_DM_REQUEST",
    summary="Departure monitor (EFA XML_DM_REQUEST, rapidJSON)",
    responses=_ERROR,
    openapi_extra=_doc(
        (
            "name_dm",
            "stop id (DHID or VRR number), stop name, or <lon>:<lat>:WGS84[dd.ddddd] "
            "with type_dm=coord",
            schema("required_text"),
        ),
        ("type_dm", "any | stop | stopID | coord", _STOP_TYPES),
        ("place_dm", "locality the name is in, e.g. Duisburg", schema("text")),
        ("mode", "direct", schema("any")),
        ("limit", "number of departures (default 40)", _int(1, 500)),
        *_WHEN,
        *_COMMON,
        required=("name_dm",),
    ),
)
def departure_monitor(
    request: Request, conn: Connection = Depends(read_connection)
) -> JSONResponse:
    """Next departures at a stop; an ambiguous name returns candidate locations instead."""
    return _answer(
        lambda: answers.departure_monitor(
            conn, get_catalog(conn), Params(request.query_params), clock.now()
        )
    )


@router.get(
    "/standard/XML_STOPFINDER_REQUEST",
    summary="Stop finder (EFA XML_STOPFINDER_REQUEST, rapidJSON)",
    responses=_ERROR,
    openapi_extra=_doc(
        (
            "name_sf",
            "stop name (forgiving) or id, or <lon>:<lat>:WGS84[dd.ddddd] with type_sf=coord",
            schema("required_text"),
        ),
        (
            "type_sf",
            "any | stop | coord (poi, address: no results, this server knows stops only)",
            schema("any", enum=["any", "stop", "coord", "poi", "address", ""]),
        ),
        ("place_sf", "locality to search in", schema("text")),
        ("anyMaxSizeHitList", "maximum number of locations (default 10)", _int(1, 100)),
        (
            "radius_sf",
            "search radius in metres for type_sf=coord (default 1500)",
            _int(1, 20_000),
        ),
        *_COMMON,
        required=("name_sf",),
    ),
)
def stop_finder(request: Request, conn: Connection = Depends(read_connection)) -> JSONResponse:
    """Ranked stops for a name, or the nearest stops around a coordinate."""
    return _answer(
        lambda: answers.stop_finder(get_catalog(conn), Params(request.query_params), clock.now())
    )


@router.get(
    "/standard/XML_COORD_REQUEST",
    summary="Stops around a coordinate (EFA XML_COORD_REQUEST, rapidJSON)",
    responses=_ERROR,
    openapi_extra=_doc(
        ("coord", "<lon>:<lat>:WGS84[dd.ddddd]", schema("coord")),
        ("radius_1", "radius in metres (default 1000)", _int(1, 20_000)),
        ("max", "maximum number of stops (default 10)", _int(1, 100)),
        ("type_1", "STOP", schema("any")),
        ("inclFilter", "1", schema("any")),
        *_COMMON,
        required=("coord",),
    ),
)
def coord_request(request: Request, conn: Connection = Depends(read_connection)) -> JSONResponse:
    return _answer(
        lambda: answers.coord_request(get_catalog(conn), Params(request.query_params), clock.now())
    )


@router.get(
    "/standard/XML_ADDINFO_REQUEST",
    summary="Disruptions and service changes (EFA XML_ADDINFO_REQUEST, rapidJSON)",
    responses=_ERROR,
    openapi_extra=_doc(
        (
            "filterPublicationStatus",
            "current | historic (default: both)",
            schema("any", enum=["current", "historic", ""]),
        ),
        (
            "itdLPxx_selLine",
            "line number (903, U79) or EFA line id; repeatable, comma list",
            schema("text"),
        ),
        ("itdLPxx_selStop", "stop id or name; repeatable", schema("text")),
        *_COMMON,
    ),
)
def additional_info(request: Request, conn: Connection = Depends(read_connection)) -> JSONResponse:
    """Alerts as {infos: {current, historic, affected}}."""
    return _answer(
        lambda: answers.additional_info(
            get_catalog(conn), Params(request.query_params), clock.now()
        )
    )


@router.get(
    "/standard/XML_TRIP_REQUEST2",
    summary="Direct connections between two stops (subset of EFA XML_TRIP_REQUEST2)",
    responses=_ERROR,
    openapi_extra=_doc(
        ("name_origin", "stop id or name", schema("required_text")),
        ("type_origin", "any | stop | stopID | coord", _STOP_TYPES),
        ("place_origin", "locality of the origin name", schema("text")),
        ("name_destination", "stop id or name", schema("required_text")),
        ("type_destination", "any | stop | stopID | coord", _STOP_TYPES),
        ("place_destination", "locality of the destination name", schema("text")),
        ("maxChanges", "0-9; only direct connections are computed", _int(0, 9)),
        ("calcNumberOfTrips", "number of journeys (default 5)", _int(1, 20)),
        *_WHEN,
        *_COMMON,
        required=("name_origin", "name_destination"),
    ),
)
def trip_request(request: Request, conn: Connection = Depends(read_connection)) -> JSONResponse:
    """Journeys without change: only lines that serve both stops in this order."""
    return _answer(
        lambda: answers.trip_request(
            conn, get_catalog(conn), Params(request.query_params), clock.now()
        )
    )
