"""HTTP routes of the parking domain: ParkAPI v3 parking sites and the ParkAPI v1 compatibility
endpoints, as park-api-v3 serves them under /api/public."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from opendata import clock, demo
from opendata.db import get_session
from opendata.parking import live, repository, schemas, serializers
from opendata.parking.errors import ParkApiError, method_not_allowed, not_found
from opendata.parking.models import ParkingSite
from opendata.parking.occupancy import Reading
from opendata.parking.query import SiteQuery, first_values, parse_flag, parse_site_query

router = APIRouter(tags=["parking (ParkAPI)"])

V3 = "/api/public/v3/parking-sites"
V1 = "/api/public/v1"
V1_INDEX = {
    "api_version": "1.0",
    "server_version": "3.0.0",
    "reference": "https://github.com/ParkenDD/park-api-v3",
}
OTHER_METHODS = ["POST", "PUT", "PATCH", "DELETE"]


def _parse_site_id(raw: str) -> int | None:
    """Like Flask's <int:...> converter: digits only, else the route does not exist (404)."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    return int(raw)


def _search(
    session: Session, query: SiteQuery, now: datetime
) -> tuple[list[ParkingSite], dict[int, Reading | None]]:
    """Sites matching the query with their readings: SQL filters, then the exact distance and
    the realtime-time filters, which need computed values."""
    sites = repository.find_sites(session, query)
    if query.radius_m and query.lat is not None and query.lon is not None:
        sites = [
            s for s in sites
            if repository.distance_m(query.lat, query.lon, s.lat, s.lon) <= query.radius_m
        ]
    readings = live.readings(sites, live.calendars(repository.list_sources(session)), now)
    if query.realtime_since is not None or query.realtime_until is not None:
        def in_window(site: ParkingSite) -> bool:
            reading = readings[site.id]
            if reading is None:
                return False
            if query.realtime_since is not None and reading.measured_at < query.realtime_since:
                return False
            return query.realtime_until is None or reading.measured_at <= query.realtime_until

        sites = [s for s in sites if in_window(s)]
    return sites, readings


@router.get(
    V3,
    summary="ParkAPI v3: list parking sites",
    description=(
        "Parking sites with static data and simulated live occupancy. Filters as ParkAPI v3: "
        "`lat`, `lon` and `radius` only together, `lat_min`/`lat_max`/`lon_min`/`lon_max` only "
        "together (else 400); empty parameters count as absent. Cursor pagination with `limit` "
        "and `start` (`next_id`, `next_path` in the answer). The Parkleitsystem zone is the tag "
        "`ZONE_<NAME>` and starts the description."
    ),
    response_model=schemas.ParkingSiteList,
    responses=schemas.ERRORS,
    openapi_extra={"parameters": schemas.FILTER_PARAMETERS + schemas.GEO_PARAMETERS},
)
def list_parking_sites(request: Request, session: Session = Depends(get_session)) -> JSONResponse:
    params = first_values(request.query_params)
    try:
        query = parse_site_query(params)
    except ParkApiError as error:
        return error.response()
    now = clock.now()
    sites, readings = _search(session, query, now)
    total = len(sites)
    body: dict = {}
    if query.limit is not None:
        sites = [s for s in sites if s.id >= query.start][: query.limit]
        if len(sites) == query.limit:
            next_id = sites[-1].id + 1
            body["next_id"] = next_id
            following = {**params, "start": str(next_id), "limit": str(query.limit)}
            body["next_path"] = f"{request.url.path}?{urlencode(following)}"
    items = [
        serializers.site_v3(
            s, serializers.live_reading(s, readings[s.id], now, query.calculate_has_realtime_data)
        )
        for s in sites
    ]
    return JSONResponse(
        {"items": items, "total_count": total, **body}, headers=demo.headers("parking")
    )


@router.get(
    V3 + "/{parking_site_id}",
    summary="ParkAPI v3: one parking site",
    response_model=schemas.ParkingSite,
    responses=schemas.ERRORS,
    openapi_extra={"parameters": schemas.ITEM_PARAMETERS},
)
def get_parking_site(
    parking_site_id: str, request: Request, session: Session = Depends(get_session)
) -> JSONResponse:
    site_id = _parse_site_id(parking_site_id)
    site = repository.get_site(session, site_id) if site_id is not None else None
    if site is None:
        shown = parking_site_id if site_id is not None else "?"
        return not_found(f"ParkingSite with ID {shown} was not found.").response()
    try:
        calculate = parse_flag(
            first_values(request.query_params), "calculate_has_realtime_data", True
        )
    except ParkApiError as error:
        return error.response()
    now = clock.now()
    readings = live.readings([site], live.calendars(repository.list_sources(session)), now)
    reading = serializers.live_reading(site, readings[site.id], now, calculate)
    return JSONResponse(serializers.site_v3(site, reading), headers=demo.headers("parking"))


@router.get(
    V1,
    summary="ParkAPI v1 (compatibility): cities",
    response_model=schemas.V1Index,
)
def v1_index(session: Session = Depends(get_session)) -> JSONResponse:
    cities = {source.name or source.uid: source.uid for source in repository.list_sources(session)}
    return JSONResponse({**V1_INDEX, "cities": cities})


router.add_api_route(V1 + "/", v1_index, methods=["GET"], include_in_schema=False)


@router.get(
    V1 + "/{city}",
    summary="ParkAPI v1 (compatibility): lots of one city (source uid)",
    response_model=schemas.V1City,
    responses=schemas.ERRORS,
    openapi_extra={"parameters": schemas.FILTER_PARAMETERS},
)
def v1_city(city: str, request: Request, session: Session = Depends(get_session)) -> JSONResponse:
    source = None
    if len(city) <= 256 and city.isprintable():
        source = repository.get_source_by_uid(session, city)
    if source is None:
        shown = city if len(city) <= 256 and city.isprintable() else "?"
        return not_found(f"Source with uid {shown} not found.").response()
    params = {**first_values(request.query_params), "source_uid": source.uid}
    try:
        query = parse_site_query(params, geo=False)
    except ParkApiError as error:
        return error.response()
    now = clock.now()
    sites, readings = _search(session, query, now)
    calendar = live.calendars([source])[source.id]
    lots = []
    latest = source.static_data_updated_at
    for site in sites:
        reading = readings[site.id]
        shown = serializers.live_reading(site, reading, now, query.calculate_has_realtime_data)
        if shown is not None:
            latest = max(latest, shown.measured_at.replace(tzinfo=None))
        lots.append(serializers.lot_v1(site, shown, live.state_from_hours(site, calendar, now)))
    updated = serializers.timestamp(latest)
    body = {"lots": lots, "last_updated": updated, "last_downloaded": updated}
    if source.public_url:
        body["data_source"] = source.public_url
    return JSONResponse(body, headers=demo.headers("parking"))


def _not_allowed() -> JSONResponse:
    return method_not_allowed().response()


for _path in (V3, V3 + "/{parking_site_id}", V1, V1 + "/{city}"):
    router.add_api_route(_path, _not_allowed, methods=OTHER_METHODS, include_in_schema=False)
