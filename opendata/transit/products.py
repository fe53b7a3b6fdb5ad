"""EFA products (means of transport) for GTFS route types, and EFA line identifiers.

EFA classifies lines by product class: 0 Zug, 1 S-Bahn, 2 U-Bahn, 3 Stadtbahn, 4 Straßenbahn,
5 Stadtbus, 6 Regionalbus, 7 Schnellbus, 8 Seil-/Zahnradbahn, 9 Schiff, 10 Anruf-Sammel-Taxi,
11 Schwebebahn, 13 Regionalzug, 14 nationaler Zug, 15 internationaler Zug, 16 Hochgeschwindig-
keitszug, 17 Schienenersatzverkehr. GTFS route types map onto these by default; a data package
can override the mapping per line prefix (e.g. "SB" lines as Schnellbus).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from opendata.transit.service_days import timetable_year


@dataclass(frozen=True)
class Product:
    product_class: int
    name: str


_BASIC = {
    0: Product(4, "Straßenbahn"),
    1: Product(2, "U-Bahn"),
    2: Product(0, "Zug"),
    3: Product(5, "Bus"),
    4: Product(9, "Schiff"),
    5: Product(8, "Seilbahn"),
    6: Product(8, "Seilbahn"),
    7: Product(8, "Zahnradbahn"),
    11: Product(5, "Bus"),
    12: Product(11, "Schwebebahn"),
}
_EXTENDED = {  # exact extended route types first, then the hundreds
    101: Product(16, "Hochgeschwindigkeitszug"),
    102: Product(15, "Fernzug"),
    106: Product(13, "Regionalzug"),
    109: Product(1, "S-Bahn"),
    400: Product(3, "Stadtbahn"),
    702: Product(7, "Schnellbus"),
    714: Product(17, "Schienenersatzverkehr"),
    715: Product(10, "Anruf-Sammel-Taxi"),
}
_HUNDREDS = {
    1: Product(0, "Zug"),
    2: Product(6, "Regionalbus"),
    4: Product(2, "U-Bahn"),
    7: Product(5, "Bus"),
    8: Product(5, "Bus"),
    9: Product(4, "Straßenbahn"),
    10: Product(9, "Schiff"),
    12: Product(9, "Schiff"),
    13: Product(8, "Seilbahn"),
    14: Product(8, "Seilbahn"),
    15: Product(10, "Anruf-Sammel-Taxi"),
}


def default_product(route_type: int) -> Product:
    """The EFA product for a GTFS route type (basic or extended)."""
    if route_type in _BASIC:
        return _BASIC[route_type]
    if route_type in _EXTENDED:
        return _EXTENDED[route_type]
    return _HUNDREDS.get(route_type // 100, Product(5, "Bus"))


@dataclass(frozen=True)
class Operator:
    code: str
    id: str
    name: str


def operator_for(agency_id: str | None, agency_name: str | None) -> Operator:
    """EFA operator from a VRR-style agency id "<abbreviation>-<number>" (e.g. "dvg-20")."""
    agency_id = agency_id or ""
    match = re.fullmatch(r"([A-Za-z]+)-(\w+)", agency_id)
    if match:
        return Operator(match.group(1).upper(), match.group(2), agency_name or agency_id)
    return Operator(agency_id.upper(), agency_id, agency_name or agency_id)


def line_code(short_name: str, route_type: int) -> str:
    """Three-character line number inside an EFA line id: "903", U79 -> "079", NE1 -> "N01".

    Letter prefixes are dropped for U-Bahn lines (VRR: U79 is "dvg:20079") and kept as one
    letter otherwise; this mirrors observed ids but is not a published rule.
    """
    match = re.fullmatch(r"([A-Za-z]*)\s*(\d+)([A-Za-z]*)", short_name.strip())
    if not match:
        cleaned = re.sub(r"[^0-9A-Za-z]", "", short_name).upper()
        return (cleaned or "0")[:3].rjust(3, "0")
    letters, digits = match.group(1).upper(), match.group(2)
    if not letters or default_product(route_type).product_class in (2, 3):
        return digits[-3:].zfill(3)
    return letters[0] + digits[-2:].zfill(2)


def line_id(
    operator: Operator, short_name: str, route_type: int, direction_id: int | None, day: date
) -> str:
    """EFA "stateless" line id, e.g. "dvg:20903: :H:j26" (H outbound, R return; timetable year)."""
    direction = "R" if direction_id == 1 else "H"
    code = line_code(short_name, route_type)
    return f"{operator.code.lower()}:{operator.id}{code}: :{direction}:j{timetable_year(day) % 100:02d}"


def line_key(value: str) -> str:
    """Line id without direction and period: "dvg:20079: :H:j26" -> "dvg:20079"."""
    parts = value.split(":")
    return ":".join(parts[:2]) if len(parts) >= 2 else value
