"""Read and validate the parking folder of a data package (source.yaml, parking_sites.yaml).

Kept apart from the database so that data errors are reported with the file and the row, and
so that tests can validate a package without a server.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from opendata.parking import opening_hours
from opendata.parking.day_types import HolidayCalendar
from opendata.parking.occupancy import ProfileMix, parse_profile

SITE_TYPES = ("ON_STREET", "OFF_STREET_PARKING_GROUND", "UNDERGROUND", "CAR_PARK")
PURPOSES = ("CAR", "BIKE", "MOTORCYCLE", "ITEM")
PARK_AND_RIDE_TYPES = ("CARPOOL", "TRAIN", "BUS", "TRAM", "YES", "NO")
SUPERVISION_TYPES = ("YES", "NO", "VIDEO", "ATTENDED")
RESTRICTION_TYPES = (
    "DISABLED", "WOMEN", "FAMILY", "CARSHARING", "CHARGING", "TAXI", "DELIVERY", "TRUCK", "BUS",
    "CUSTOMER", "RESIDENT", "CARAVAN", "CARGOBIKE",
)
SITE_KEYS = {
    "uid", "name", "zone", "type", "purpose", "operator_name", "address", "lat", "lon",
    "capacity", "capacity_disabled", "max_height", "has_fee", "fee_description",
    "opening_hours", "public_url", "description", "park_and_ride_type", "supervision_type",
    "is_covered", "restrictions", "tags", "profile", "peak", "realtime", "realtime_frozen_at",
    "source_note",
}


class DataPackageError(ValueError):
    """The parking folder of the data package is malformed."""


@dataclass(frozen=True)
class SourceData:
    uid: str
    name: str
    public_url: str | None
    attribution: str | None
    static_data_updated_at: datetime  # aware UTC
    official_region_code: str | None
    holidays: HolidayCalendar
    zones: dict[str, str]  # zone name -> sign colour


@dataclass(frozen=True)
class SiteData:
    uid: str
    name: str
    type: str
    purpose: str
    lat: float
    lon: float
    capacity: int
    profile: ProfileMix
    peak: float
    has_realtime_data: bool
    zone: str | None = None
    operator_name: str | None = None
    address: str | None = None
    public_url: str | None = None
    description: str | None = None
    capacity_disabled: int | None = None
    max_height: int | None = None
    has_fee: bool | None = None
    fee_description: str | None = None
    opening_hours: str | None = None
    park_and_ride_type: tuple[str, ...] = ()
    supervision_type: str | None = None
    is_covered: bool | None = None
    restrictions: tuple[tuple[str, int], ...] = ()
    tags: tuple[str, ...] = field(default_factory=tuple)
    realtime_frozen_at: datetime | None = None  # aware UTC


def _timestamp(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError as exc:
            raise DataPackageError(f"{where}: not an ISO 8601 timestamp: {value!r}") from exc
    if moment.tzinfo is None:
        raise DataPackageError(f"{where}: timestamp needs a UTC offset: {value!r}")
    return moment.astimezone(timezone.utc)


def _text(row: dict, key: str, where: str, limit: int, required: bool = False) -> str | None:
    value = row.get(key)
    if value is None or value == "":
        if required:
            raise DataPackageError(f"{where}: {key} is required")
        return None
    if not isinstance(value, str):
        raise DataPackageError(f"{where}: {key} must be text")
    value = " ".join(value.split())
    if len(value) > limit:
        raise DataPackageError(f"{where}: {key} longer than {limit} characters")
    return value


def _integer(row: dict, key: str, where: str, required: bool = False) -> int | None:
    value = row.get(key)
    if value is None:
        if required:
            raise DataPackageError(f"{where}: {key} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
        raise DataPackageError(f"{where}: {key} must be a whole number 0..1000000")
    return value


def _flag(row: dict, key: str, where: str) -> bool | None:
    value = row.get(key)
    if value is not None and not isinstance(value, bool):
        raise DataPackageError(f"{where}: {key} must be true or false")
    return value


def _choice(value: Any, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise DataPackageError(f"{where}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataPackageError(f"{path.name}: cannot read YAML: {exc}") from exc


def load_source(folder: Path) -> SourceData:
    """Read source.yaml: the ParkAPI source and the region's holiday calendar."""
    raw = _load_yaml(folder / "source.yaml")
    if not isinstance(raw, dict):
        raise DataPackageError("source.yaml: expected a mapping")
    where = "source.yaml"
    holiday = raw.get("holidays") or {}
    if not isinstance(holiday, dict) or not isinstance(holiday.get("country"), str):
        raise DataPackageError(f"{where}: holidays.country is required")
    calendar = HolidayCalendar(holiday["country"], holiday.get("subdivision"))
    try:
        calendar.validate()
    except ValueError as exc:
        raise DataPackageError(f"{where}: {exc}") from exc
    zones = raw.get("zones") or {}
    if not isinstance(zones, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in zones.items()
    ):
        raise DataPackageError(f"{where}: zones must map zone names to colours")
    return SourceData(
        uid=_text(raw, "uid", where, 256, required=True) or "",
        name=_text(raw, "name", where, 256, required=True) or "",
        public_url=_text(raw, "public_url", where, 4096),
        attribution=_text(raw, "attribution", where, 512),
        static_data_updated_at=_timestamp(raw.get("static_data_updated_at"), where),
        official_region_code=_text(raw, "official_region_code", where, 36),
        holidays=calendar,
        zones=dict(zones),
    )


