"""Load the applications part of the data package (`vorgaenge.yaml`).

The file holds only hashes of the access codes; a plain `zugangscode` field is refused so that a
slip in a data package cannot put codes into the database. Throttling counters are left alone:
they must survive a reload of the data.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete
from sqlalchemy.orm import Session

from opendata.applications import codes
from opendata.applications.models import Antrag, Schritt
from opendata.applications.status import STATUSES


class DataPackageError(ValueError):
    """The applications file is malformed; the message says where."""


def _date(value: Any, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise DataPackageError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from exc


def _utc(value: Any, where: str) -> datetime:
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise DataPackageError(f"{where}: {value!r} is not an ISO time") from exc
    if moment.tzinfo is None:
        raise DataPackageError(f"{where}: {value!r} needs a UTC offset")
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _check(raw: Any, path: Path) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise DataPackageError(f"{path}: every entry must be a mapping")
    number = codes.normalize_number(str(raw.get("vorgangsnummer", "")))
    where = f"{path} {number or '?'}"
    if not codes.is_valid_number(number):
        raise DataPackageError(f"{where}: vorgangsnummer must look like XX-2026-000123")
    if "zugangscode" in raw:
        raise DataPackageError(f"{where}: plain zugangscode is not allowed, store zugangscode_hash")
    stored = str(raw.get("zugangscode_hash", ""))
    if not codes.is_stored_hash(stored):
        raise DataPackageError(f"{where}: zugangscode_hash is not a scrypt hash from codes.py")
    if raw.get("status") not in STATUSES:
        raise DataPackageError(f"{where}: status must be one of {sorted(STATUSES)}")
    service = raw.get("leistung") or {}
    office = raw.get("zustaendige_stelle") or {}
    if not service.get("bezeichnung") or not office.get("name"):
        raise DataPackageError(f"{where}: leistung.bezeichnung and zustaendige_stelle.name needed")
    return {**raw, "vorgangsnummer": number, "leistung": service, "zustaendige_stelle": office}


def seed(session: Session, source: Path) -> None:
    """Replace the domain's rows with the data package's content (idempotent)."""
    session.execute(delete(Schritt))
    session.execute(delete(Antrag))
    path = source / "vorgaenge.yaml"
    if not path.is_file():
        return
    with path.open(encoding="utf-8") as handle:
        entries = yaml.safe_load(handle) or []
    if not isinstance(entries, list):
        raise DataPackageError(f"{path}: expected a list")
    seen: set[str] = set()
    for raw in entries:
        entry = _check(raw, path)
        number = entry["vorgangsnummer"]
        if number in seen:
            raise DataPackageError(f"{path}: duplicate vorgangsnummer {number}")
        seen.add(number)
        office = entry["zustaendige_stelle"]
        session.add(
            Antrag(
                vorgangsnummer=number,
                zugangscode_hash=str(entry["zugangscode_hash"]),
                leistung_schluessel=str(entry["leistung"].get("schluessel") or ""),
                leistung_bezeichnung=str(entry["leistung"]["bezeichnung"]),
                status=entry["status"],
                status_text=entry.get("status_text"),
                eingang_am=_date(entry.get("eingang_am"), f"{path} {number} eingang_am"),
                letzte_aenderung=_utc(entry.get("letzte_aenderung"), f"{path} {number}"),
                naechster_schritt=entry.get("naechster_schritt"),
                stelle_name=str(office["name"]),
                stelle_telefon=office.get("telefon"),
                stelle_email=office.get("email"),
            )
        )
        session.flush()
        for position, step in enumerate(entry.get("verlauf") or []):
            session.add(
                Schritt(
                    vorgangsnummer=number,
                    position=position,
                    datum=_date(step.get("datum"), f"{path} {number} verlauf"),
                    schritt=str(step.get("schritt") or ""),
                    text=step.get("text"),
                )
            )
