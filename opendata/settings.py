"""Server configuration, read once from environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALL_DOMAINS = ("ckan", "parking", "transit", "services", "applications")


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _parse_clock(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("OPENDATA_CLOCK needs a time zone, e.g. 2026-11-23T08:15:00+01:00")
    return moment


@dataclass(frozen=True)
class Settings:
    """All knobs of the open-data server; see README 'Configuration'."""

    database_url: str = field(
        default_factory=lambda: os.environ.get(
            "OPENDATA_DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'opendata.sqlite'}"
        )
    )
    data_package: Path = field(
        default_factory=lambda: Path(
            os.environ.get("OPENDATA_DATA_PACKAGE", str(ROOT / "opendata" / "data" / "duisburg"))
        )
    )
    # A fixed instant (ISO 8601 with offset) pins every simulated live value for tests and demos.
    clock: datetime | None = field(
        default_factory=lambda: _parse_clock(os.environ.get("OPENDATA_CLOCK"))
    )
    host: str = field(default_factory=lambda: os.environ.get("OPENDATA_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(os.environ.get("OPENDATA_PORT", "8000")))
    public_url: str = field(default_factory=lambda: os.environ.get("OPENDATA_PUBLIC_URL", ""))
    # Domains to serve and seed (comma list); a city without, say, transit data leaves it out.
    domains: tuple[str, ...] = field(
        default_factory=lambda: tuple(
            d.strip()
            for d in os.environ.get("OPENDATA_DOMAINS", ",".join(ALL_DOMAINS)).split(",")
            if d.strip()
        )
    )
    timezone: str = "Europe/Berlin"
    # Bearer token of the application-status API; empty: that API refuses every request (503).
    applications_api_token: str = field(
        default_factory=lambda: os.environ.get("APPLICATIONS_API_TOKEN", "").strip()
    )
    # Failed-lookup budgets of the application-status API (opendata.applications.throttle).
    applications_failures_per_number: int = field(
        default_factory=lambda: _int("APPLICATIONS_FAILURES_PER_NUMBER", 5)
    )
    applications_failures_per_client: int = field(
        default_factory=lambda: _int("APPLICATIONS_FAILURES_PER_CLIENT", 20)
    )
    applications_window_seconds: int = field(
        default_factory=lambda: _int("APPLICATIONS_WINDOW_SECONDS", 15 * 60)
    )
    applications_failures_global: int = field(
        default_factory=lambda: _int("APPLICATIONS_FAILURES_GLOBAL", 30)
    )
    applications_global_window_seconds: int = field(
        default_factory=lambda: _int("APPLICATIONS_GLOBAL_WINDOW_SECONDS", 60)
    )

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
