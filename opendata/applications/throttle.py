"""Failed-attempt throttling for the status lookup, kept in the database.

Why in the database: the counters must survive a restart and be shared by all workers.

Two budgets per sliding window of 15 minutes:

* per application number: 5 failures. Keyed by the number alone, whoever asks, so neither a new
  `X-Client-Key` nor a new network address buys an attacker more guesses for one number. Unknown
  numbers are counted exactly like known ones, otherwise the 429 would reveal which numbers exist.
* per client: 20 failures. A client is the network address plus the optional opaque
  `X-Client-Key` header: the assistant sends a hash of the conversation id, so one user's typos do
  not lock out every other conversation behind the same action server, while the per-number budget
  still caps guessing on each number.

A request is checked *before* the code is verified: once a budget is used up the answer is 429 with
`Retry-After` (seconds until the oldest counted failure leaves the window), and nothing is
verified or counted. A success removes only the failures that the same client made for the same
number (its own typos before getting it right); failures by others stay, so a legitimate owner who
logs in cannot reset an attacker's progress, and an attacker cannot reset it by knowing one code.
The price: somebody guessing at a number can lock its owner out for up to 15 minutes; the answer
tells the owner to wait or call the office, which is the usual trade-off.

Concurrency: each check reserves its attempt first (an INSERT), then counts, then verifies. On
SQLite the INSERT takes the database write lock, so checks run one after another; on PostgreSQL a
transaction-level advisory lock on the number (then on the client, always in that order) does the
same per number. So parallel requests cannot all slip through before the first failure is counted.
Numbers and clients are stored only as SHA-256 digests (no plain addresses or numbers).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from opendata.applications.models import Fehlversuch

WINDOW = timedelta(minutes=15)
LIMIT_PER_NUMBER = 5
LIMIT_PER_CLIENT = 20


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


def _lock(session: Session, *keys: str) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in keys:
        lock_id = int.from_bytes(bytes.fromhex(key[:16]), "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_id})


def _retry_after(
    session: Session, column: InstrumentedAttribute[str], key: str, since: datetime, now: datetime
) -> int:
    oldest = session.scalar(
        select(func.min(Fehlversuch.zeitpunkt)).where(column == key, Fehlversuch.zeitpunkt > since)
    )
    if oldest is None:
        return 1
    return max(1, math.ceil((oldest + WINDOW - now).total_seconds()))


def reserve(session: Session, number_key: str, client_key: str, now: datetime) -> Attempt | Blocked:
    """Reserve one attempt, or say how long to wait. `now` is naive UTC. Caller commits."""
    _lock(session, number_key, client_key)
    since = now - WINDOW
    session.execute(delete(Fehlversuch).where(Fehlversuch.zeitpunkt <= since))
    row = Fehlversuch(nummer_hash=number_key, client_hash=client_key, zeitpunkt=now)
    session.add(row)
    session.flush()
    per_number = session.scalar(
        select(func.count())
        .select_from(Fehlversuch)
        .where(Fehlversuch.nummer_hash == number_key, Fehlversuch.zeitpunkt > since)
    )
    per_client = session.scalar(
        select(func.count())
        .select_from(Fehlversuch)
        .where(Fehlversuch.client_hash == client_key, Fehlversuch.zeitpunkt > since)
    )
    if (per_number or 0) <= LIMIT_PER_NUMBER and (per_client or 0) <= LIMIT_PER_CLIENT:
        return Attempt(row.id, number_key, client_key)
    session.delete(row)
    session.flush()
    waits = []
    if (per_number or 0) > LIMIT_PER_NUMBER:
        waits.append(_retry_after(session, Fehlversuch.nummer_hash, number_key, since, now))
    if (per_client or 0) > LIMIT_PER_CLIENT:
        waits.append(_retry_after(session, Fehlversuch.client_hash, client_key, since, now))
    return Blocked(retry_after=max(waits))


def succeeded(session: Session, attempt: Attempt) -> None:
    """Forget this client's own failures for this number (including the reservation)."""
    session.execute(
        delete(Fehlversuch).where(
            Fehlversuch.nummer_hash == attempt.number, Fehlversuch.client_hash == attempt.client
        )
    )
