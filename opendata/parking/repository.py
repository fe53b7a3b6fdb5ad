"""Database queries of the parking domain (bound parameters only)."""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from opendata.parking.models import ParkingSite, ParkingSource
from opendata.parking.query import SiteQuery

METRES_PER_DEGREE = 111_320.0
MAX_SITE_ID = 2**31 - 1


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _naive(moment: datetime) -> datetime:
    """Stored times are naive UTC; query times arrive as aware UTC."""
    return moment.replace(tzinfo=None)


def _radius_box(stmt: Select, lat: float, lon: float, radius_m: float) -> Select:
    """Coarse, index-friendly prefilter; the exact distance is checked afterwards."""
    dlat = radius_m / METRES_PER_DEGREE
    stmt = stmt.where(ParkingSite.lat.between(lat - dlat, lat + dlat))
    if abs(lat) + dlat < 89.0:
        dlon = dlat / math.cos(math.radians(abs(lat) + dlat))
        if lon - dlon > -180.0 and lon + dlon < 180.0:  # no wrap across the date line
            stmt = stmt.where(ParkingSite.lon.between(lon - dlon, lon + dlon))
    return stmt


def find_sites(session: Session, query: SiteQuery) -> list[ParkingSite]:
    """Sites matching every filter that SQL can decide, ordered by id (the cursor)."""
    stmt = select(ParkingSite).order_by(ParkingSite.id)
    if query.source_id is not None:
        stmt = stmt.where(ParkingSite.source_id == query.source_id)
    if query.source_uid is not None or query.source_uids is not None:
        stmt = stmt.join(ParkingSource, ParkingSource.id == ParkingSite.source_id)
        if query.source_uid is not None:
            stmt = stmt.where(ParkingSource.uid == query.source_uid)
        if query.source_uids is not None:
            stmt = stmt.where(ParkingSource.uid.in_(query.source_uids))
    if query.purpose is not None:
        stmt = stmt.where(ParkingSite.purpose == query.purpose)
    if query.type is not None:
        stmt = stmt.where(ParkingSite.type == query.type)
    if query.not_type is not None:
        stmt = stmt.where(ParkingSite.type != query.not_type)
    if query.name is not None:
        pattern = f"%{_escape_like(query.name.casefold())}%"
        stmt = stmt.where(ParkingSite.name_folded.like(pattern, escape="\\"))
    if query.official_region_code is not None:
        stmt = stmt.where(ParkingSite.official_region_code == query.official_region_code)
    if query.static_since is not None:
        stmt = stmt.where(ParkingSite.static_data_updated_at >= _naive(query.static_since))
    if query.static_until is not None:
        stmt = stmt.where(ParkingSite.static_data_updated_at <= _naive(query.static_until))
    if query.lat_min is not None:
        stmt = stmt.where(
            ParkingSite.lat.between(query.lat_min, query.lat_max),
            ParkingSite.lon.between(query.lon_min, query.lon_max),
        )
    if query.lat is not None and query.lon is not None and query.radius_m:
        stmt = _radius_box(stmt, query.lat, query.lon, query.radius_m)
    return list(session.scalars(stmt))


def get_site(session: Session, site_id: int) -> ParkingSite | None:
    if not 0 < site_id <= MAX_SITE_ID:
        return None
    return session.get(ParkingSite, site_id)


def list_sources(session: Session) -> list[ParkingSource]:
    return list(session.scalars(select(ParkingSource).order_by(ParkingSource.id)))


def get_source_by_uid(session: Session, uid: str) -> ParkingSource | None:
    return session.scalar(select(ParkingSource).where(ParkingSource.uid == uid))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine; ST_DistanceSphere uses the same sphere)."""
    radius = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(min(1.0, math.sqrt(a)))
