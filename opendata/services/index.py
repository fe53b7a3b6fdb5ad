"""The in-memory search index over the seeded services, rebuilt when the data package changes.

Each worker process keeps its own copy; it checks the domain's seed fingerprint (one indexed
primary-key lookup) on every request and rebuilds only when that changed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from opendata.seed import SeedState
from opendata.services.models import Leistung, Region
from opendata.services.search import Document, ServiceIndex


@dataclass(frozen=True)
class Snapshot:
    fingerprint: str
    index: ServiceIndex
    texts: dict[str, dict[str, Any]]  # schluessel -> leistungStammtext


_lock = threading.Lock()
_snapshot: Snapshot | None = None


def document(row: Leistung) -> Document:
    text = row.stammtext
    return Document(
        key=row.schluessel,
        names=tuple(n for n in (row.bezeichnung, row.bezeichnung2) if n),
        synonyms=tuple(text.get("synonyme") or ()),
        keywords=tuple(row.suchbegriffe or ()),
        summary=" ".join(t for t in (text.get("teaser"), text.get("kurztext")) if t),
        body=" ".join(
            t
            for t in (text.get("volltext"), text.get("verfahrensablauf"), text.get("hinweise"))
            if t
        ),
    )


def current(session: Session) -> Snapshot:
    """The index for what is in the database now."""
    global _snapshot
    fingerprint = (
        session.scalar(select(SeedState.fingerprint).where(SeedState.domain == "services")) or ""
    )
    snapshot = _snapshot
    if snapshot is not None and snapshot.fingerprint == fingerprint:
        return snapshot
    with _lock:
        if _snapshot is not None and _snapshot.fingerprint == fingerprint:
            return _snapshot
        rows = session.scalars(select(Leistung).order_by(Leistung.position)).all()
        places = [t for r in session.scalars(select(Region)) for t in (r.name, r.mandant)]
        _snapshot = Snapshot(
            fingerprint=fingerprint,
            index=ServiceIndex((document(r) for r in rows), ignore=places),
            texts={r.schluessel: r.stammtext for r in rows},
        )
        return _snapshot
