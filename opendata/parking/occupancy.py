"""Simulated live occupancy of car parks: pure, deterministic functions of (site, time).

Model: each site has a demand profile (a weighted mix of the typical curves below) for weekdays,
Saturdays and Sundays/public holidays, and a peak level (the share of spaces taken when demand is
at its maximum). The hourly curve points are joined by a Catmull-Rom spline that also reaches into
the previous and next day, so values are smooth across midnight. On top come deterministic noise
terms derived from a SHA-256 hash (never `random`): a per-day factor (some days are busier), a
slow wave with 30-minute knots and a small jitter per 5-minute bucket. Sites fade in after
opening and out before closing, and are reported CLOSED with no free spaces while closed.

A sensor reading belongs to the 5-minute bucket of "now" and is dated a few seconds to minutes
earlier (a per-site lag), like a real feed. A site whose feed froze (`frozen_at`) keeps reporting
its last reading, which clients then drop as stale after 30 minutes, as ParkAPI does.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo

from opendata.parking.day_types import DayType, HolidayCalendar, day_type
from opendata.parking.opening_hours import OpeningHours

BUCKET_SECONDS = 300
MAX_REALTIME_AGE = timedelta(minutes=30)  # ParkAPI's UNSET_REALTIME_AFTER_MINUTES default
FADE_MINUTES = 60

W, S, U = DayType.WEEKDAY, DayType.SATURDAY, DayType.SUNDAY

# Share of the site's peak demand at each full hour 00..23, per day type.
PROFILES: dict[str, dict[DayType, tuple[float, ...]]] = {
    # Inner-city shopping: afternoon peak, Saturday busiest, Sunday quiet (shops closed).
    "city_shopping": {
        W: (.06, .04, .03, .03, .03, .04, .07, .12, .22, .38, .55, .70,
            .80, .82, .80, .80, .84, .85, .75, .55, .35, .22, .14, .09),
        S: (.08, .05, .04, .03, .03, .03, .05, .08, .18, .40, .68, .88,
            .98, 1.0, 1.0, .97, .90, .78, .60, .42, .28, .20, .14, .10),
        U: (.08, .05, .04, .03, .03, .03, .03, .04, .05, .07, .10, .15,
            .20, .24, .26, .26, .24, .20, .17, .14, .12, .10, .09, .08),
    },
    # Main station: commuters on weekdays, travellers and long-term parkers all week.
    "station": {
        W: (.38, .36, .35, .35, .36, .42, .58, .78, .90, .94, .95, .95,
            .94, .93, .92, .90, .85, .76, .66, .56, .50, .46, .42, .40),
        S: (.38, .36, .35, .34, .34, .36, .40, .46, .54, .62, .68, .72,
            .73, .72, .70, .68, .64, .60, .56, .52, .48, .45, .42, .40),
        U: (.38, .36, .35, .34, .34, .34, .36, .40, .45, .50, .55, .58,
            .60, .60, .60, .60, .62, .64, .62, .56, .50, .46, .42, .40),
    },
    # Cinema, theatre, event hall: evening peak, strong weekends.
    "cinema_event": {
        W: (.30, .18, .10, .06, .05, .05, .06, .08, .10, .12, .15, .18,
            .22, .24, .25, .28, .33, .45, .65, .85, .95, .90, .72, .48),
        S: (.45, .28, .14, .08, .05, .05, .05, .06, .08, .12, .18, .26,
            .35, .45, .55, .62, .68, .75, .85, .95, 1.0, .97, .85, .65),
        U: (.40, .24, .12, .07, .05, .05, .05, .05, .06, .08, .12, .20,
            .32, .45, .58, .66, .70, .74, .80, .82, .78, .62, .45, .30),
    },
    # Offices with restaurants nearby (e.g. a harbour quarter): office hours plus evening guests.
    "office": {
        W: (.06, .05, .05, .05, .05, .07, .15, .40, .72, .88, .93, .94,
            .92, .93, .93, .90, .80, .62, .45, .40, .36, .28, .16, .09),
        S: (.10, .07, .05, .05, .05, .05, .06, .08, .12, .18, .25, .32,
            .38, .42, .44, .44, .45, .48, .52, .55, .52, .42, .28, .16),
        U: (.10, .07, .05, .05, .05, .05, .05, .06, .08, .12, .20, .30,
            .38, .42, .44, .44, .42, .40, .38, .35, .30, .22, .15, .10),
    },
    # Park and ride at a rail or tram stop: full by 8 on weekdays, nearly empty at weekends.
    "park_and_ride": {
        W: (.05, .04, .04, .04, .05, .12, .38, .72, .90, .95, .96, .96,
            .95, .94, .92, .85, .70, .50, .32, .20, .13, .09, .07, .06),
        S: (.05, .04, .04, .04, .04, .05, .08, .14, .22, .30, .36, .38,
            .38, .36, .34, .30, .26, .22, .18, .14, .11, .08, .06, .05),
        U: (.05, .04, .04, .04, .04, .04, .05, .08, .12, .16, .20, .22,
            .22, .22, .20, .18, .16, .14, .12, .10, .08, .07, .06, .05),
    },
}

ProfileMix = tuple[tuple[str, float], ...]


def parse_profile(spec: str | Mapping[str, float]) -> ProfileMix:
    """Normalise a profile spec ("station" or {"station": 0.6, "cinema_event": 0.4}) into
    (name, weight) pairs whose weights sum to 1; raise ValueError for unknown names."""
    items = {spec: 1.0} if isinstance(spec, str) else dict(spec)
    if not items:
        raise ValueError("empty occupancy profile")
    for name, weight in items.items():
        if name not in PROFILES:
            raise ValueError(f"unknown occupancy profile {name!r}; known: {sorted(PROFILES)}")
        if not isinstance(weight, (int, float)) or not math.isfinite(weight) or weight <= 0:
            raise ValueError(f"weight of profile {name!r} must be a positive number")
    total = float(sum(items.values()))
    return tuple(sorted((name, float(weight) / total) for name, weight in items.items()))


def format_profile(mix: ProfileMix) -> str:
    """Compact text form for storage: "cinema_event:0.4|station:0.6"."""
    return "|".join(f"{name}:{weight:.6g}" for name, weight in mix)


def profile_from_text(text: str) -> ProfileMix:
    """Inverse of `format_profile`."""
    pairs: dict[str, float] = {}
    for part in text.split("|"):
        name, _, weight = part.partition(":")
        pairs[name] = float(weight or 1.0)
    return parse_profile(pairs)


def hash_unit(*parts: object) -> float:
    """Deterministic pseudo-random number in [0, 1) for the given key parts."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return struct.unpack(">Q", digest[:8])[0] / 2**64


