"""Delete what is kept longer than the privacy notice promises (DSGVO storage limitation).

    python -m bot.retention              once
    python -m bot.retention --every 6h   in a loop (the launcher runs it beside the servers)

Conversation events in the SQL tracker store older than CONVERSATION_RETENTION_DAYS (default 30)
and feedback rows older than FEEDBACK_RETENTION_DAYS (default 365) are deleted.

Deleted means gone from the database files, not only from query results:

- SQLite: every connection sets `PRAGMA secure_delete=ON` (deleted content is overwritten with
  zeros), and after rows were deleted the database is rebuilt with VACUUM and the WAL is emptied
  with `PRAGMA wal_checkpoint(TRUNCATE)` (the WAL keeps old page versions otherwise). VACUUM needs
  free disk space of about the database's size and briefly blocks writers.
- PostgreSQL: DELETE only marks rows dead; their bytes stay in the table files until VACUUM
  reclaims the space, and even then until the space is reused. After deleting, this job runs
  `VACUUM` on the table (dead rows become free space at once instead of whenever autovacuum
  comes). Only `VACUUM FULL <table>` (or pg_repack) rewrites the table without the old bytes;
  it locks the table, so schedule it (e.g. weekly, at night) where the deletion period is a
  promise. The WAL and base backups hold copies until they are recycled or expire: keep
  `wal_keep_size`, WAL archives and backups no longer than the promised period.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from datetime import datetime, timedelta, timezone
from typing import Any

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


def _engine(url: str | sa.engine.URL) -> sa.engine.Engine:
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _secure_delete(connection: Any, _record: Any) -> None:
            connection.execute("PRAGMA secure_delete=ON")

    return engine


def _delete(url: str | sa.engine.URL, table: str, column: str, cutoff: Any) -> int:
    """Delete the table's rows older than `cutoff` and clear their bytes from the files."""
    engine = _engine(url)
    try:
        with engine.begin() as conn:
            if not sa.inspect(conn).has_table(table):
                return 0
            deleted = conn.execute(
                sa.text(f"DELETE FROM {table} WHERE {column} < :cutoff"), {"cutoff": cutoff}
            ).rowcount
        if deleted:
            try:
                compact(engine, table)
            except sa.exc.OperationalError as error:  # busy: secure_delete has zeroed the rows
                log.warning("retention: %s not compacted (%s); a later run compacts", table, error)
        return int(deleted or 0)
    finally:
        engine.dispose()


def compact(engine: sa.engine.Engine, table: str) -> None:
    """After a deletion: SQLite VACUUM + WAL truncation, PostgreSQL VACUUM (see the module doc)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("VACUUM")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        elif engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"VACUUM {table}")


def purge(
    tracker_db: str | sa.engine.URL, feedback_db: str, conversation_days: int, feedback_days: int
) -> tuple[int, int]:
    """Delete old rows; returns (events deleted, feedback rows deleted)."""
    now = datetime.now(timezone.utc)
    events = _delete(
        tracker_db, "events", "timestamp", (now - timedelta(days=conversation_days)).timestamp()
    )
    feedback = _delete(
        feedback_db,
        "feedback",
        "created_at",
        (now - timedelta(days=feedback_days)).replace(tzinfo=None),
    )
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
