"""Tables of the services domain: services (LeiKa), offices, responsibilities, the region.

The descriptive texts of a service (`stammtext`) and of an office (`daten`) are kept as JSON
documents: the API hands them out whole, nothing filters on their inner fields, and another city's
data package may carry fields this code does not know yet.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from opendata.db import Base


class Leistung(Base):
    """One administrative service, keyed by its 14-digit LeiKa key."""

    __tablename__ = "services_leistung"

    schluessel: Mapped[str] = mapped_column(String(14), primary_key=True)
    bezeichnung: Mapped[str] = mapped_column(String(200))
    bezeichnung2: Mapped[str | None] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer)  # order in the data package
    stammtext: Mapped[dict[str, Any]] = mapped_column(JSON)  # leistungStammtext + own modules
    suchbegriffe: Mapped[list[str]] = mapped_column(JSON)  # extra search words (not published)


class Stelle(Base):
    """An office (Organisationseinheit) with address, contact channels and opening hours."""

    __tablename__ = "services_stelle"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    daten: Mapped[dict[str, Any]] = mapped_column(JSON)


class Zustaendigkeit(Base):
    """Which office handles which service in which region (ARS), in order of preference."""

    __tablename__ = "services_zustaendigkeit"
    __table_args__ = (
        Index(
            "ix_services_zustaendigkeit_leistung_region",
            "leistung_schluessel",
            "regionalschluessel",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    leistung_schluessel: Mapped[str] = mapped_column(
        String(14),
        ForeignKey(
            "services_leistung.schluessel",
            ondelete="CASCADE",
            name="fk_services_zustaendigkeit_leistung",  # conventional name > 63 chars
        ),
    )
    stelle_id: Mapped[str] = mapped_column(
        String(80), ForeignKey("services_stelle.id", ondelete="CASCADE")
    )
    regionalschluessel: Mapped[str] = mapped_column(String(12))
    position: Mapped[int] = mapped_column(Integer)


class Region(Base):
    """The region (municipality) the data package describes."""

    __tablename__ = "services_region"

    regionalschluessel: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    mandant: Mapped[str] = mapped_column(String(200))


class Postleitzahl(Base):
    """Postcode → region, for `/zustaendigkeiten?plz=` (a postcode may touch several regions)."""

    __tablename__ = "services_plz"

    plz: Mapped[str] = mapped_column(String(5), primary_key=True)
    regionalschluessel: Mapped[str] = mapped_column(
        String(12),
        ForeignKey("services_region.regionalschluessel", ondelete="CASCADE"),
        primary_key=True,
    )
