"""CKAN Action API: envelope, every action's shape, errors and the official ckanapi client."""

from __future__ import annotations

import csv
import io
import re

import ckanapi
import httpx
import pytest
import yaml

from tests.opendata.test_ckan_support import CATALOGUE, TIMESTAMP, error, get, ok

PACKAGE_KEYS = {
    "author", "author_email", "creator_user_id", "extras", "groups", "id", "isopen",
    "license_id", "license_title", "maintainer", "maintainer_email", "metadata_created",
    "metadata_modified", "name", "notes", "num_resources", "num_tags", "organization",
    "owner_org", "private", "relationships_as_object", "relationships_as_subject", "resources",
    "state", "tags", "title", "type", "url", "version",
}
RESOURCE_KEYS = {
    "cache_last_updated", "cache_url", "created", "datastore_active", "description", "format",
    "hash", "id", "last_modified", "metadata_modified", "mimetype", "mimetype_inner", "name",
    "package_id", "position", "resource_type", "size", "state", "url", "url_type",
}
ORGANIZATION_KEYS = {
    "approval_status", "created", "description", "id", "image_url", "is_organization", "name",
    "state", "title", "type",
}
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def _dataset_names() -> set[str]:
    names = set()
    for path in (CATALOGUE / "datasets").glob("*.yaml"):
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in content if isinstance(content, list) else [content]:
            names.add(item["name"])
    return names


def test_envelope_and_help_url(http: httpx.Client, base_url: str) -> None:
    response = get(http, "site_read")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["help", "success", "result"]
    assert body == {
        "help": f"{base_url}/api/3/action/help_show?name=site_read",
        "success": True,
        "result": True,
    }


def test_legacy_alias_and_post_answer_like_v3(http: httpx.Client) -> None:
    v3 = http.get("/api/3/action/package_show", params={"id": "baustellen"}).json()
    legacy = http.get("/api/action/package_show", params={"id": "baustellen"}).json()
    posted = http.post("/api/action/package_show", json={"id": "baustellen"}).json()
    assert v3 == legacy == posted
    assert v3["result"]["name"] == "baustellen"


def test_package_list_is_every_dataset_sorted_and_pages(http: httpx.Client) -> None:
    names = ok(http, "package_list")
    assert names == sorted(_dataset_names())
    assert len(names) >= 30
    assert ok(http, "package_list", limit=5, offset=3) == names[3:8]


def test_package_show_has_ckan_field_set(http: httpx.Client, base_url: str) -> None:
    package = ok(http, "package_show", id="kindertageseinrichtungen")
    assert set(package) == PACKAGE_KEYS | {"license_url"}
    assert re.match(UUID, package["id"])
    assert package["title"] == "Kindertageseinrichtungen (Kitas)"
    assert package["license_id"] == "cc-by-de/3.0"
    assert package["license_title"] == "Creative Commons Namensnennung 3.0 Deutschland (CC BY 3.0 DE)"
    assert package["license_url"] == "https://creativecommons.org/licenses/by/3.0/de/"
    assert package["isopen"] is True
    assert package["url"] == f"{base_url}/dataset/kindertageseinrichtungen"
    assert re.match(TIMESTAMP, package["metadata_created"])
    assert re.match(TIMESTAMP, package["metadata_modified"])
    assert package["num_resources"] == len(package["resources"]) == 2
    assert package["num_tags"] == len(package["tags"])
    org = package["organization"]
    assert set(org) == ORGANIZATION_KEYS
    assert (org["name"], org["title"], org["is_organization"]) == (
        "stadt-duisburg", "Stadt Duisburg", True)
    assert package["owner_org"] == org["id"]
    assert {g["name"] for g in package["groups"]} == {"educ", "soci"}
    for group in package["groups"]:
        assert set(group) == {"description", "display_name", "id", "image_display_url", "name",
                              "title"}
    for tag in package["tags"]:
        assert set(tag) == {"display_name", "id", "name", "state", "vocabulary_id"}
    resource = package["resources"][0]
    assert set(resource) == RESOURCE_KEYS
    assert resource["datastore_active"] is True
    assert resource["format"] == "CSV" and resource["mimetype"] == "text/csv"
    assert resource["package_id"] == package["id"]
    assert resource["url"].startswith(f"{base_url}/dataset/kindertageseinrichtungen/resource/")
    assert [r["position"] for r in package["resources"]] == [0, 1]
    # by id as well as by name
    assert ok(http, "package_show", id=package["id"]) == package


