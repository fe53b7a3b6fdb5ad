"""Tables of the applications domain: applications, their steps, failed status lookups.

No personal data: an application row holds its number, the hash of its access code, the service,
the state and the responsible office's general contact, nothing about the applicant.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from opendata.db import Base


class Antrag(Base):
    __tablename__ = "applications_antrag"

    vorgangsnummer: Mapped[str] = mapped_column(String(20), primary_key=True)
    zugangscode_hash: Mapped[str] = mapped_column(String(200))
    leistung_schluessel: Mapped[str] = mapped_column(String(14))
    leistung_bezeichnung: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    status_text: Mapped[str | None] = mapped_column(Text)
    eingang_am: Mapped[date] = mapped_column(Date)
    letzte_aenderung: Mapped[datetime] = mapped_column(DateTime)  # naive UTC
    naechster_schritt: Mapped[str | None] = mapped_column(Text)
    stelle_name: Mapped[str] = mapped_column(String(200))
    stelle_telefon: Mapped[str | None] = mapped_column(String(50))
    stelle_email: Mapped[str | None] = mapped_column(String(200))


class Schritt(Base):
    """One entry of an application's history (`verlauf`)."""

    __tablename__ = "applications_schritt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    vorgangsnummer: Mapped[str] = mapped_column(
        String(20), ForeignKey("applications_antrag.vorgangsnummer", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    datum: Mapped[date] = mapped_column(Date)
    schritt: Mapped[str] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(Text)


class Fehlversuch(Base):
    """A failed (or in-flight) status lookup, for throttling; see `throttle`."""

    __tablename__ = "applications_fehlversuch"
    __table_args__ = (
        Index("ix_applications_fehlversuch_nummer_zeit", "nummer_hash", "zeitpunkt"),
        Index("ix_applications_fehlversuch_client_zeit", "client_hash", "zeitpunkt"),
        Index("ix_applications_fehlversuch_zeitpunkt", "zeitpunkt"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    nummer_hash: Mapped[str] = mapped_column(String(64))
    client_hash: Mapped[str] = mapped_column(String(64))
    zeitpunkt: Mapped[datetime] = mapped_column(DateTime)  # naive UTC
