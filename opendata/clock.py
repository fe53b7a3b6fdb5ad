"""The server's notion of "now": real time, or the instant pinned by OPENDATA_CLOCK."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from opendata.settings import get_settings

BERLIN = ZoneInfo("Europe/Berlin")


def now() -> datetime:
    """Current time as an aware datetime in UTC."""
    pinned = get_settings().clock
    return pinned.astimezone(timezone.utc) if pinned else datetime.now(timezone.utc)


def local_now() -> datetime:
    """Current time in Europe/Berlin (the city's wall clock)."""
    return now().astimezone(BERLIN)
