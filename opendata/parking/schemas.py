"""OpenAPI documentation of the ParkAPI responses and parameters (responses are built as dicts
by `serializers`; these models only describe them, with ParkAPI v3's field names)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from opendata.parking.loader import PURPOSES
from opendata.parking.query import MAX_LIMIT, SITE_TYPES


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ParkingSiteRestriction(_Open):
    type: str | None = Field(None, description="Audience, e.g. DISABLED or CHARGING")
    hours: str | None = None
    max_stay: str | None = None
    capacity: int | None = Field(None, ge=0)
    realtime_capacity: int | None = Field(None, ge=0)
    realtime_free_capacity: int | None = Field(None, ge=0)


class ParkingSite(_Open):
    id: int
    source_id: int
    original_uid: str
    name: str
    operator_name: str | None = None
    public_url: str | None = None
    address: str | None = None
    description: str | None = Field(
        None, description="Starts with the Parkleitsystem zone, e.g. 'Parkleitsystem-Zone City "
        "(gelb).'"
    )
    type: str = Field(description="CAR_PARK, UNDERGROUND, OFF_STREET_PARKING_GROUND, ON_STREET")
    purpose: str
    lat: float
    lon: float
    official_region_code: str | None = None
    capacity: int = Field(ge=0)
    capacity_disabled: int | None = Field(None, ge=0, description="Deprecated, see restrictions")
    max_height: int | None = Field(None, ge=0, description="Centimetres")
    has_fee: bool | None = None
    fee_description: str | None = None
    opening_hours: str | None = Field(None, description="OSM opening_hours syntax")
    park_and_ride_type: list[str] | None = None
    supervision_type: str | None = None
    is_supervised: bool | None = None
    is_covered: bool | None = None
    has_realtime_data: bool = Field(
        description="False when the site has no sensor or its last reading is older than 30 min"
    )
    realtime_data_updated_at: str | None = Field(None, description="UTC, YYYY-MM-DDTHH:MM:SSZ")
    realtime_opening_status: str | None = Field(None, description="OPEN, CLOSED or UNKNOWN")
    realtime_capacity: int | None = Field(None, ge=0)
    realtime_free_capacity: int | None = Field(None, ge=0)
    static_data_updated_at: str
    created_at: str
    modified_at: str
    restrictions: list[ParkingSiteRestriction] | None = None
    restricted_to: list[ParkingSiteRestriction] | None = Field(None, description="Deprecated")
    tags: list[str] | None = Field(
        None, description="Contains ZONE_<NAME> for the Parkleitsystem zone, e.g. ZONE_CITY"
    )


class ParkingSiteList(BaseModel):
    items: list[ParkingSite]
    total_count: int = Field(description="Matches before pagination")
    next_id: int | None = Field(None, description="`start` of the next page (cursor pagination)")
    next_path: str | None = None


class ErrorDetail(_Open):
    code: str
    message: str
    data: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class V1Index(BaseModel):
    api_version: str
    server_version: str
    reference: str
    cities: dict[str, str] = Field(description="Display name -> source uid")


class V1Coords(BaseModel):
    lat: float
    lng: float


class V1Lot(_Open):
    coords: V1Coords
    lot_type: str
    forecast: bool
    name: str
    id: str
    total: int
    free: int | None = None
    state: str = Field(description="open, closed or unknown")
    region: str | None = Field(None, description="Parkleitsystem zone")
    address: str | None = None
    url: str | None = None
    opening_hours: str | None = None


class V1City(BaseModel):
    lots: list[V1Lot]
    last_updated: str
    last_downloaded: str
    data_source: str | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Invalid parameters (ParkAPI error body)"},
    404: {"model": ErrorBody, "description": "Not found (ParkAPI error body)"},
}


def _param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


_TEXT = {"type": "string", "maxLength": 256}
_TIME = {"type": "string", "format": "date-time"}
FILTER_PARAMETERS = [
    _param("source_id", {"type": "integer", "minimum": 0}, "Source id"),
    _param("source_uid", _TEXT, "Source uid, e.g. the city"),
    _param("source_uids", {"type": "string"}, "Comma-separated source uids"),
    _param("purpose", {"type": "string", "enum": list(PURPOSES)}, "Purpose"),
    _param("type", {"type": "string", "enum": list(SITE_TYPES)}, "Site type"),
    _param("not_type", {"type": "string", "enum": list(SITE_TYPES)}, "Exclude a site type"),
    _param("name", _TEXT, "Name contains (case-insensitive)"),
    _param("official_region_code", {"type": "string", "maxLength": 36}, "Regionalschlüssel"),
    _param("static_data_updated_at_since", _TIME, "Static data updated since"),
    _param("static_data_updated_at_until", _TIME, "Static data updated until"),
    _param("realtime_data_updated_at_since", _TIME, "Realtime data updated since"),
    _param("realtime_data_updated_at_until", _TIME, "Realtime data updated until"),
    _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
           "Page size (cursor pagination); absent = all results"),
    _param("start", {"type": "integer", "minimum": 0}, "Cursor: first id of the page (next_id)"),
    _param("ignore_duplicates", {"type": "boolean"}, "Default true"),
    _param("calculate_has_realtime_data", {"type": "boolean"},
           "Default true: drop realtime data older than 30 minutes"),
]
GEO_PARAMETERS = [
    _param("lat", {"type": "number", "minimum": -90, "maximum": 90}, "Latitude (with lon, radius)"),
    _param("lon", {"type": "number", "minimum": -180, "maximum": 180},
           "Longitude (with lat, radius)"),
    _param("radius", {"type": "number", "exclusiveMinimum": 0, "maximum": 20_100_000},
           "Radius in metres (with lat, lon)"),
    _param("lat_min", {"type": "number", "minimum": -90, "maximum": 90}, "Bounding box"),
    _param("lat_max", {"type": "number", "minimum": -90, "maximum": 90}, "Bounding box"),
    _param("lon_min", {"type": "number", "minimum": -180, "maximum": 180}, "Bounding box"),
    _param("lon_max", {"type": "number", "minimum": -180, "maximum": 180}, "Bounding box"),
]
ITEM_PARAMETERS = [FILTER_PARAMETERS[-1]]
