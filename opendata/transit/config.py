"""The data package's EFA settings (``transit/efa.yaml``): localities and product overrides."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml


@dataclass(frozen=True)
class LocalityConf:
    code: str  # municipality key as it appears in DHID stop ids, e.g. "05112"
    name: str
    place_id: str


@dataclass(frozen=True)
class ProductRule:
    prefix: str
    product_class: int
    name: str


@dataclass(frozen=True)
class EfaConfig:
    place: str = ""
    localities: list[LocalityConf] = field(default_factory=list)
    products: list[ProductRule] = field(default_factory=list)


def load_config(path: Path) -> EfaConfig:
    """Read efa.yaml; a missing file gives an empty configuration (generic defaults)."""
    if not path.is_file():
        return EfaConfig()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping")
    localities = [
        LocalityConf(str(code), str(spec["name"]), str(spec.get("place_id") or f"placeID:{code}"))
        for code, spec in (data.get("localities") or {}).items()
    ]
    products = [
        ProductRule(str(rule["prefix"]), int(rule["class"]), str(rule["name"]))
        for rule in data.get("products") or []
    ]
    return EfaConfig(str(data.get("place") or ""), localities, products)