def _signed(*parts: object) -> float:
    return hash_unit(*parts) * 2.0 - 1.0


def _hour_value(mix: ProfileMix, day: date, hour: int, calendar: HolidayCalendar) -> float:
    """Curve value at a full hour; hours outside 0..23 fall on neighbouring days."""
    day = day + timedelta(days=hour // 24)
    kind = day_type(day, calendar)
    return sum(weight * PROFILES[name][kind][hour % 24] for name, weight in mix)


def demand_curve(mix: ProfileMix, local: datetime, calendar: HolidayCalendar) -> float:
    """Smooth share of peak demand (0..1) at the local wall-clock time `local`."""
    day = local.date()
    hour = local.hour
    t = (local.minute * 60 + local.second) / 3600.0
    p0, p1, p2, p3 = (_hour_value(mix, day, hour + k, calendar) for k in (-1, 0, 1, 2))
    value = 0.5 * (
        2 * p1
        + (-p0 + p2) * t
        + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t * t
        + (-p0 + 3 * p1 - 3 * p2 + p3) * t * t * t
    )
    return min(1.0, max(0.0, value))


def _slow_wave(uid: str, epoch: float) -> float:
    """Value noise with 30-minute knots and smoothstep interpolation, in [-1, 1]."""
    knot, frac = divmod(epoch / 1800.0, 1.0)
    a, b = _signed(uid, "slow", int(knot)), _signed(uid, "slow", int(knot) + 1)
    s = frac * frac * (3 - 2 * frac)
    return a + (b - a) * s


@dataclass(frozen=True)
class SiteModel:
    """What the occupancy model needs to know about one site."""

    uid: str
    capacity: int
    profile: ProfileMix
    peak: float  # share of spaces taken at full demand (may exceed 1: the site fills up)
    hours: OpeningHours | None = None  # None = always open
    capacity_disabled: int | None = None
    has_sensor: bool = True
    frozen_at: datetime | None = None  # aware; the feed delivers nothing newer than this


@dataclass(frozen=True)
class Reading:
    """One simulated sensor message."""

    measured_at: datetime  # aware UTC
    open: bool
    capacity: int
    free: int
    capacity_disabled: int | None
    free_disabled: int | None

    @property
    def opening_status(self) -> str:
        return "OPEN" if self.open else "CLOSED"


def occupancy_share(
    site: SiteModel, moment: datetime, calendar: HolidayCalendar, tz: tzinfo, bucket: int
) -> float:
    """Share of spaces taken (0..1) at `moment` for an open site, noise keyed by `bucket`."""
    local = moment.astimezone(tz)
    base = site.peak * demand_curve(site.profile, local, calendar)
    base *= 1.0 + 0.08 * _signed(site.uid, "day", local.date().isoformat())
    share = base + 0.035 * _slow_wave(site.uid, moment.timestamp())
    share += 0.012 * _signed(site.uid, "jitter", bucket)
    if site.hours is not None:
        since, until = site.hours.minutes_to_change(local, calendar, horizon=FADE_MINUTES)
        share *= min(1.0, 0.35 + 0.65 * since / FADE_MINUTES)
        share *= min(1.0, 0.30 + 0.70 * until / FADE_MINUTES)
    return min(1.0, max(0.0, share))


def sensor_lag(uid: str) -> timedelta:
    """Per-site delay between the bucket start and the message time (20 s .. 3 min 40 s)."""
    return timedelta(seconds=20 + int(hash_unit(uid, "lag") * 200))


def bucket_start(moment: datetime) -> datetime:
    """Start of the 5-minute bucket (UTC) that contains `moment`."""
    epoch = math.floor(moment.timestamp() / BUCKET_SECONDS) * BUCKET_SECONDS
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


def reading(
    site: SiteModel, now: datetime, calendar: HolidayCalendar, tz: tzinfo
) -> Reading | None:
    """The latest sensor message of `site` as seen at `now` (aware), or None without sensor."""
    if not site.has_sensor:
        return None
    start = bucket_start(now)
    measured = start - sensor_lag(site.uid)
    if site.frozen_at is not None and site.frozen_at <= measured:
        measured = site.frozen_at.astimezone(timezone.utc)
        start = bucket_start(measured)
    bucket = int(start.timestamp()) // BUCKET_SECONDS
    local = measured.astimezone(tz)
    is_open = site.hours is None or site.hours.is_open(local, calendar)
    capacity = max(0, site.capacity)
    if not is_open:
        free = 0
        free_disabled = 0 if site.capacity_disabled is not None else None
    else:
        share = occupancy_share(site, measured, calendar, tz, bucket)
        free = capacity - min(capacity, max(0, round(capacity * share)))
        free_disabled = None
        if site.capacity_disabled is not None:
            disabled = max(0, site.capacity_disabled)
            share_disabled = 0.75 * share + 0.1 * _signed(site.uid, "disabled", bucket)
            taken = min(disabled, max(0, round(disabled * share_disabled)))
            free_disabled = min(free, disabled - taken)
    return Reading(
        measured_at=measured.replace(microsecond=0),
        open=is_open,
        capacity=capacity,
        free=free,
        capacity_disabled=site.capacity_disabled,
        free_disabled=free_disabled,
    )


def is_stale(measured_at: datetime, now: datetime, max_age: timedelta = MAX_REALTIME_AGE) -> bool:
    """ParkAPI drops realtime data older than 30 minutes (has_realtime_data becomes false)."""
    return measured_at < now - max_age
