"""Honest labels: which answers of this server carry simulated values.

A data package marks a domain whose values are simulated (demo data) with `simulated: true` in
that domain's settings file:

* parking: `parking/source.yaml` – live occupancy from the time-of-day model;
* transit: `transit/efa.yaml` – realtime delays, alerts (and a demo timetable);
* catalogue: `catalogue/site.yaml` – datastore table contents (Kitas, Baustellen, …);
* services: `services/region.yaml`.

Every successful response of such a domain that carries those values gets the header
`X-Stadtlotse-Simulated: true`. None of the protocols (ParkAPI v3, EFA rapidJSON, CKAN datastore)
has a field for "simulated", and extra fields or EFA system messages would confuse strict clients
of the real services, so the header is the one place; the assistant's HTTP layer reads it and
says "simulierte Demo-Werte" in its source line. A real endpoint never sends it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from opendata.settings import get_settings

HEADER = "X-Stadtlotse-Simulated"
FLAG_FILES = {
    "parking": Path("parking") / "source.yaml",
    "transit": Path("transit") / "efa.yaml",
    "ckan": Path("catalogue") / "site.yaml",
    "services": Path("services") / "region.yaml",
}


@cache
def simulated(domain: str) -> bool:
    """True when the data package declares the domain's values simulated."""
    path = get_settings().data_package / FLAG_FILES[domain]
    if not path.is_file():
        return False
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return isinstance(data, dict) and data.get("simulated") is True


def headers(domain: str) -> dict[str, str]:
    """The response headers that label a domain's values ({} for real data)."""
    return {HEADER: "true"} if simulated(domain) else {}