def _site(row: Any, index: int, zones: dict[str, str]) -> SiteData:
    if not isinstance(row, dict):
        raise DataPackageError(f"parking_sites.yaml entry {index}: expected a mapping")
    where = f"parking_sites.yaml entry {index} ({row.get('uid', '?')})"
    unknown = set(row) - SITE_KEYS
    if unknown:
        raise DataPackageError(f"{where}: unknown keys {sorted(unknown)}")
    lat, lon = row.get("lat"), row.get("lon")
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (lat, lon)):
        raise DataPackageError(f"{where}: lat and lon must be numbers")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise DataPackageError(f"{where}: lat/lon out of range")
    capacity = _integer(row, "capacity", where, required=True) or 0
    disabled = _integer(row, "capacity_disabled", where)
    if disabled is not None and disabled > capacity:
        raise DataPackageError(f"{where}: capacity_disabled exceeds capacity")
    hours = _text(row, "opening_hours", where, 512)
    if hours is not None:
        try:
            opening_hours.parse(hours)
        except opening_hours.OpeningHoursError as exc:
            raise DataPackageError(f"{where}: opening_hours: {exc}") from exc
    try:
        profile = parse_profile(row.get("profile") or "")
    except ValueError as exc:
        raise DataPackageError(f"{where}: profile: {exc}") from exc
    peak = row.get("peak")
    if not isinstance(peak, (int, float)) or isinstance(peak, bool) or not 0 < peak <= 1.2:
        raise DataPackageError(f"{where}: peak must be a number in (0, 1.2]")
    realtime = _choice(row.get("realtime", "live"), ("live", "none"), where)
    zone = _text(row, "zone", where, 80)
    if zone is not None and zone not in zones:
        raise DataPackageError(f"{where}: zone {zone!r} is not declared in source.yaml")
    park_and_ride = row.get("park_and_ride_type") or []
    restrictions = []
    for item in row.get("restrictions") or []:
        if not isinstance(item, dict):
            raise DataPackageError(f"{where}: restrictions must be mappings")
        restriction_capacity = _integer(item, "capacity", where, required=True) or 0
        restrictions.append((_choice(item.get("type"), RESTRICTION_TYPES, where),
                             restriction_capacity))
    tags = row.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        raise DataPackageError(f"{where}: tags must be a list of texts")
    frozen = row.get("realtime_frozen_at")
    return SiteData(
        uid=_text(row, "uid", where, 256, required=True) or "",
        name=_text(row, "name", where, 256, required=True) or "",
        type=_choice(row.get("type"), SITE_TYPES, where),
        purpose=_choice(row.get("purpose", "CAR"), PURPOSES, where),
        lat=float(lat),
        lon=float(lon),
        capacity=capacity,
        profile=profile,
        peak=float(peak),
        has_realtime_data=realtime == "live",
        zone=zone,
        operator_name=_text(row, "operator_name", where, 256),
        address=_text(row, "address", where, 512),
        public_url=_text(row, "public_url", where, 4096),
        description=_text(row, "description", where, 3000),
        capacity_disabled=disabled,
        max_height=_integer(row, "max_height", where),
        has_fee=_flag(row, "has_fee", where),
        fee_description=_text(row, "fee_description", where, 4096),
        opening_hours=hours,
        park_and_ride_type=tuple(_choice(p, PARK_AND_RIDE_TYPES, where) for p in park_and_ride),
        supervision_type=(
            _choice(row["supervision_type"], SUPERVISION_TYPES, where)
            if row.get("supervision_type") is not None
            else None
        ),
        is_covered=_flag(row, "is_covered", where),
        restrictions=tuple(restrictions),
        tags=tuple(tags),
        realtime_frozen_at=_timestamp(frozen, where) if frozen is not None else None,
    )


def load_sites(folder: Path, source: SourceData) -> list[SiteData]:
    """Read parking_sites.yaml; the order of the entries gives the ParkAPI ids."""
    raw = _load_yaml(folder / "parking_sites.yaml")
    if not isinstance(raw, list):
        raise DataPackageError("parking_sites.yaml: expected a list of car parks")
    sites = [_site(row, index, source.zones) for index, row in enumerate(raw, start=1)]
    uids = [site.uid for site in sites]
    duplicates = sorted({uid for uid in uids if uids.count(uid) > 1})
    if duplicates:
        raise DataPackageError(f"parking_sites.yaml: duplicate uid {duplicates}")
    return sites
