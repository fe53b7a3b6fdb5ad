"""Failed-attempt throttling for the status lookup, kept in the database.

Why in the database: the counters must survive a restart and be shared by all workers and
processes.

Three budgets (defaults; each configurable, see opendata.settings):

* per application number: 5 failures in 15 minutes (`APPLICATIONS_FAILURES_PER_NUMBER`,
  `APPLICATIONS_WINDOW_SECONDS`). Keyed by the number alone, whoever asks, so neither a new
  `X-Client-Key` nor a new network address buys an attacker more guesses for one number. Once it
  is used up the number answers 429 for the rest of the window, even with the right code. Unknown
  numbers are counted exactly like known ones, otherwise the 429 would reveal which numbers exist.
* per client: 20 failures in 15 minutes (`APPLICATIONS_FAILURES_PER_CLIENT`). A client is the
  network address plus the optional opaque `X-Client-Key` header: the assistant sends a hash of
  the conversation id, so one user's typos do not lock out every other conversation behind the
  same action server. Inventing client keys escapes this budget, not the other two.
* global: 30 failures per minute across all numbers and clients (`APPLICATIONS_FAILURES_GLOBAL`,
  `APPLICATIONS_GLOBAL_WINDOW_SECONDS`). This is what caps guessing with invented client keys
  over many numbers: beyond it every lookup answers 429 until the minute has passed. The price:
  a guessing campaign makes everybody wait up to a minute; nobody learns anything meanwhile.

A request is checked *before* the code is verified, in two steps. `precheck` only reads (three
indexed counts, no lock, no write): a request over any budget is answered 429 at once, without a
transaction and without scrypt, so a flood of throttled guesses stays cheap. Otherwise `reserve`
records the attempt (an INSERT) and counts again under a lock, so parallel requests cannot all slip
through before the first failure is counted; only then is the code verified. The 429 carries
`Retry-After` (seconds until the oldest counted failure leaves the exhausted window); a refused
request is not counted. A success removes only the failures that the same client made for the same
number (its own typos before getting it right); failures by others stay, so a legitimate owner who
logs in cannot reset an attacker's progress, and an attacker cannot reset it by knowing one code.
Somebody guessing at a number can lock its owner out for up to 15 minutes; the answer tells the
owner to wait or call the office, which is the usual trade-off.

Locks: on SQLite the first statement of `reserve` (a DELETE) takes the database write lock, so
reservations run one after another; on PostgreSQL a transaction-level advisory lock does the same
(one lock for all reservations: the global budget is shared by all numbers, and a reservation
holds it for a few milliseconds; the scrypt check runs after the commit).
Numbers and clients are stored only as SHA-256 digests (no plain addresses or numbers).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, select, text
from sqlalchemy.orm import Session

from opendata.applications.models import Fehlversuch
from opendata.settings import get_settings

GLOBAL_LOCK = int.from_bytes(hashlib.sha256(b"applications-throttle").digest()[:8], "big",
                             signed=True)


@dataclass(frozen=True)
class Limits:
    per_number: int = 5
    per_client: int = 20
    window: timedelta = timedelta(minutes=15)  # per number and per client
    global_failures: int = 30
    global_window: timedelta = timedelta(minutes=1)

    @classmethod
    def from_settings(cls) -> Limits:
        settings = get_settings()
        return cls(
            per_number=settings.applications_failures_per_number,
            per_client=settings.applications_failures_per_client,
            window=timedelta(seconds=settings.applications_window_seconds),
            global_failures=settings.applications_failures_global,
            global_window=timedelta(seconds=settings.applications_global_window_seconds),
        )

    @property
    def retention(self) -> timedelta:
        return max(self.window, self.global_window)


def digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}\x00{value}".encode()).hexdigest()


def client_digest(address: str, client_key: str | None) -> str:
    return digest("client", f"{address}\x00{client_key or ''}")


@dataclass(frozen=True)
class Attempt:
    """A reserved attempt: counted as a failure unless `succeeded` is called."""

    id: int
    number: str
    client: str


@dataclass(frozen=True)
class Blocked:
    retry_after: int  # seconds


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": GLOBAL_LOCK})


def _over_budget(session: Session, number_key: str, client_key: str, now: datetime,
                 limits: Limits, allowed: int) -> Blocked | None:
    """Blocked when a budget already holds `limit + allowed` failures (allowed=0 before the
    attempt is recorded, 1 after), with the longest wait among the exhausted budgets.

    One query: counts and oldest failure of all three budgets. It reads only the rows of the
    last window, and those are few by construction: refused attempts are never recorded, so the
    table holds at most the global budget per minute (30 × 15 rows with the defaults)."""
    recent = Fehlversuch.zeitpunkt > now - limits.global_window
    in_window = Fehlversuch.zeitpunkt > now - limits.window
    budgets = (
        (limits.global_failures, limits.global_window, recent),
        (limits.per_number, limits.window, and_(in_window, Fehlversuch.nummer_hash == number_key)),
        (limits.per_client, limits.window, and_(in_window, Fehlversuch.client_hash == client_key)),
    )
    columns = []
    for _, _, condition in budgets:
        columns += [func.count().filter(condition), func.min(Fehlversuch.zeitpunkt).filter(condition)]
    row = session.execute(
        select(*columns).where(Fehlversuch.zeitpunkt > now - limits.retention)
    ).one()
    waits = []
    for index, (limit, window, _) in enumerate(budgets):
        count, oldest = row[2 * index], row[2 * index + 1]
        if (count or 0) >= limit + allowed:
            seconds = math.ceil((oldest + window - now).total_seconds()) if oldest else 1
            waits.append(max(1, seconds))
    return Blocked(retry_after=max(waits)) if waits else None


def precheck(session: Session, number_key: str, client_key: str, now: datetime,
             limits: Limits | None = None) -> Blocked | None:
    """Read-only: Blocked when a budget is already used up (cheap: no lock, no write)."""
    return _over_budget(session, number_key, client_key, now, limits or Limits.from_settings(), 0)


def reserve(session: Session, number_key: str, client_key: str, now: datetime,
            limits: Limits | None = None) -> Attempt | Blocked:
    """Reserve one attempt, or say how long to wait. `now` is naive UTC. Caller commits."""
    limits = limits or Limits.from_settings()
    _lock(session)
    session.execute(delete(Fehlversuch).where(Fehlversuch.zeitpunkt <= now - limits.retention))
    row = Fehlversuch(nummer_hash=number_key, client_hash=client_key, zeitpunkt=now)
    session.add(row)
    session.flush()
    blocked = _over_budget(session, number_key, client_key, now, limits, 1)
    if blocked is None:
        return Attempt(row.id, number_key, client_key)
    session.delete(row)
    session.flush()
    return blocked


def succeeded(session: Session, attempt: Attempt) -> None:
    """Forget this client's own failures for this number (including the reservation)."""
    session.execute(
        delete(Fehlversuch).where(
            Fehlversuch.nummer_hash == attempt.number, Fehlversuch.client_hash == attempt.client
        )
    )
