"""Delete what is kept longer than the privacy notice promises (DSGVO storage limitation).

    python -m bot.retention              once
    python -m bot.retention --every 6h   in a loop (the launcher runs it beside the servers)

Conversation events in the SQL tracker store older than CONVERSATION_RETENTION_DAYS (default 30)
and feedback rows older than FEEDBACK_RETENTION_DAYS (default 365) are deleted.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from bot.settings import ROOT, get_settings

log = logging.getLogger("stadtlotse.retention")


def tracker_url() -> sa.engine.URL:
    """The tracker store's database, from the same TRACKER_DB_* variables as endpoints.yml."""
    env = os.environ
    dialect = env.get("TRACKER_DB_DIALECT") or "sqlite"
    database = env.get("TRACKER_DB") or str(ROOT / "var" / "tracker.sqlite")
    if dialect == "sqlite":
        return sa.engine.URL.create("sqlite", database=database)
    port = env.get("TRACKER_DB_PORT")
    return sa.engine.URL.create(
        dialect,
        username=env.get("TRACKER_DB_USER") or None,
        password=env.get("TRACKER_DB_PASSWORD") or None,
        host=env.get("TRACKER_DB_HOST") or None,
        port=int(port) if port else None,
        database=database,
    )


def purge(
    tracker_db: str, feedback_db: str, conversation_days: int, feedback_days: int
) -> tuple[int, int]:
    """Delete old rows; returns (events deleted, feedback rows deleted)."""
    now = datetime.now(timezone.utc)
    events = feedback = 0
    engine = sa.create_engine(tracker_db)
    with engine.begin() as conn:
        if sa.inspect(conn).has_table("events"):
            cutoff = (now - timedelta(days=conversation_days)).timestamp()
            events = conn.execute(
                sa.text("DELETE FROM events WHERE timestamp < :cutoff"), {"cutoff": cutoff}
            ).rowcount
    engine.dispose()
    engine = sa.create_engine(feedback_db)
    with engine.begin() as conn:
        if sa.inspect(conn).has_table("feedback"):
            cutoff_dt = (now - timedelta(days=feedback_days)).replace(tzinfo=None)
            feedback = conn.execute(
                sa.text("DELETE FROM feedback WHERE created_at < :cutoff"), {"cutoff": cutoff_dt}
            ).rowcount
    engine.dispose()
    return events, feedback


def run_once() -> None:
    conversation_days = int(os.environ.get("CONVERSATION_RETENTION_DAYS", "30"))
    feedback_days = int(os.environ.get("FEEDBACK_RETENTION_DAYS", "365"))
    events, feedback = purge(
        tracker_url(), get_settings().feedback_db_url, conversation_days, feedback_days
    )
    log.info("retention: deleted %d conversation events, %d feedback rows", events, feedback)


def _seconds(text: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", help="repeat, e.g. 6h")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    while True:
        try:
            run_once()
        except sa.exc.SQLAlchemyError as error:
            log.error("retention failed: %s. Fix: check TRACKER_DB_* and FEEDBACK_DB_URL", error)
        if not args.every:
            return
        time.sleep(_seconds(args.every))


if __name__ == "__main__":
    main()