def test_resource_show_matches_package(http: httpx.Client) -> None:
    package = ok(http, "package_show", id="baustellen")
    for resource in package["resources"]:
        assert ok(http, "resource_show", id=resource["id"]) == resource
    assert {r["format"] for r in package["resources"]} == {"CSV", "GeoJSON", "WMS"}


def test_organization_and_group_lists(http: httpx.Client) -> None:
    assert ok(http, "organization_list") == ["stadt-duisburg", "verkehrsverbund-rhein-ruhr"]
    orgs = ok(http, "organization_list", all_fields="true")
    assert [o["name"] for o in orgs] == ["stadt-duisburg", "verkehrsverbund-rhein-ruhr"]
    total = len(ok(http, "package_list"))
    assert sum(o["package_count"] for o in orgs) == total
    assert orgs[0]["display_name"] == "Stadt Duisburg"
    groups = ok(http, "group_list")
    assert {"transport", "gove", "envi", "soci", "educ", "heal", "econ", "regi", "tech"} <= set(
        groups)
    detailed = ok(http, "group_list", all_fields=True, sort="package_count desc")
    counts = [g["package_count"] for g in detailed]
    assert counts == sorted(counts, reverse=True)
    titles = [g["title"] for g in ok(http, "group_list", all_fields=True)]
    assert titles == sorted(titles)
    transport = next(g for g in detailed if g["name"] == "transport")
    assert transport["title"] == "Verkehr"
    search = ok(http, "package_search", fq="groups:transport", rows=0)
    assert transport["package_count"] == search["count"]


def test_organization_and_group_show(http: httpx.Client) -> None:
    org = ok(http, "organization_show", id="stadt-duisburg")
    assert org["is_organization"] is True and org["type"] == "organization"
    assert org["package_count"] == ok(http, "package_search", fq="organization:stadt-duisburg",
                                      rows=0)["count"]
    assert {"extras", "groups", "tags", "users", "num_followers"} <= set(org)
    assert "packages" not in org
    with_datasets = ok(http, "organization_show", id=org["id"], include_datasets=True)
    assert len(with_datasets["packages"]) == 10
    group = ok(http, "group_show", id="heal")
    assert group["title"] == "Gesundheit" and group["is_organization"] is False
    # an organization is not a group and vice versa
    error(get(http, "group_show", id="stadt-duisburg"), 404, "Not Found Error")
    error(get(http, "organization_show", id="heal"), 404, "Not Found Error")


def test_tag_license_status(http: httpx.Client, base_url: str) -> None:
    tags = ok(http, "tag_list")
    assert "Kita" in tags and "Baustelle" in tags
    assert ok(http, "tag_list", query="park") == [t for t in tags if "park" in t.lower()]
    full = ok(http, "tag_list", all_fields=True)
    assert {t["name"] for t in full} == set(tags)
    licenses = ok(http, "license_list")
    ids = [entry["id"] for entry in licenses]
    assert {"cc-by-de/3.0", "dl-by-de/2.0", "dl-zero-de/2.0"} <= set(ids)
    for entry in licenses:
        assert {"id", "title", "url", "status", "od_conformance", "osd_conformance"} <= set(entry)
    status = ok(http, "status_show")
    assert status["site_url"] == base_url
    assert status["ckan_version"].startswith("2.1")
    assert "datastore" in status["extensions"]
    assert status["locale_default"] == "de"
    assert ok(http, "help_show", name="package_search").startswith("Search datasets")
    assert ":param resource_id:" in ok(http, "help_show", name="datastore_search")


