"""ParkAPI v3 client (the embedded server, or any ParkAPI v3 instance)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from actions.clients.http import ApiError, Fetched, JsonApi

SITES_PATH = "/api/public/v3/parking-sites"


@dataclass(frozen=True)
class ParkingSite:
    id: str
    name: str
    address: str
    lat: float
    lon: float
    capacity: int | None
    free: int | None  # None: no live value (no sensor, or older than 30 min)
    status: str  # OPEN | CLOSED | UNKNOWN
    updated_at: datetime | None
    fee_description: str
    opening_hours: str
    zone: str | None
    operator: str
    public_url: str

    @property
    def has_live_data(self) -> bool:
        return self.free is not None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _zone(item: dict[str, Any]) -> str | None:
    """The parking-guidance zone, published as a ParkAPI v3 tag such as ZONE_CITY."""
    for tag in item.get("tags") or []:
        text = tag if isinstance(tag, str) else str(tag.get("value", ""))
        if text.upper().startswith("ZONE_") and len(text) > 5:
            return text[5:].replace("_", " ").capitalize()
    return None


def parse_site(item: dict[str, Any]) -> ParkingSite:
    try:
        has_live = bool(item.get("has_realtime_data")) and "realtime_free_capacity" in item
        free = item.get("realtime_free_capacity") if has_live else None
        return ParkingSite(
            id=str(item["id"]),
            name=str(item["name"]),
            address=str(item.get("address") or ""),
            lat=float(item["lat"]),
            lon=float(item["lon"]),
            capacity=item.get("realtime_capacity") or item.get("capacity"),
            free=int(free) if free is not None else None,
            status=str(item.get("realtime_opening_status") or "UNKNOWN"),
            updated_at=_parse_time(item.get("realtime_data_updated_at")) if has_live else None,
            fee_description=str(item.get("fee_description") or ""),
            opening_hours=str(item.get("opening_hours") or ""),
            zone=_zone(item),
            operator=str(item.get("operator_name") or ""),
            public_url=str(item.get("public_url") or ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiError("bad_response", f"parking site: {exc}") from exc


class ParkingClient:
    def __init__(self, api: JsonApi) -> None:
        self.api = api

    async def sites(self, **params: Any) -> tuple[list[ParkingSite], Fetched]:
        fetched = await self.api.get(SITES_PATH, params={"limit": 1000, **params})
        items = fetched.data.get("items") if isinstance(fetched.data, dict) else None
        if not isinstance(items, list):
            raise ApiError("bad_response", "parking-sites without items")
        sites = [parse_site(item) for item in items if item.get("purpose", "CAR") == "CAR"]
        return sites, fetched
