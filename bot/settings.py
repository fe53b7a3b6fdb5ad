"""Assistant configuration, read once from environment variables with defaults for a laptop.

Every endpoint and port is configurable; the defaults run everything offline against the embedded
open-data server. See README "Configuration" for the table of variables.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _clock(value: str) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("STADTLOTSE_CLOCK needs a time zone, e.g. 2026-11-23T08:15:00+01:00")
    return moment


def _random_key() -> str:
    import logging
    import secrets

    logging.getLogger(__name__).warning(
        "CLIENT_KEY_SALT is not set: using a random key for this process only "
        "(start through `make run`, which keeps one per installation)"
    )
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Settings:
    city: str = field(default_factory=lambda: _env("STADTLOTSE_CITY", "duisburg"))
    opendata_port: int = field(default_factory=lambda: int(_env("OPENDATA_PORT", "8000")))
    action_port: int = field(default_factory=lambda: int(_env("ACTION_SERVER_PORT", "5055")))
    rasa_port: int = field(default_factory=lambda: int(_env("RASA_PORT", "5005")))
    # Base URLs of the open-data APIs; each defaults to the embedded server.
    opendata_url: str = field(
        default_factory=lambda: _env(
            "OPENDATA_URL", f"http://127.0.0.1:{_env('OPENDATA_PORT', '8000')}"
        ).rstrip("/")
    )
    ckan_url: str = field(default_factory=lambda: _env("CKAN_URL", "").rstrip("/"))
    parkapi_url: str = field(default_factory=lambda: _env("PARKAPI_URL", "").rstrip("/"))
    efa_url: str = field(default_factory=lambda: _env("EFA_URL", "").rstrip("/"))
    zufi_url: str = field(default_factory=lambda: _env("ZUFI_URL", "").rstrip("/"))
    applications_url: str = field(default_factory=lambda: _env("APPLICATIONS_URL", "").rstrip("/"))
    # Bearer token of the application-status API (the same value the open-data server gets).
    applications_api_token: str = field(default_factory=lambda: _env("APPLICATIONS_API_TOKEN", ""))
    # Every HTTP call from an action: this timeout per attempt, this many retries after the first.
    http_timeout: float = field(default_factory=lambda: float(_env("HTTP_TIMEOUT", "2.5")))
    http_retries: int = field(default_factory=lambda: int(_env("HTTP_RETRIES", "1")))
    feedback_db_url: str = field(
        default_factory=lambda: _env(
            "FEEDBACK_DB_URL", f"sqlite:///{ROOT / 'var' / 'feedback.sqlite'}"
        )
    )
    # A fixed "now" for demos and tests, matching the open-data server's OPENDATA_CLOCK.
    clock: datetime | None = field(default_factory=lambda: _clock(_env("STADTLOTSE_CLOCK", "")))
    # Key for the hashed conversation ids (channels, status-API throttling key, feedback). The
    # launcher sets one per installation (var/secrets.json); a process started without it gets a
    # random key of its own, never a public default.
    client_key_salt: str = field(
        default_factory=lambda: _env("CLIENT_KEY_SALT", "") or _random_key()
    )

    def __post_init__(self) -> None:
        base = self.opendata_url
        object.__setattr__(self, "ckan_url", self.ckan_url or base)
        object.__setattr__(self, "parkapi_url", self.parkapi_url or base)
        object.__setattr__(self, "efa_url", self.efa_url or f"{base}/standard")
        object.__setattr__(self, "zufi_url", self.zufi_url or base)
        object.__setattr__(self, "applications_url", self.applications_url or base)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