def test_licences_are_real_ids_and_mostly_cc_by_de(http: httpx.Client) -> None:
    result = ok(http, "package_search", rows=1000, **{"facet.field": ["license_id"]})
    counts = result["facets"]["license_id"]
    assert set(counts) <= {"cc-by-de/3.0", "dl-by-de/2.0", "dl-zero-de/2.0", "cc-by/4.0"}
    assert counts["cc-by-de/3.0"] >= 10


def test_not_found_errors(http: httpx.Client) -> None:
    assert error(get(http, "package_show", id="gibt-es-nicht"), 404,
                 "Not Found Error")["message"] == "Not found"
    error(get(http, "resource_show", id="0000"), 404, "Not Found Error")
    error(get(http, "organization_show", id="nope"), 404, "Not Found Error")
    error(get(http, "help_show", name="nope"), 404, "Not Found Error")


def test_missing_ids_are_validation_errors(http: httpx.Client) -> None:
    assert error(get(http, "package_show"), 409, "Validation Error") == {
        "__type": "Validation Error", "name_or_id": ["Missing value"]}
    assert error(get(http, "resource_show"), 409, "Validation Error")["id"] == ["Missing value"]
    assert error(get(http, "package_list", limit=-1), 409,
                 "Validation Error")["limit"] == ["Must be a natural number"]
    assert error(get(http, "organization_list", sort="foo"), 409,
                 "Validation Error")["message"] == "Cannot sort by field `foo`"


def test_unknown_action_is_a_bad_request_string(http: httpx.Client) -> None:
    for path in ("/api/3/action/no_such_action", "/api/action/no_such_action"):
        response = http.get(path)
        assert response.status_code == 400
        assert response.json() == "Bad request: Action name not known: no_such_action"
    response = http.post("/api/3/action/package_create", json={"name": "x"})
    assert response.status_code == 403
    assert response.json()["error"]["__type"] == "Authorization Error"


