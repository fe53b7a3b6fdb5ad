"""Simulated realtime: a deterministic delay per trip and service day (pure).

Real vehicles report positions; here the delay is drawn from a hash of (trip, service date), so
every request, server and database gives the same answer for the same trip. Most trips run
0-3 minutes late, some clearly more. Only departures near the current time are "monitored",
like vehicles that are actually on the road.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

MONITORED_BEFORE = timedelta(minutes=60)  # realtime for departures up to an hour ago ...
MONITORED_AHEAD = timedelta(minutes=120)  # ... and up to two hours ahead
MAX_DELAY = timedelta(minutes=15)

# (upper bound of the uniform draw, lowest delay s, highest delay s): the delay distribution
_BANDS = (
    (0.30, 0, 0),
    (0.55, 15, 60),
    (0.85, 60, 180),
    (0.96, 180, 420),
    (1.00, 420, 900),
)


def _uniform(*parts: str) -> tuple[float, float]:
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    scale = float(2**64)
    return int.from_bytes(digest[:8], "big") / scale, int.from_bytes(digest[8:16], "big") / scale


def delay_seconds(trip_id: str, service_day: date) -> int:
    """The simulated delay of a trip on a service day, in seconds (0 .. 15 min)."""
    pick, within = _uniform(trip_id, service_day.isoformat())
    for upper, low, high in _BANDS:
        if pick < upper:
            return low + int(within * (high - low + 1)) if high > low else low
    return 0  # pragma: no cover - pick < 1.0 always


def is_monitored(planned: datetime, now: datetime) -> bool:
    """Whether a departure planned at `planned` has realtime data at `now`."""
    return now - MONITORED_BEFORE <= planned <= now + MONITORED_AHEAD
