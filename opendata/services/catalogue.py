"""Read and check the services part of a data package (plain YAML files).

Layout of the folder (see `leistungen/README.md` in the Duisburg package):
``region.yaml`` (ARS, name, postcodes), ``stellen.yaml`` (offices) and ``leistungen/*.yaml`` (one
service per file). Mistakes in the data stop the server at start-up with the file named, instead of
surfacing later as a broken answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

KEY = re.compile(r"^[0-9]{14}$")
ARS = re.compile(r"^[0-9]{12}$")
PLZ = re.compile(r"^[0-9]{5}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
UNITS = ("Minuten", "Stunden", "Tage", "Werktage", "Wochen", "Monate", "Jahre")
VERIFIED = ("ja", "teilweise", "nein")


class DataPackageError(ValueError):
    """The data package is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class Catalogue:
    region: dict[str, Any]
    offices: list[dict[str, Any]]
    services: list[dict[str, Any]]


def _load_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise DataPackageError(f"{path}: {exc}") from exc


def _require(condition: bool, where: Path, message: str) -> None:
    if not condition:
        raise DataPackageError(f"{where}: {message}")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _check_region(path: Path) -> dict[str, Any]:
    data = _load_yaml(path)
    _require(isinstance(data, dict), path, "expected a mapping")
    ars = str(data.get("regionalschluessel", ""))
    _require(bool(ARS.fullmatch(ars)), path, "regionalschluessel must have 12 digits")
    postcodes = [str(p) for p in data.get("postleitzahlen") or []]
    for code in postcodes:
        _require(bool(PLZ.fullmatch(code)), path, f"postcode {code!r} must have 5 digits")
    name = _text(data.get("name"))
    _require(name is not None, path, "name is missing")
    return {
        "regionalschluessel": ars,
        "name": name,
        "mandant": _text(data.get("mandant")) or name,
        "postleitzahlen": sorted(set(postcodes)),
    }


def _check_office(path: Path, raw: Any) -> dict[str, Any]:
    _require(isinstance(raw, dict), path, "every office must be a mapping")
    office_id = str(raw.get("id") or "")
    _require(bool(re.match(r"^[a-z0-9-]{1,80}$", office_id)), path, f"bad office id {office_id!r}")
    _require(_text(raw.get("name")) is not None, path, f"office {office_id}: name is missing")
    address = raw.get("anschrift") or {}
    _require(isinstance(address, dict), path, f"office {office_id}: anschrift must be a mapping")
    hours = raw.get("oeffnungszeiten") or []
    _require(isinstance(hours, list), path, f"office {office_id}: oeffnungszeiten must be a list")
    verified = str(raw.get("verifiziert", "nein"))
    _require(
        verified in VERIFIED, path, f"office {office_id}: verifiziert must be one of {VERIFIED}"
    )
    return {**raw, "id": office_id, "verifiziert": verified}


def _check_amount(path: Path, item: Any) -> dict[str, Any]:
    _require(isinstance(item, dict), path, "kosten.posten entries must be mappings")
    amount = item.get("betrag")
    _require(
        isinstance(amount, (int, float)) and not isinstance(amount, bool) and amount >= 0,
        path,
        "kosten.posten.betrag must be a number >= 0",
    )
    currency = str(item.get("waehrung", "EUR"))
    _require(bool(CURRENCY.match(currency)), path, "kosten.posten.waehrung must be like EUR")
    return {
        "betrag": round(float(amount), 2),
        "waehrung": currency,
        "text": _text(item.get("text")),
    }


def _check_duration(path: Path, value: Any, field: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {"text": _text(value), "dauer": None, "einheit": None}
    _require(isinstance(value, dict), path, f"{field} must be text or a mapping")
    amount, unit = value.get("dauer"), value.get("einheit")
    if amount is not None:
        _require(
            isinstance(amount, int) and not isinstance(amount, bool) and amount >= 0,
            path,
            f"{field}.dauer must be a whole number >= 0",
        )
        _require(unit in UNITS, path, f"{field}.einheit must be one of {UNITS}")
    return {
        "text": _text(value.get("text")),
        "dauer": amount,
        "einheit": unit if amount is not None else None,
    }


def _check_service(path: Path, offices: set[str]) -> dict[str, Any]:
    data = _load_yaml(path)
    _require(isinstance(data, dict), path, "expected a mapping")
    key = str(data.get("schluessel", ""))
    _require(bool(KEY.fullmatch(key)), path, "schluessel must have 14 digits")
    _require(_text(data.get("bezeichnung")) is not None, path, "bezeichnung is missing")
    for field in ("synonyme", "suchbegriffe", "unterlagen", "zustaendige_stellen"):
        _require(isinstance(data.get(field) or [], list), path, f"{field} must be a list")
    for office in data.get("zustaendige_stellen") or []:
        _require(office in offices, path, f"unknown office {office!r} in zustaendige_stellen")
    costs = data.get("kosten") or {}
    if isinstance(costs, str):
        costs = {"text": costs}
    _require(isinstance(costs, dict), path, "kosten must be text or a mapping")
    verified = str(data.get("verifiziert", "nein"))
    _require(verified in VERIFIED, path, f"verifiziert must be one of {VERIFIED}")
    return {
        **data,
        "schluessel": key,
        "kosten": {
            "text": _text(costs.get("text")),
            "posten": [_check_amount(path, p) for p in costs.get("posten") or []],
        },
        "bearbeitungsdauer": _check_duration(
            path, data.get("bearbeitungsdauer"), "bearbeitungsdauer"
        ),
        "fristen": _check_duration(path, data.get("fristen"), "fristen"),
        "verifiziert": verified,
    }


def load(folder: Path) -> Catalogue:
    """Read and check the whole services folder of a data package."""
    region = _check_region(folder / "region.yaml")
    raw_offices = _load_yaml(folder / "stellen.yaml") or []
    _require(isinstance(raw_offices, list), folder / "stellen.yaml", "expected a list")
    offices = [_check_office(folder / "stellen.yaml", o) for o in raw_offices]
    ids = [o["id"] for o in offices]
    _require(len(ids) == len(set(ids)), folder / "stellen.yaml", "office ids must be unique")
    services = [
        _check_service(path, set(ids)) for path in sorted((folder / "leistungen").glob("*.yaml"))
    ]
    keys = [s["schluessel"] for s in services]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    _require(not duplicates, folder / "leistungen", f"duplicate schluessel {duplicates}")
    return Catalogue(region=region, offices=offices, services=services)
