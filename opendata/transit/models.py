"""SQLAlchemy models of the transit domain: a GTFS feed plus the EFA view on it and alerts.

GTFS string ids are kept for the interface; the big tables join on small integer keys assigned
by the importer (stop_times is by far the largest table: ~7 M rows for a full VRR feed).
Times of day are seconds since "noon minus 12 h" of the service day (GTFS semantics, may exceed
86 400 for trips after midnight). Timestamps are naive UTC.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from opendata.db import Base


class TransitAgency(Base):
    __tablename__ = "transit_agency"
    agency_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(String(1000))
    timezone: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(64))


class TransitFeedInfo(Base):
    """One row: what was imported, and the latest GTFS time (bounds the service-day lookback)."""

    __tablename__ = "transit_feed_info"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    publisher_name: Mapped[str | None] = mapped_column(String(255))
    publisher_url: Mapped[str | None] = mapped_column(String(1000))
    lang: Mapped[str | None] = mapped_column(String(16))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    version: Mapped[str | None] = mapped_column(String(100))
    max_departure_secs: Mapped[int] = mapped_column(Integer)
    stop_times: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(DateTime)


class TransitStop(Base):
    """GTFS stops.txt: stations (location_type 1) and their platforms, or single stops."""

    __tablename__ = "transit_stop"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    stop_id: Mapped[str] = mapped_column(String(255), unique=True)
    stop_code: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    location_type: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(Integer, index=True)
    platform_code: Mapped[str | None] = mapped_column(String(64))
    wheelchair_boarding: Mapped[int | None] = mapped_column(Integer)


class TransitRoute(Base):
    """GTFS routes.txt plus the EFA product (class and name) the line is shown as."""

    __tablename__ = "transit_route"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    route_id: Mapped[str] = mapped_column(String(255), unique=True)
    agency_id: Mapped[str | None] = mapped_column(String(100))
    short_name: Mapped[str | None] = mapped_column(String(64), index=True)
    long_name: Mapped[str | None] = mapped_column(String(500))
    route_type: Mapped[int] = mapped_column(Integer)
    color: Mapped[str | None] = mapped_column(String(8))
    text_color: Mapped[str | None] = mapped_column(String(8))
    product_class: Mapped[int] = mapped_column(Integer)
    product_name: Mapped[str] = mapped_column(String(64))


class TransitService(Base):
    """A GTFS service_id with its calendar.txt row (weekday flags null if only calendar_dates)."""

    __tablename__ = "transit_service"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    service_id: Mapped[str] = mapped_column(String(255), unique=True)
    weekdays: Mapped[str | None] = mapped_column(String(7))  # "1111100" Monday..Sunday
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)


class TransitCalendarDate(Base):
    """GTFS calendar_dates.txt: exception_type 1 adds, 2 removes service on a date."""

    __tablename__ = "transit_calendar_date"
    service_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    date: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    exception_type: Mapped[int] = mapped_column(Integer)


class TransitTrip(Base):
    """GTFS trips.txt plus where the trip starts and ends (for EFA origin/destination)."""

    __tablename__ = "transit_trip"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    trip_id: Mapped[str] = mapped_column(String(255), unique=True)
    route_id: Mapped[int] = mapped_column(Integer)
    service_id: Mapped[int] = mapped_column(Integer)
    headsign: Mapped[str | None] = mapped_column(String(255))
    short_name: Mapped[str | None] = mapped_column(String(64))
    direction_id: Mapped[int | None] = mapped_column(Integer)
    wheelchair_accessible: Mapped[int | None] = mapped_column(Integer)
    first_stop_id: Mapped[int | None] = mapped_column(Integer)
    last_stop_id: Mapped[int | None] = mapped_column(Integer)
    last_sequence: Mapped[int | None] = mapped_column(Integer)


class TransitStopTime(Base):
    """GTFS stop_times.txt with times as seconds of the service day.

    No foreign keys on purpose: the importer bulk-loads this table (COPY) and checks the
    references itself. The (stop, departure) index makes "next departures at stop X after t"
    an index range scan.
    """

    __tablename__ = "transit_stop_time"
    trip_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    stop_sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    stop_id: Mapped[int] = mapped_column(Integer)
    arrival_secs: Mapped[int] = mapped_column(Integer)
    departure_secs: Mapped[int] = mapped_column(Integer)
    pickup_type: Mapped[int] = mapped_column(Integer)
    drop_off_type: Mapped[int] = mapped_column(Integer)
    stop_headsign: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (Index("ix_transit_stop_time_stop_departure", "stop_id", "departure_secs"),)


class TransitStopRoute(Base):
    """Which routes serve which stop (platform level), collected while importing."""

    __tablename__ = "transit_stop_route"
    stop_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    route_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class TransitLocality(Base):
    """EFA locality ("place") of stops, by the municipality key inside their DHID."""

    __tablename__ = "transit_locality"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    place_id: Mapped[str] = mapped_column(String(64))
    is_default: Mapped[bool] = mapped_column(Boolean)


class TransitAlert(Base):
    """A service alert (EFA "info") from the data package's alerts file."""

    __tablename__ = "transit_alert"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    info_type: Mapped[str] = mapped_column(String(32))  # lineInfo | stopInfo | generalInfo
    priority: Mapped[str] = mapped_column(String(16))
    cause: Mapped[str] = mapped_column(String(32))  # GTFS-RT Alert.Cause
    effect: Mapped[str] = mapped_column(String(32))  # GTFS-RT Alert.Effect
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(String(1000))
    content: Mapped[str] = mapped_column(Text)
    additional_text: Mapped[str | None] = mapped_column(String(1000))
    url: Mapped[str | None] = mapped_column(String(1000))
    lines: Mapped[str] = mapped_column(String(1000))  # route short names, comma separated
    stops: Mapped[str] = mapped_column(Text)  # GTFS stop ids, comma separated
    valid_from: Mapped[datetime] = mapped_column(DateTime)
    valid_to: Mapped[datetime] = mapped_column(DateTime)
    published_from: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    modified_at: Mapped[datetime] = mapped_column(DateTime)
