"""Which kind of day a date is for parking demand: weekday, Saturday, or Sunday/holiday.

The holiday calendar (country and subdivision, e.g. DE/NW) comes from the data package, so a
city in another state gets its own holidays without code changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from functools import lru_cache

import holidays


class DayType(str, Enum):
    WEEKDAY = "weekday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"  # also public holidays


@lru_cache(maxsize=1024)
def _holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """Public holidays of one year; cached as an immutable set (thread-safe lookups)."""
    calendar = holidays.country_holidays(country, subdiv=subdivision, years=year)
    return frozenset(calendar.keys())


@dataclass(frozen=True)
class HolidayCalendar:
    """Public holidays of one region; callable as the `is_holiday` test of opening hours."""

    country: str
    subdivision: str | None = None

    def __call__(self, day: date) -> bool:
        if not 1900 <= day.year <= 2200:  # outside what the holidays library computes sensibly
            return False
        return day in _holiday_dates(self.country, self.subdivision, day.year)

    def validate(self) -> None:
        """Raise ValueError if the library does not know this country/subdivision."""
        try:
            holidays.country_holidays(self.country, subdiv=self.subdivision, years=2026)
        except NotImplementedError as exc:  # unknown country or subdivision
            raise ValueError(f"unknown holiday calendar: {exc}") from exc


def day_type(day: date, is_holiday: HolidayCalendar) -> DayType:
    """Public holidays count as Sundays: shops are closed, commuters stay at home."""
    if day.weekday() == 6 or is_holiday(day):
        return DayType.SUNDAY
    if day.weekday() == 5:
        return DayType.SATURDAY
    return DayType.WEEKDAY
