"""ParkAPI v3 parking-site items and ParkAPI v1 lots, as park-api-v3 renders them.

Like park-api-v3, fields without a value are left out (not null), times are UTC
"YYYY-MM-DDTHH:MM:SSZ", and realtime fields vanish (has_realtime_data becomes false) when the
last reading is older than 30 minutes unless the client asks for raw values.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from opendata.parking.models import ParkingSite
from opendata.parking.occupancy import Reading, is_stale

V1_LOT_TYPES = {
    "ON_STREET": "street",
    "OFF_STREET_PARKING_GROUND": "lot",
    "UNDERGROUND": "underground",
    "CAR_PARK": "garage",
}


def timestamp(moment: datetime) -> str:
    """ParkAPI's DefaultJSONEncoder format; stored naive times are UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def live_reading(
    site: ParkingSite, reading: Reading | None, now: datetime, calculate: bool = True
) -> Reading | None:
    """The reading a client gets to see: none without sensor, none when stale (if calculated)."""
    if not site.has_realtime_data or reading is None:
        return None
    if calculate and is_stale(reading.measured_at, now):
        return None
    return reading


def _restrictions(site: ParkingSite, live: Reading | None) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    if site.capacity_disabled:
        disabled: dict[str, Any] = {"type": "DISABLED", "capacity": site.capacity_disabled}
        if live is not None and live.free_disabled is not None:
            disabled["realtime_capacity"] = site.capacity_disabled
            disabled["realtime_free_capacity"] = live.free_disabled
        result.append(disabled)
    for item in (site.restrictions or "").split("|"):
        if item:
            kind, _, count = item.partition(":")
            result.append({"type": kind, "capacity": int(count)})
    return result


def site_v3(site: ParkingSite, live: Reading | None) -> dict[str, Any]:
    """One ParkAPI v3 ParkingSite; `live` is the reading to publish (see `live_reading`)."""
    item: dict[str, Any] = {
        "id": site.id,
        "source_id": site.source_id,
        "original_uid": site.original_uid,
        "name": site.name,
        "operator_name": site.operator_name,
        "public_url": site.public_url,
        "address": site.address,
        "description": site.description,
        "type": site.type,
        "purpose": site.purpose,
        "lat": round(site.lat, 7),
        "lon": round(site.lon, 7),
        "official_region_code": site.official_region_code,
        "capacity": site.capacity,
        "capacity_disabled": site.capacity_disabled,
        "max_height": site.max_height,
        "has_fee": site.has_fee,
        "fee_description": site.fee_description,
        "opening_hours": site.opening_hours,
        "park_and_ride_type": site.park_and_ride_type.split("|") if site.park_and_ride_type
        else None,
        "supervision_type": site.supervision_type,
        "is_supervised": site.supervision_type != "NO" if site.supervision_type else None,
        "is_covered": site.is_covered,
        "has_realtime_data": live is not None,
    }
    if live is not None:
        item["realtime_data_updated_at"] = timestamp(live.measured_at)
        item["realtime_opening_status"] = live.opening_status
        item["realtime_capacity"] = live.capacity
        item["realtime_free_capacity"] = live.free
    item["static_data_updated_at"] = timestamp(site.static_data_updated_at)
    item["created_at"] = timestamp(site.created_at)
    item["modified_at"] = timestamp(site.modified_at)
    restrictions = _restrictions(site, live)
    if restrictions:
        item["restrictions"] = restrictions
        # park-api-v3's legacy field lists only restrictions without capacity: none here.
        item["restricted_to"] = []
    if site.tags:
        item["tags"] = site.tags.split("|")
    return {key: value for key, value in item.items() if value is not None}


def lot_v1(site: ParkingSite, live: Reading | None, state_without_live: str) -> dict[str, Any]:
    """One ParkAPI v1 lot (park-api-v3's compatibility mapping, plus the optional `region`)."""
    lot: dict[str, Any] = {
        "coords": {"lat": round(site.lat, 7), "lng": round(site.lon, 7)},
        "lot_type": V1_LOT_TYPES.get(site.type, "unknown"),
        "forecast": False,
        "name": site.name,
        "id": site.original_uid,
        "total": site.capacity,
    }
    for key, value in (
        ("url", site.public_url),
        ("opening_hours", site.opening_hours),
        ("address", site.address),
        ("region", site.zone),
    ):
        if value:
            lot[key] = value
    if live is not None:
        lot["free"] = live.free
        lot["state"] = live.opening_status.lower()
    else:
        lot["state"] = state_without_live
    return lot
