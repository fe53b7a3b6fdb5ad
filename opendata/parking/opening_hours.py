"""A small, strict parser for the subset of OSM `opening_hours` that car parks use.

Why our own: the well-kept library (opening-hours-py, which park-api-v3 uses) only knows
nation-wide holidays, while NRW's holidays (e.g. Corpus Christi) must count as `PH` here. The
holiday decision is therefore left to the caller (`is_holiday`), and this module only parses
and evaluates the grammar.

Supported grammar (anything else raises `OpeningHoursError`):

    rules    := rule (";" rule)*
    rule     := "24/7" | [selector] [state | spans]
    selector := item ("," item)*          item := WD | WD "-" WD | "PH"
    spans    := span ("," span)*          span := HH:MM "-" HH:MM  (end "24:00" allowed)
    state    := "off" | "closed" | "open"
    WD       := Mo | Tu | We | Th | Fr | Sa | Su

Semantics follow the OSM specification: a later rule replaces the whole schedule of every day it
selects (so `PH off` placed last closes holidays, and `Mo-Fr ...` placed after it reopens them);
a rule without selector selects every day; a span whose end is not after its start runs past
midnight into the next day, and that spill-over is added to the next day's schedule.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_SPAN = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_DAY_RANGE = re.compile(r"^(Mo|Tu|We|Th|Fr|Sa|Su)(?:-(Mo|Tu|We|Th|Fr|Sa|Su))?$")
MINUTES_PER_DAY = 24 * 60

HolidayTest = Callable[[date], bool]


class OpeningHoursError(ValueError):
    """The text is not in the supported opening_hours subset."""


@dataclass(frozen=True)
class Rule:
    """One `;`-separated rule: which days it selects and their open minute ranges."""

    weekdays: frozenset[int]  # 0 = Monday
    holidays: bool  # selects public holidays (PH)
    spans: tuple[tuple[int, int], ...]  # (start, end) minutes; end > 1440 spills into next day

    def selects(self, day: date, is_holiday: bool) -> bool:
        return day.weekday() in self.weekdays or (self.holidays and is_holiday)


@dataclass(frozen=True)
class OpeningHours:
    """A parsed opening_hours value; evaluate it with `is_open` / `minutes_to_change`."""

    text: str
    rules: tuple[Rule, ...]

    def _own_spans(self, day: date, is_holiday: HolidayTest) -> tuple[tuple[int, int], ...]:
        """Spans of the last rule that selects `day` (the OSM override rule), or none."""
        holiday = is_holiday(day)
        chosen: tuple[tuple[int, int], ...] = ()
        for rule in self.rules:
            if rule.selects(day, holiday):
                chosen = rule.spans
        return chosen

    def intervals(self, day: date, is_holiday: HolidayTest) -> list[tuple[int, int]]:
        """Open minute ranges within `day` (0..1440), including yesterday's spill-over."""
        own = self._own_spans(day, is_holiday)
        result = [(start, min(end, MINUTES_PER_DAY)) for start, end in own]
        for _start, end in self._own_spans(day - timedelta(days=1), is_holiday):
            if end > MINUTES_PER_DAY:
                result.append((0, end - MINUTES_PER_DAY))
        return result

    def is_open(self, moment: datetime, is_holiday: HolidayTest) -> bool:
        """Whether the site is open at the local wall-clock time `moment`."""
        minute = moment.hour * 60 + moment.minute
        intervals = self.intervals(moment.date(), is_holiday)
        return any(start <= minute < end for start, end in intervals)

    def minutes_to_change(
        self, moment: datetime, is_holiday: HolidayTest, horizon: int = 180
    ) -> tuple[float, float]:
        """Minutes since the state last changed and until it next changes, each capped at
        `horizon` (at most a day); lets the occupancy model fade in after opening and out
        before closing."""
        horizon = min(horizon, MINUTES_PER_DAY)
        day = moment.date()
        spans: list[tuple[int, int]] = []
        for offset in (-1, 0, 1):
            shift = offset * MINUTES_PER_DAY
            spans += [(shift + a, shift + b)
                      for a, b in self.intervals(day + timedelta(days=offset), is_holiday)]
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        minute = moment.hour * 60 + moment.minute + moment.second / 60
        for start, end in merged:
            if start <= minute < end:  # open
                since = minute - start if start > -MINUTES_PER_DAY else horizon
                until = end - minute if end < 2 * MINUTES_PER_DAY else horizon
                return min(since, horizon), min(until, horizon)
        before = [end for _start, end in merged if end <= minute]
        after = [start for start, _end in merged if start > minute]
        since = minute - max(before) if before else horizon
        until = min(after) - minute if after else horizon
        return min(since, horizon), min(until, horizon)


def _parse_selector(text: str) -> tuple[frozenset[int], bool]:
    weekdays: set[int] = set()
    holidays = False
    for item in text.split(","):
        item = item.strip()
        if item == "PH":
            holidays = True
            continue
        match = _DAY_RANGE.match(item)
        if not match:
            raise OpeningHoursError(f"unsupported day selector {item!r}")
        first = WEEKDAYS.index(match.group(1))
        last = WEEKDAYS.index(match.group(2) or match.group(1))
        day = first
        while True:  # ranges may wrap, e.g. Sa-Mo
            weekdays.add(day)
            if day == last:
                break
            day = (day + 1) % 7
    return frozenset(weekdays), holidays


def _parse_spans(text: str) -> tuple[tuple[int, int], ...]:
    spans = []
    for item in text.split(","):
        match = _SPAN.match(item.strip())
        if not match:
            raise OpeningHoursError(f"unsupported time span {item.strip()!r}")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            raise OpeningHoursError(f"invalid time in {item.strip()!r}")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end <= start:  # runs past midnight
            end += MINUTES_PER_DAY
        spans.append((start, end))
    return tuple(spans)


def _parse_rule(text: str) -> Rule:
    every_day = frozenset(range(7))
    if text == "24/7":
        return Rule(every_day, True, ((0, MINUTES_PER_DAY),))
    head, _, tail = text.partition(" ")
    tail = tail.strip()
    if head[:1].isdigit():  # no selector: the rule applies to every day
        selector, body = (every_day, True), text
    else:
        selector, body = _parse_selector(head), tail
    if body in ("off", "closed"):
        spans: tuple[tuple[int, int], ...] = ()
    elif body in ("open", "24/7", ""):  # a bare selector ("Mo-Fr") means open all day
        spans = ((0, MINUTES_PER_DAY),)
    else:
        spans = _parse_spans(body)
    return Rule(selector[0], selector[1], spans)


def parse(text: str) -> OpeningHours:
    """Parse an opening_hours value of the supported subset; raise OpeningHoursError if not."""
    if not isinstance(text, str) or not text.strip():
        raise OpeningHoursError("empty opening_hours")
    if len(text) > 512:
        raise OpeningHoursError("opening_hours longer than 512 characters")
    parts = [part.strip() for part in text.split(";")]
    if any(not part for part in parts):
        raise OpeningHoursError(f"empty rule in {text!r}")
    return OpeningHours(text=text.strip(), rules=tuple(_parse_rule(part) for part in parts))
