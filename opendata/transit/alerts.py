"""Service alerts: loading the data package's alerts file and deciding where they apply (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

INFO_TYPES = ("lineInfo", "stopInfo", "generalInfo")
PRIORITIES = ("veryLow", "low", "normal", "high", "veryHigh")


@dataclass(frozen=True)
class Alert:
    """One alert; times are naive UTC like the database columns."""

    id: str
    version: int
    info_type: str
    priority: str
    cause: str
    effect: str
    title: str
    summary: str
    content: str
    additional_text: str | None
    url: str | None
    lines: tuple[str, ...]
    stops: tuple[str, ...]
    valid_from: datetime
    valid_to: datetime
    published_from: datetime
    created_at: datetime
    modified_at: datetime

    def is_current(self, now: datetime) -> bool:
        """Published and not yet over (EFA filterPublicationStatus=current)."""
        return self.published_from <= now <= self.valid_to

    def is_historic(self, now: datetime) -> bool:
        return self.valid_to < now

    def is_valid_at(self, moment: datetime) -> bool:
        return self.valid_from <= moment <= self.valid_to

    def applies_to(self, line: str | None, stop_ids: set[str]) -> bool:
        """Whether a departure of `line` at one of `stop_ids` (station and platform) is affected."""
        if self.info_type == "generalInfo":
            return True
        on_line = line is not None and normalise_line(line) in {
            normalise_line(x) for x in self.lines
        }
        if self.info_type == "lineInfo":
            return on_line
        at_stop = bool(stop_ids.intersection(self.stops))
        return at_stop and (on_line or not self.lines)


def normalise_line(value: str) -> str:
    return "".join(value.split()).upper()


def _local(value: Any, tz: ZoneInfo, what: str) -> datetime:
    """YAML datetime or 'YYYY-MM-DD HH:MM' in local time -> naive UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    if not isinstance(value, datetime):
        raise ValueError(f"{what}: expected a date and time, got {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def parse_alert(item: dict[str, Any], tz: ZoneInfo) -> Alert:
    ident = str(item.get("id") or "")
    if not ident:
        raise ValueError("alert without id")
    info_type = str(item.get("type", "lineInfo"))
    if info_type not in INFO_TYPES:
        raise ValueError(f"{ident}: type must be one of {INFO_TYPES}")
    priority = str(item.get("priority", "normal"))
    if priority not in PRIORITIES:
        raise ValueError(f"{ident}: priority must be one of {PRIORITIES}")
    valid_from = _local(item["valid_from"], tz, f"{ident}.valid_from")
    valid_to = _local(item["valid_to"], tz, f"{ident}.valid_to")
    if valid_to < valid_from:
        raise ValueError(f"{ident}: valid_to before valid_from")
    published = item.get("published_from")
    created = _local(item.get("created") or item["valid_from"], tz, f"{ident}.created")
    return Alert(
        id=ident,
        version=int(item.get("version", 1)),
        info_type=info_type,
        priority=priority,
        cause=str(item.get("cause", "UNKNOWN_CAUSE")),
        effect=str(item.get("effect", "UNKNOWN_EFFECT")),
        title=str(item["title"]).strip(),
        summary=str(item.get("summary") or item["title"]).strip(),
        content=str(item.get("content") or "").strip(),
        additional_text=(
            str(item["additional_text"]).strip() if item.get("additional_text") else None
        ),
        url=str(item["url"]) if item.get("url") else None,
        lines=tuple(str(x) for x in item.get("lines") or ()),
        stops=tuple(str(x) for x in item.get("stops") or ()),
        valid_from=valid_from,
        valid_to=valid_to,
        published_from=_local(published, tz, f"{ident}.published_from")
        if published
        else valid_from,
        created_at=created,
        modified_at=_local(
            item.get("modified") or item.get("created") or item["valid_from"],
            tz,
            f"{ident}.modified",
        ),
    )


def load_alerts(path: Path, tz: ZoneInfo) -> list[Alert]:
    """Alerts of the data package; a missing file means none."""
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = data.get("alerts") if isinstance(data, dict) else None
    return [parse_alert(item, tz) for item in items or []]