def test_malformed_json_bodies(http: httpx.Client) -> None:
    response = http.post("/api/3/action/package_search", content=b"{not json",
                         headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json().startswith("Bad request: JSON Error: Error decoding JSON data.")
    response = http.post("/api/3/action/package_search", json=[1, 2])
    assert response.status_code == 400
    assert "needs to be a dictionary" in response.json()
    deep = b"[" * 30_000 + b"]" * 30_000  # within the body limit, far beyond the depth limit
    response = http.post("/api/3/action/package_search", content=deep,
                         headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    nested = b'{"q": ' + b"[" * 40 + b"]" * 40 + b"}"  # parses, but deeper than 32 levels
    response = http.post("/api/3/action/package_search", content=nested,
                         headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "nested deeper" in response.json()
    huge = b"[" * 100_000 + b"]" * 100_000  # beyond the server's body limit: refused unread
    response = http.post("/api/3/action/package_search", content=huge,
                         headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["error"] == "body_too_large"
    # an empty body is an empty data dict
    response = http.post("/api/3/action/package_search")
    assert response.status_code == 200


def test_form_encoded_post_works(http: httpx.Client) -> None:
    response = http.post("/api/3/action/package_show", data={"id": "baustellen"})
    assert response.status_code == 200
    assert response.json()["result"]["name"] == "baustellen"


def test_landing_pages_and_download(http: httpx.Client, base_url: str) -> None:
    package = ok(http, "package_show", id="baustellen")
    page = httpx.get(package["url"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Baustellen im Stadtgebiet" in page.text
    assert "Datenlizenz Deutschland Namensnennung 2.0" in page.text
    csv_resource = package["resources"][0]
    download = httpx.get(csv_resource["url"])
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    total = ok(http, "datastore_search", resource_id="baustellen", limit=0)["total"]
    assert len(rows) == total
    assert list(rows[0]) == ["Straße", "Ortsteil", "Stadtbezirk", "Maßnahme", "von", "bis",
                             "Einschränkung", "Umleitung"]
    assert csv_resource["size"] == len(download.content)
    resource_page = http.get(f"/dataset/baustellen/resource/{csv_resource['id']}")
    assert resource_page.status_code == 200 and "resource_id=baustellen" in resource_page.text
    wms = package["resources"][2]
    assert wms["url"] == f"{base_url}/dataset/baustellen/resource/{wms['id']}"
    assert http.get(wms["url"]).status_code == 200
    assert http.get(f"/dataset/baustellen/resource/{wms['id']}/download").status_code == 404
    assert http.get("/dataset/gibt-es-nicht").status_code == 404
    assert "<script>" not in http.get("/dataset/<script>alert(1)</script>").text


def test_resource_url_on_this_server_is_made_absolute(http: httpx.Client, base_url: str) -> None:
    package = ok(http, "package_show", id="parkhaeuser")
    assert package["resources"][0]["url"] == f"{base_url}/api/public/v3/parking-sites"


def test_openapi_declares_every_action_with_parameters(http: httpx.Client) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    for name in ("package_search", "package_show", "package_list", "organization_list",
                 "organization_show", "group_list", "group_show", "tag_list", "license_list",
                 "resource_show", "datastore_search", "status_show", "site_read"):
        operations = paths[f"/api/3/action/{name}"]
        assert {"get", "post"} <= set(operations)
        assert {"200", "400", "409"} <= set(operations["get"]["responses"])
    params = {p["name"]: p for p in paths["/api/3/action/package_search"]["get"]["parameters"]}
    assert params["rows"]["schema"] == {"type": "integer", "minimum": 0}
    assert "content" in params["facet.field"]
    ds = {p["name"]: p for p in paths["/api/3/action/datastore_search"]["get"]["parameters"]}
    assert ds["resource_id"]["required"] is True


# --- the official client -------------------------------------------------------------------


@pytest.fixture(scope="module")
def remote(base_url: str) -> ckanapi.RemoteCKAN:
    with ckanapi.RemoteCKAN(base_url, user_agent="stadtlotse-tests/1.0") as client:
        yield client


def test_ckanapi_client_reads_the_catalogue(remote: ckanapi.RemoteCKAN) -> None:
    found = remote.action.package_search(q="Kitas", rows=3)
    assert found["results"][0]["name"] == "kindertageseinrichtungen"
    package = remote.action.package_show(id="kindertageseinrichtungen")
    assert package["title"] == "Kindertageseinrichtungen (Kitas)"
    records = remote.action.datastore_search(resource_id="kitas", filters={"Ortsteil": "Marxloh"})
    assert records["total"] == 2
    assert {r["Ortsteil"] for r in records["records"]} == {"Marxloh"}
    assert "stadt-duisburg" in remote.action.organization_list()


def test_ckanapi_client_maps_errors(remote: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.NotFound):
        remote.action.package_show(id="gibt-es-nicht")
    with pytest.raises(ckanapi.NotFound):
        remote.action.datastore_search(resource_id="gibt-es-nicht")
    with pytest.raises(ckanapi.ValidationError) as caught:
        remote.action.datastore_search(resource_id="kitas", filters={"Unbekannt": 1})
    assert caught.value.error_dict["filters"] == ['invalid value "Unbekannt"']
    with pytest.raises(ckanapi.ValidationError):
        remote.action.package_search(rows=-1)
    with pytest.raises(ckanapi.SearchQueryError):
        remote.action.package_search(sort="name")
    with pytest.raises(ckanapi.SearchError):
        remote.action.package_search(fq="tags:(offen")
