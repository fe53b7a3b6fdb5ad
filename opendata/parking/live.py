"""Glue between stored sites and the pure occupancy model: one reading per site and moment."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from opendata.parking import opening_hours
from opendata.parking.day_types import HolidayCalendar
from opendata.parking.models import ParkingSite, ParkingSource
from opendata.parking.occupancy import Reading, SiteModel, profile_from_text, reading
from opendata.settings import get_settings


@lru_cache(maxsize=512)
def parsed_hours(text: str | None) -> opening_hours.OpeningHours | None:
    """Parsed opening hours; None when absent or (never for seeded data) unparseable."""
    if not text:
        return None
    try:
        return opening_hours.parse(text)
    except opening_hours.OpeningHoursError:
        return None


def site_model(site: ParkingSite) -> SiteModel:
    frozen = site.realtime_frozen_at
    return SiteModel(
        uid=site.original_uid,
        capacity=site.capacity,
        profile=profile_from_text(site.occupancy_profile),
        peak=site.peak_occupancy,
        hours=parsed_hours(site.opening_hours),
        capacity_disabled=site.capacity_disabled,
        has_sensor=site.has_realtime_data,
        frozen_at=frozen.replace(tzinfo=timezone.utc) if frozen is not None else None,
    )


def calendars(sources: list[ParkingSource]) -> dict[int, HolidayCalendar]:
    return {s.id: HolidayCalendar(s.holiday_country, s.holiday_subdivision) for s in sources}


def city_timezone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def readings(
    sites: list[ParkingSite], calendar_by_source: dict[int, HolidayCalendar], now: datetime
) -> dict[int, Reading | None]:
    """Latest sensor message of each site as seen at `now`."""
    tz = city_timezone()
    return {
        site.id: reading(site_model(site), now, calendar_by_source[site.source_id], tz)
        for site in sites
    }


def state_from_hours(site: ParkingSite, calendar: HolidayCalendar, now: datetime) -> str:
    """ParkAPI v1 `state` without live data: from opening hours, else "unknown"."""
    hours = parsed_hours(site.opening_hours)
    if hours is None:
        return "unknown"
    return "open" if hours.is_open(now.astimezone(city_timezone()), calendar) else "closed"
