"""Load the services part of the data package (region, offices, services, responsibilities)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.orm import Session

from opendata.services import catalogue, zufi
from opendata.services.models import Leistung, Postleitzahl, Region, Stelle, Zustaendigkeit


def seed(session: Session, source: Path) -> None:
    """Replace the domain's rows with the data package's content (idempotent)."""
    for table in (Zustaendigkeit, Postleitzahl, Leistung, Stelle, Region):
        session.execute(delete(table))
    if not source.is_dir():
        return  # a city without service data serves empty answers
    data = catalogue.load(source)
    region = data.region
    mandant = region["mandant"]
    session.add(
        Region(
            regionalschluessel=region["regionalschluessel"], name=region["name"], mandant=mandant
        )
    )
    session.flush()
    session.add_all(
        Postleitzahl(plz=code, regionalschluessel=region["regionalschluessel"])
        for code in region["postleitzahlen"]
    )
    session.add_all(
        Stelle(id=o["id"], name=o["name"], daten=zufi.organisationseinheit(o, mandant))
        for o in data.offices
    )
    session.flush()
    for position, service in enumerate(data.services):
        session.add(
            Leistung(
                schluessel=service["schluessel"],
                bezeichnung=service["bezeichnung"],
                bezeichnung2=service.get("bezeichnung2"),
                position=position,
                stammtext=zufi.stammtext(service),
                suchbegriffe=[str(s) for s in service.get("suchbegriffe") or []],
            )
        )
    session.flush()
    session.add_all(
        Zustaendigkeit(
            leistung_schluessel=service["schluessel"],
            stelle_id=office,
            regionalschluessel=region["regionalschluessel"],
            position=rank,
        )
        for service in data.services
        for rank, office in enumerate(service.get("zustaendige_stellen") or [])
    )
