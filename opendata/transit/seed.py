"""Load the transit part of the data package: GTFS feed, EFA settings and alerts."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from opendata.settings import get_settings
from opendata.transit.alerts import load_alerts
from opendata.transit.config import load_config
from opendata.transit.gtfs_import import Progress, clear_feed, import_feed
from opendata.transit.models import TransitAlert, TransitLocality, TransitRoute


def feed_path(source: Path) -> Path | None:
    """The package's feed: a gtfs/ folder or a gtfs.zip beside the settings."""
    for candidate in (source / "gtfs", source / "gtfs.zip"):
        if candidate.exists():
            return candidate
    return None


def seed(session: Session, source: Path, progress: Progress | None = None) -> None:
    """Replace the domain's rows with the data package's content (idempotent)."""
    conn = session.connection()
    session.execute(delete(TransitAlert))
    session.execute(delete(TransitLocality))
    feed = feed_path(source)
    if feed is None:
        clear_feed(conn)  # this city publishes no transit data
        return
    import_feed(conn, feed, progress=progress)
    config = load_config(source / "efa.yaml")
    for locality in config.localities:
        session.add(
            TransitLocality(
                code=locality.code,
                name=locality.name,
                place_id=locality.place_id,
                is_default=locality.name == config.place,
            )
        )
    for rule in config.products:
        prefix = rule.prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        session.execute(
            update(TransitRoute)
            .where(TransitRoute.short_name.like(prefix + "%", escape="\\"))
            .values(product_class=rule.product_class, product_name=rule.name)
        )
    tz = ZoneInfo(get_settings().timezone)
    for alert in load_alerts(source / "alerts.yaml", tz):
        row = asdict(alert)
        row["lines"] = ",".join(alert.lines)
        row["stops"] = ",".join(alert.stops)
        session.add(TransitAlert(**row))
    session.flush()
