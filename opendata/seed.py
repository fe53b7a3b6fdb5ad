"""Migrate the schema and load the data package, once per change of the package."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from opendata.db import Base, get_engine, get_sessionmaker
from opendata.settings import get_settings

log = logging.getLogger("opendata.seed")
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class SeedState(Base):
    """Which fingerprint of the data package each domain was loaded from."""

    __tablename__ = "seed_state"
    domain: Mapped[str] = mapped_column(String(40), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    seeded_at: Mapped[datetime] = mapped_column()


Seeder = Callable[[Session, Path], None]


def _seeders() -> list[tuple[str, str, Seeder]]:
    """(domain, folder of the data package it reads, loader). Imported late: loaders are heavy."""
    from opendata.applications.seed import seed as seed_applications
    from opendata.ckan.seed import seed as seed_ckan
    from opendata.parking.seed import seed as seed_parking
    from opendata.services.seed import seed as seed_services
    from opendata.transit.seed import seed as seed_transit

    return [
        ("ckan", "catalogue", seed_ckan),
        ("parking", "parking", seed_parking),
        ("transit", "transit", seed_transit),
        ("services", "services", seed_services),
        ("applications", "applications", seed_applications),
    ]


def fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", get_settings().database_url.replace("%", "%%"))
    return config


def migrate() -> None:
    with get_engine().begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def seed_all(package: Path | None = None, force: bool = False) -> None:
    package = package or get_settings().data_package
    if not package.is_dir():
        raise FileNotFoundError(
            f"data package {package} not found; set OPENDATA_DATA_PACKAGE to a folder of city data"
        )
    enabled = get_settings().domains
    for domain, folder, loader in _seeders():
        if domain not in enabled:
            continue
        source = package / folder
        key = fingerprint(source) if source.exists() else "absent"
        with get_sessionmaker()() as session, session.begin():
            state = session.scalar(select(SeedState).where(SeedState.domain == domain))
            if state and state.fingerprint == key and not force:
                continue
            log.info("loading %s from %s", domain, source)
            loader(session, source)
            seeded_at = datetime.now(timezone.utc).replace(tzinfo=None)
            if state is None:
                session.add(SeedState(domain=domain, fingerprint=key, seeded_at=seeded_at))
            else:
                state.fingerprint = key
                state.seeded_at = seeded_at


def prepare_database() -> None:
    migrate()
    seed_all()
