"""Load the parking part of the data package into the database."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.orm import Session

from opendata.parking.loader import SiteData, SourceData, load_sites, load_source
from opendata.parking.models import ParkingSite, ParkingSource
from opendata.parking.occupancy import format_profile

SOURCE_ID = 1


def zone_tag(zone: str) -> str:
    """The ParkAPI tag that carries a Parkleitsystem zone, e.g. "ZONE_INNENHAFEN"."""
    return "ZONE_" + "_".join(zone.upper().split())


def _description(site: SiteData, source: SourceData) -> str | None:
    """Zone first (readable for people and for clients without tag support), then the text."""
    parts = []
    if site.zone:
        parts.append(f"Parkleitsystem-Zone {site.zone} ({source.zones[site.zone]}).")
    if site.description:
        parts.append(site.description)
    return " ".join(parts) or None


def _naive_utc(moment: datetime | None) -> datetime | None:
    """The tables store naive UTC (see models)."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment is not None else None


def seed(session: Session, source: Path) -> None:
    """Replace the domain's rows with the data package's content (idempotent)."""
    session.execute(delete(ParkingSite))
    session.execute(delete(ParkingSource))
    if not (source / "source.yaml").is_file():
        return  # this city publishes no parking data
    source_data = load_source(source)
    sites = load_sites(source, source_data)
    updated = _naive_utc(source_data.static_data_updated_at)
    session.add(
        ParkingSource(
            id=SOURCE_ID,
            uid=source_data.uid,
            name=source_data.name,
            public_url=source_data.public_url,
            attribution=source_data.attribution,
            holiday_country=source_data.holidays.country,
            holiday_subdivision=source_data.holidays.subdivision,
            static_data_updated_at=updated,
        )
    )
    session.flush()
    for number, site in enumerate(sites, start=1):
        tags = ([zone_tag(site.zone)] if site.zone else []) + list(site.tags)
        session.add(
            ParkingSite(
                id=number,
                source_id=SOURCE_ID,
                original_uid=site.uid,
                name=site.name,
                name_folded=site.name.casefold(),
                operator_name=site.operator_name,
                public_url=site.public_url,
                address=site.address,
                description=_description(site, source_data),
                type=site.type,
                purpose=site.purpose,
                lat=site.lat,
                lon=site.lon,
                official_region_code=source_data.official_region_code,
                capacity=site.capacity,
                capacity_disabled=site.capacity_disabled,
                max_height=site.max_height,
                has_fee=site.has_fee,
                fee_description=site.fee_description,
                opening_hours=site.opening_hours,
                park_and_ride_type="|".join(site.park_and_ride_type) or None,
                supervision_type=site.supervision_type,
                is_covered=site.is_covered,
                zone=site.zone,
                tags="|".join(tags) or None,
                restrictions="|".join(f"{kind}:{count}" for kind, count in site.restrictions)
                or None,
                occupancy_profile=format_profile(site.profile),
                peak_occupancy=site.peak,
                has_realtime_data=site.has_realtime_data,
                realtime_frozen_at=_naive_utc(site.realtime_frozen_at),
                static_data_updated_at=updated,
                created_at=updated,
                modified_at=updated,
            )
        )
