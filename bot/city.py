"""The city profile: names, hotline, links, sources and data mappings of one city."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.settings import ROOT, get_settings

CITIES = ROOT / "bot" / "cities"


class CityProfile:
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getattr__(self, key: str) -> Any:
        try:
            return self._data[key]
        except KeyError as exc:
            raise AttributeError(key) from exc

    def source(self, domain: str) -> dict[str, str]:
        return self._data["sources"][domain]

    def table(self, key: str) -> dict[str, Any]:
        return self._data["datastore"][key]


def load_profile(path: Path) -> CityProfile:
    with path.open(encoding="utf-8") as handle:
        return CityProfile(yaml.safe_load(handle))


@lru_cache(maxsize=1)
def get_city() -> CityProfile:
    path = CITIES / f"{get_settings().city}.yml"
    if not path.exists():
        raise FileNotFoundError(
            f"city profile {path} not found; set STADTLOTSE_CITY to a file name in {CITIES}"
        )
    return load_profile(path)
