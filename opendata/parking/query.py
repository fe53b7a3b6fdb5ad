"""Validation of ParkAPI v3 query parameters into a typed search query.

Mirrors park-api-v3's `ParkingSiteGeoSearchInput` (validataclass): empty values count as absent,
unknown parameters are ignored, every bad parameter is reported at once with validataclass error
codes. Stricter than the original where it prevents nonsense: coordinates must be within range,
a bounding box needs all four sides, text must be printable and at most 256 characters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from opendata.parking.errors import ParkApiError, field_errors, post_validation_error
from opendata.parking.loader import PURPOSES

SITE_TYPES = (
    "ON_STREET", "OFF_STREET_PARKING_GROUND", "UNDERGROUND", "CAR_PARK", "WALL_LOOPS",
    "SAFE_WALL_LOOPS", "STANDS", "LOCKERS", "SHED", "TWO_TIER", "BUILDING", "FLOOR", "LOCKBOX",
    "OTHER",
)
MAX_LIMIT = 1000
MAX_INT = 2**31 - 1  # validataclass IntegerValidator's default maximum
MAX_TEXT = 256
MAX_RADIUS_M = 20_100_000  # about half the earth's circumference: covers everything


class _Invalid(Exception):
    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.error = {"code": code, **extra}


@dataclass(frozen=True)
class SiteQuery:
    """A validated parking-site search; None means "not filtered"."""

    source_id: int | None = None
    source_uid: str | None = None
    source_uids: tuple[str, ...] | None = None
    purpose: str | None = None
    type: str | None = None
    not_type: str | None = None
    name: str | None = None
    official_region_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    radius_m: float | None = None
    lat_min: float | None = None
    lat_max: float | None = None
    lon_min: float | None = None
    lon_max: float | None = None
    static_since: datetime | None = None
    static_until: datetime | None = None
    realtime_since: datetime | None = None
    realtime_until: datetime | None = None
    limit: int | None = None  # None: no pagination (ParkAPI's default)
    start: int = 0
    ignore_duplicates: bool = True
    calculate_has_realtime_data: bool = True


def _text(value: str, limit: int = MAX_TEXT) -> str:
    if len(value) > limit:
        raise _Invalid("string_too_long", max_length=limit)
    if not value.isprintable():
        raise _Invalid("string_invalid_characters", reason="String contains non-printable characters.")
    return value


def _integer(value: str, minimum: int = 0, maximum: int = MAX_INT) -> int:
    text = value.strip()
    digits = text[1:] if text[:1] == "-" else text
    if not (digits.isascii() and digits.isdigit()):
        raise _Invalid("invalid_integer")
    if len(digits) > 12 or not minimum <= int(text) <= maximum:
        raise _Invalid("number_range_error", min_value=minimum, max_value=maximum)
    return int(text)


def _number(value: str, minimum: float | None = None, maximum: float | None = None) -> float:
    if len(value) > 64:
        raise _Invalid("invalid_decimal")
    try:
        number = Decimal(value.strip())
    except InvalidOperation as exc:
        raise _Invalid("invalid_decimal") from exc
    if not number.is_finite() or not math.isfinite(float(number)):
        raise _Invalid("not_a_finite_number")
    result = float(number)
    if (minimum is not None and result < minimum) or (maximum is not None and result > maximum):
        bounds = {}
        if minimum is not None:
            bounds["min_value"] = str(minimum)
        if maximum is not None:
            bounds["max_value"] = str(maximum)
        raise _Invalid("number_range_error", **bounds)
    return result


def _boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise _Invalid("invalid_type", expected_type="bool")


def _choice(allowed: tuple[str, ...]) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in allowed:
            raise _Invalid("value_not_allowed", allowed_values=list(allowed))
        return value

    return check


def _datetime(value: str) -> datetime:
    if len(value) > 64:
        raise _Invalid("invalid_datetime")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise _Invalid("invalid_datetime") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _text_list(value: str) -> tuple[str, ...]:
    items = tuple(item.strip() for item in _text(value, 16 * MAX_TEXT).split(","))
    if any(not item or len(item) > MAX_TEXT for item in items):
        raise _Invalid("invalid_list_item", min_length=1, max_length=MAX_TEXT)
    return items


def _location(value: str) -> tuple[float, float]:
    parts = _text(value).split(",")
    if len(parts) != 2:
        raise _Invalid("invalid_list_length", min_length=2, max_length=2)
    return _number(parts[0], -180, 180), _number(parts[1], -90, 90)


def _limit(value: str) -> int:
    number = _integer(value, 0, MAX_LIMIT)
    if number == 0:
        raise _Invalid("pagination_required")
    return number


PARSERS: dict[str, Callable[[str], Any]] = {
    "source_id": lambda v: _integer(v, 0),
    "source_uid": _text,
    "source_uids": _text_list,
    "purpose": _choice(PURPOSES),
    "type": _choice(SITE_TYPES),
    "not_type": _choice(SITE_TYPES),
    "name": _text,
    "official_region_code": lambda v: _text(v, 36),
    "lat": lambda v: _number(v, -90, 90),
    "lon": lambda v: _number(v, -180, 180),
    "radius": lambda v: _number(v, 0, MAX_RADIUS_M),
    "location": _location,
    "lat_min": lambda v: _number(v, -90, 90),
    "lat_max": lambda v: _number(v, -90, 90),
    "lon_min": lambda v: _number(v, -180, 180),
    "lon_max": lambda v: _number(v, -180, 180),
    "static_data_updated_at_since": _datetime,
    "static_data_updated_at_until": _datetime,
    "realtime_data_updated_at_since": _datetime,
    "realtime_data_updated_at_until": _datetime,
    "limit": _limit,
    "start": lambda v: _integer(v, 0),
    "ignore_duplicates": _boolean,
    "calculate_has_realtime_data": _boolean,
}
GEO_PARAMETERS = ("lat", "lon", "radius", "location")


def first_values(params: Any) -> dict[str, str]:
    """First value of each non-empty parameter (Flask's `request.args.to_dict()`)."""
    result: dict[str, str] = {}
    for key, value in params.multi_items() if hasattr(params, "multi_items") else params.items():
        if value != "" and key not in result:
            result[key] = value
    return result


def parse_site_query(raw: Mapping[str, str], *, geo: bool = True) -> SiteQuery:
    """Validate query parameters; raise ParkApiError (400) listing every invalid parameter."""
    values: dict[str, Any] = {}
    errors: dict[str, dict[str, Any]] = {}
    for key, parser in PARSERS.items():
        if key not in raw or (not geo and key in GEO_PARAMETERS):
            continue
        try:
            values[key] = parser(raw[key])
        except _Invalid as invalid:
            errors[key] = invalid.error
    if errors:
        raise field_errors(errors)

    lat, lon, radius = values.get("lat"), values.get("lon"), values.get("radius")
    location = values.get("location")
    if any(v is not None for v in (lat, lon, radius, location)):
        if not (((lat is not None and lon is not None) or location) and radius):
            raise post_validation_error("lat, lon and radius have all to be set if one is set")
        if location:  # legacy form: location=lon,lat with radius in km
            lon, lat = location
            radius = radius * 1000
            if radius > MAX_RADIUS_M:
                raise field_errors({"radius": {
                    "code": "number_range_error", "min_value": "0",
                    "max_value": str(MAX_RADIUS_M // 1000),
                }})
    box = [values.get(k) for k in ("lat_min", "lat_max", "lon_min", "lon_max")]
    if any(v is not None for v in box) and any(v is None for v in box):
        raise post_validation_error(
            "lat_min, lat_max, lon_min and lon_max have all to be set if one is set"
        )
    if box[0] is not None and (box[0] > box[1] or box[2] > box[3]):
        raise post_validation_error("lat_min must not exceed lat_max, lon_min not lon_max")
    return SiteQuery(
        source_id=values.get("source_id"),
        source_uid=values.get("source_uid"),
        source_uids=values.get("source_uids"),
        purpose=values.get("purpose"),
        type=values.get("type"),
        not_type=values.get("not_type"),
        name=values.get("name"),
        official_region_code=values.get("official_region_code"),
        lat=lat,
        lon=lon,
        radius_m=radius,
        lat_min=box[0],
        lat_max=box[1],
        lon_min=box[2],
        lon_max=box[3],
        static_since=values.get("static_data_updated_at_since"),
        static_until=values.get("static_data_updated_at_until"),
        realtime_since=values.get("realtime_data_updated_at_since"),
        realtime_until=values.get("realtime_data_updated_at_until"),
        limit=values.get("limit"),
        start=values.get("start", 0),
        ignore_duplicates=values.get("ignore_duplicates", True),
        calculate_has_realtime_data=values.get("calculate_has_realtime_data", True),
    )


def parse_flag(raw: Mapping[str, str], key: str, default: bool) -> bool:
    """One boolean parameter (the item endpoint knows only calculate_has_realtime_data)."""
    if key not in raw:
        return default
    try:
        return _boolean(raw[key])
    except _Invalid as invalid:
        raise field_errors({key: invalid.error}) from None


__all__ = ["ParkApiError", "SiteQuery", "first_values", "parse_flag", "parse_site_query"]
