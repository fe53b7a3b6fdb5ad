"""German wording of numbers, times, distances and the source line; safe plain text."""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from bot.redaction import redact_text
from bot.settings import get_settings

BERLIN = ZoneInfo("Europe/Berlin")
_TAG = re.compile(r"<[^>]{0,200}>")


def now() -> datetime:
    pinned = get_settings().clock
    return pinned.astimezone(timezone.utc) if pinned else datetime.now(timezone.utc)


def local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(BERLIN)


def clock_time(moment: datetime) -> str:
    return local(moment).strftime("%H:%M")


def date_de(moment: datetime) -> str:
    return local(moment).strftime("%d.%m.%Y")


def number(value: float, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "X").replace(".", ",").replace("X", ".")


def distance(metres: float) -> str:
    if metres < 1000:
        return f"{round(metres / 10) * 10:.0f} m"
    return f"{number(metres / 1000, 1)} km"


def minutes_until(moment: datetime, reference: datetime | None = None) -> int:
    reference = reference or now()
    return max(0, round((moment - reference).total_seconds() / 60))


def age(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 1:
        return "gerade eben"
    if minutes < 90:
        return f"vor {minutes} Min."
    return f"vor {round(minutes / 60)} Std."


SIMULATED = "simulierte Demo-Werte"


def source_line(
    source: str,
    licence: str,
    stamp: datetime | None,
    stale_age: float | None = None,
    simulated: bool = False,
) -> str:
    """One short line: where the data is from, its licence and how current it is; after a
    warning line when the source failed and the answer is its last known value (`stale_age`).
    `simulated`: the source declared its values simulated (demo data), and the line says so."""
    parts = [f"Quelle: {source}, {SIMULATED}" if simulated else f"Quelle: {source}"]
    if licence:
        parts.append(f"Lizenz: {licence}")
    if stamp is not None:
        stamp_local = local(stamp)
        same_day = stamp_local.date() == local(now()).date()
        parts.append(
            f"Stand: {stamp_local:%H:%M} Uhr" if same_day else f"Stand: {stamp_local:%d.%m.%Y}"
        )
    line = "ℹ️ " + " · ".join(parts)
    return line if stale_age is None else f"{stale_note(stale_age)}\n{line}"


def plain(text: str, limit: int = 80) -> str:
    """User text fit to quote back: no markup, no control characters, no access code (a code
    typed in the wrong place is never echoed), bounded length."""
    text = redact_text(html.unescape(text)) or ""
    text = _TAG.sub("", text)
    text = re.sub(r"[\x00-\x1f\x7f<>]", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def stale_note(age_seconds: float) -> str:
    return (
        "⚠️ Die Quelle ist gerade nicht erreichbar; das ist der zuletzt bekannte Stand "
        f"({age(age_seconds)})."
    )


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    from math import asin, cos, radians, sin, sqrt

    dlat, dlon = radians(lat2 - lat1), radians(lon2 - lon1)
    a = sin(dlat / 2) ** 2 + cos(radians(lat1)) * cos(radians(lat2)) * sin(dlon / 2) ** 2
    return 2 * 6_371_000 * asin(sqrt(a))
