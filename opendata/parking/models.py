"""SQLAlchemy models of the parking domain (static facts; live values are simulated).

Field names follow ParkAPI v3 (park-api-v3 `ParkingSite` / `Source`), so serialising is a rename-
free copy. Times are stored as naive UTC, which both SQLite and PostgreSQL handle alike.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from opendata.db import Base


class ParkingSource(Base):
    """A data source (ParkAPI `source`), e.g. one city's parking guidance system."""

    __tablename__ = "parking_source"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    uid: Mapped[str] = mapped_column(String(256), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    public_url: Mapped[str | None] = mapped_column(String(4096))
    attribution: Mapped[str | None] = mapped_column(String(512))
    # Public holidays of the source's region count as Sundays in the occupancy model.
    holiday_country: Mapped[str] = mapped_column(String(8))
    holiday_subdivision: Mapped[str | None] = mapped_column(String(16))
    static_data_updated_at: Mapped[datetime] = mapped_column(DateTime())

    sites: Mapped[list[ParkingSite]] = relationship(back_populates="source")


class ParkingSite(Base):
    """One car park with its ParkAPI v3 static fields and occupancy-model parameters."""

    __tablename__ = "parking_site"
    __table_args__ = (
        UniqueConstraint("source_id", "original_uid", name="uq_parking_site_source_original_uid"),
        Index("ix_parking_site_lat_lon", "lat", "lon"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source_id: Mapped[int] = mapped_column(ForeignKey("parking_source.id"), index=True)
    original_uid: Mapped[str] = mapped_column(String(256))
    name: Mapped[str] = mapped_column(String(256))
    # casefold()ed name: case-insensitive "contains" search that also folds umlauts alike on
    # SQLite (whose LIKE only folds ASCII) and PostgreSQL.
    name_folded: Mapped[str] = mapped_column(String(256))
    operator_name: Mapped[str | None] = mapped_column(String(256))
    public_url: Mapped[str | None] = mapped_column(String(4096))
    address: Mapped[str | None] = mapped_column(String(512))
    description: Mapped[str | None] = mapped_column(String(4096))
    type: Mapped[str] = mapped_column(String(40), index=True)
    purpose: Mapped[str] = mapped_column(String(20), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    official_region_code: Mapped[str | None] = mapped_column(String(36), index=True)
    capacity: Mapped[int] = mapped_column(Integer)
    capacity_disabled: Mapped[int | None] = mapped_column(Integer)
    max_height: Mapped[int | None] = mapped_column(Integer)  # centimetres
    has_fee: Mapped[bool | None] = mapped_column(Boolean)
    fee_description: Mapped[str | None] = mapped_column(String(4096))
    opening_hours: Mapped[str | None] = mapped_column(String(512))  # OSM syntax
    park_and_ride_type: Mapped[str | None] = mapped_column(String(256))  # "TRAIN|TRAM"
    supervision_type: Mapped[str | None] = mapped_column(String(20))
    is_covered: Mapped[bool | None] = mapped_column(Boolean)
    # Parkleitsystem zone (e.g. "City"); published as tag "ZONE_<ZONE>" and in the description.
    zone: Mapped[str | None] = mapped_column(String(80))
    tags: Mapped[str | None] = mapped_column(String(1024))  # further tags, "|"-separated
    # Restrictions besides DISABLED (from capacity_disabled): "CHARGING:5|WOMEN:10".
    restrictions: Mapped[str | None] = mapped_column(String(512))
    # Occupancy model: profile mix ("station:0.6|cinema_event:0.4") and peak share of spaces.
    occupancy_profile: Mapped[str] = mapped_column(String(256))
    peak_occupancy: Mapped[float] = mapped_column(Float)
    has_realtime_data: Mapped[bool] = mapped_column(Boolean)  # the site has a sensor feed
    realtime_frozen_at: Mapped[datetime | None] = mapped_column(DateTime())  # feed broke here
    static_data_updated_at: Mapped[datetime] = mapped_column(DateTime())
    created_at: Mapped[datetime] = mapped_column(DateTime())
    modified_at: Mapped[datetime] = mapped_column(DateTime())

    source: Mapped[ParkingSource] = relationship(back_populates="sites")
