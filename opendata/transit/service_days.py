"""GTFS service days: time parsing, "noon minus 12 h" anchors and active services (pure).

A GTFS stop time belongs to a service day D and counts seconds from D's anchor, which is local
noon minus twelve hours (midnight except on daylight-saving days). Trips after midnight carry
times >= 24:00:00 on the previous service day, so a departure board at 00:30 must look at
yesterday's services too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

DAY = 86_400


def parse_gtfs_time(value: str) -> int:
    """'25:10:00' -> 90600 seconds; accepts one-digit hours ('5:10:00') as many feeds do."""
    parts = value.strip().split(":")
    if len(parts) != 3:
        raise ValueError(f"not a GTFS time: {value!r}")
    hours, minutes, seconds = (int(p) for p in parts)
    if hours < 0 or not 0 <= minutes < 60 or not 0 <= seconds < 60:
        raise ValueError(f"not a GTFS time: {value!r}")
    return hours * 3600 + minutes * 60 + seconds


def parse_gtfs_date(value: str) -> date:
    """'20261123' -> date(2026, 11, 23)."""
    value = value.strip()
    if len(value) != 8 or not value.isdigit():
        raise ValueError(f"not a GTFS date: {value!r}")
    return date(int(value[:4]), int(value[4:6]), int(value[6:]))


@lru_cache(maxsize=4096)
def service_day_anchor(day: date, tz: ZoneInfo) -> datetime:
    """The instant (UTC) that GTFS times of service day `day` count from: local noon - 12 h."""
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=tz)
    return noon.astimezone(timezone.utc) - timedelta(hours=12)


def instant(day: date, seconds: int, tz: ZoneInfo) -> datetime:
    """UTC instant of a GTFS time on a service day."""
    return service_day_anchor(day, tz) + timedelta(seconds=seconds)


@dataclass(frozen=True)
class Window:
    """The part [lo, hi) of service day `day`, in GTFS seconds, that falls into a time span."""

    day: date
    lo: int
    hi: int


def service_windows(start: datetime, end: datetime, max_secs: int, tz: ZoneInfo) -> list[Window]:
    """Service days whose stop times (0..max_secs) can fall into [start, end), with the bounds.

    Earlier days first; a day is only listed when its range actually overlaps the span, so the
    previous day is queried only while its after-midnight trips can still be running.
    """
    if end <= start:
        return []
    first = start.astimezone(tz).date() - timedelta(days=max_secs // DAY + 1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    windows = []
    day = first
    while day <= last:
        anchor = service_day_anchor(day, tz)
        lo = max(0, int((start - anchor).total_seconds()))
        hi = min(max_secs + 1, int((end - anchor).total_seconds()))
        if lo < hi:
            windows.append(Window(day, lo, hi))
        day += timedelta(days=1)
    return windows


@dataclass(frozen=True)
class ServiceCalendar:
    """A service's calendar.txt row: weekdays "1111100" (Monday first) and its date range."""

    id: int
    weekdays: str | None
    start_date: date | None
    end_date: date | None

    def runs_by_calendar(self, day: date) -> bool:
        if not self.weekdays or self.start_date is None or self.end_date is None:
            return False
        return self.start_date <= day <= self.end_date and self.weekdays[day.weekday()] == "1"


def active_services(
    services: Iterable[ServiceCalendar], exceptions: Mapping[int, int], day: date
) -> frozenset[int]:
    """Services running on `day`: calendar.txt, then calendar_dates.txt (1 adds, 2 removes).

    `exceptions` maps service id -> exception_type for this very day.
    """
    active = {s.id for s in services if s.runs_by_calendar(day)}
    for service_id, exception_type in exceptions.items():
        if exception_type == 1:
            active.add(service_id)
        elif exception_type == 2:
            active.discard(service_id)
    return frozenset(active)


def timetable_year(day: date) -> int:
    """The timetable period a day belongs to; German networks change timetable mid-December."""
    return day.year + 1 if day.month == 12 and day.day >= 14 else day.year
