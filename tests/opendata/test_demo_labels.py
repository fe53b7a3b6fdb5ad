"""Honest labels: every answer with simulated values carries X-Stadtlotse-Simulated: true, and
only those; whether a domain is simulated comes from the data package (opendata.demo)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from opendata import demo, settings
from tests.opendata.conftest import ROOT

HEADER = "x-stadtlotse-simulated"
PACKAGE = ROOT / "opendata" / "data" / "duisburg"

SIMULATED = [
    ("/api/public/v3/parking-sites", {}),
    ("/api/public/v3/parking-sites", {"lat": "51.43", "lon": "6.77", "radius": "1500"}),
    ("/api/public/v3/parking-sites/1", {}),
    ("/api/public/v1/duisburg", {}),
    ("/standard/XML_DM_REQUEST", {"name_dm": "de:05112:90001", "outputFormat": "rapidJSON"}),
    ("/standard/XML_STOPFINDER_REQUEST", {"name_sf": "Hauptbahnhof"}),
    ("/standard/XML_ADDINFO_REQUEST", {"filterPublicationStatus": "current"}),
    ("/standard/XML_TRIP_REQUEST2",
     {"name_origin": "de:05112:90001", "name_destination": "de:05112:90013"}),
    ("/api/3/action/datastore_search", {"resource_id": "kitas", "limit": "3"}),
]
NOT_SIMULATED = [
    ("/health", {}),
    ("/api/3/action/package_search", {"q": "Kita"}),
    ("/api/3/action/status_show", {}),
    ("/services", {"q": "Perso"}),
    ("/zustaendigkeiten", {"leistungsSchluessel": "99050012104000"}),
]


@pytest.mark.parametrize(("path", "params"), SIMULATED)
def test_simulated_values_are_labelled(http: httpx.Client, path: str, params: dict) -> None:
    response = http.get(path, params=params)
    assert response.status_code == 200, response.text[:200]
    assert response.headers.get(HEADER) == "true"


def test_the_csv_download_of_a_demo_table_is_labelled(http: httpx.Client) -> None:
    resource = http.get("/api/3/action/resource_show", params={"id": "kitas"})
    if resource.status_code != 200:  # an alias is not a resource id: find it through the table
        table = http.get("/api/3/action/datastore_search",
                         params={"resource_id": "kitas", "limit": 0}).json()["result"]
        resource = http.get("/api/3/action/resource_show", params={"id": table["resource_id"]})
    info = resource.json()["result"]
    response = http.get(f"/dataset/{info['package_id']}/resource/{info['id']}/download")
    assert response.status_code == 200 and response.headers.get(HEADER) == "true"


@pytest.mark.parametrize(("path", "params"), NOT_SIMULATED)
def test_real_and_static_data_is_not_labelled(http: httpx.Client, path: str, params: dict) -> None:
    response = http.get(path, params=params)
    assert response.status_code == 200, response.text[:200]
    assert HEADER not in response.headers


def test_errors_carry_no_label(http: httpx.Client) -> None:
    response = http.get("/standard/XML_DM_REQUEST", params={"name_dm": ""})
    assert response.status_code == 400 and HEADER not in response.headers


@pytest.fixture
def package_without_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the data package whose files say nothing about simulated values."""
    copy = tmp_path / "package"
    for domain in ("parking/source.yaml", "transit/efa.yaml", "catalogue/site.yaml"):
        target = copy / domain
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = (PACKAGE / domain).read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if not line.startswith("simulated:")]
        target.write_text("\n".join(kept) + "\n", encoding="utf-8")
    monkeypatch.setenv("OPENDATA_DATA_PACKAGE", str(copy))
    settings.get_settings.cache_clear()
    demo.simulated.cache_clear()
    yield copy
    monkeypatch.undo()
    settings.get_settings.cache_clear()
    demo.simulated.cache_clear()


def test_the_label_comes_from_the_data_package(package_without_flags: Path) -> None:
    for domain in ("parking", "transit", "ckan", "services"):
        assert not demo.simulated(domain) and demo.headers(domain) == {}
    site = package_without_flags / "catalogue" / "site.yaml"
    site.write_text(site.read_text(encoding="utf-8") + "simulated: true\n", encoding="utf-8")
    demo.simulated.cache_clear()
    assert demo.headers("ckan") == {"X-Stadtlotse-Simulated": "true"}
    assert not demo.simulated("parking")


def test_the_shipped_demo_package_declares_its_simulated_domains() -> None:
    settings.get_settings.cache_clear()
    demo.simulated.cache_clear()
    assert demo.simulated("parking") and demo.simulated("transit") and demo.simulated("ckan")
    assert not demo.simulated("services")  # a snapshot of facts, no simulated values
