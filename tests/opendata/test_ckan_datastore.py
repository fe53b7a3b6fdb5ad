"""datastore_search: aliases, typed fields, filters, full text, sort, paging, _links, errors."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.opendata.test_ckan_support import csv_rows, error, get, ok

ALIASES = ["kitas", "baustellen", "badegewaesser", "einwohner-ortsteile", "apotheken-notdienst",
           "ladestationen", "wohnungsangebote"]


@pytest.mark.parametrize("alias", ALIASES)
def test_every_table_by_alias_with_typed_fields(http: httpx.Client, alias: str) -> None:
    result = ok(http, "datastore_search", resource_id=alias, limit=5)
    rows = csv_rows(alias)
    assert result["total"] == len(rows)
    assert result["total_was_estimated"] is False
    assert result["fields"][0] == {"id": "_id", "type": "int"}
    assert [f["id"] for f in result["fields"][1:]] == list(rows[0])
    assert len(result["records"]) == min(5, len(rows))
    assert [r["_id"] for r in result["records"]] == list(range(1, len(result["records"]) + 1))
    assert result["limit"] == 5 and result["records_format"] == "objects"
    assert result["include_total"] is True and result["total_estimation_threshold"] is None
    # the alias resolves to the resource, whose id the result names
    resource = ok(http, "resource_show", id=result["resource_id"])
    assert resource["datastore_active"] is True
    assert ok(http, "datastore_search", resource_id=result["resource_id"],
              limit=5)["records"] == result["records"]


def test_values_have_their_field_types(http: httpx.Client) -> None:
    types = {f["id"]: f["type"] for f in ok(http, "datastore_search", resource_id="wohnungsangebote",
                                           limit=1)["fields"]}
    assert types == {"_id": "int", "Anbieter": "text", "Ortsteil": "text", "Stadtbezirk": "text",
                     "Zimmer": "numeric", "Wohnfläche m²": "numeric", "Kaltmiete €": "numeric",
                     "verfügbar ab": "date", "Wohnberechtigungsschein nötig": "bool"}
    record = ok(http, "datastore_search", resource_id="wohnungsangebote", limit=1)["records"][0]
    assert isinstance(record["Kaltmiete €"], (int, float))
    assert isinstance(record["Wohnberechtigungsschein nötig"], bool)
    assert len(record["verfügbar ab"]) == 10
    kita = ok(http, "datastore_search", resource_id="kitas", limit=1)
    assert {f["id"]: f["type"] for f in kita["fields"]}["freie Plätze"] == "int4"
    assert isinstance(kita["records"][0]["freie Plätze"], int)
    info = {f["id"]: f.get("info") for f in kita["fields"]}
    assert info["Plätze"] == {"label": "Genehmigte Plätze"}
    rota = ok(http, "datastore_search", resource_id="apotheken-notdienst", limit=1)["records"][0]
    assert rota["Notdienst von"] == "2026-11-01T09:00:00"


def test_filters_against_the_csv(http: httpx.Client) -> None:
    rows = csv_rows("kitas")
    expected = [r["Name"] for r in rows if r["Ortsteil"] == "Hochfeld"]
    result = ok(http, "datastore_search", resource_id="kitas", filters={"Ortsteil": "Hochfeld"})
    assert [r["Name"] for r in result["records"]] == expected
    assert result["total"] == len(expected) == 2
    assert result["filters"] == {"Ortsteil": "Hochfeld"}
    several = ok(http, "datastore_search", resource_id="kitas",
                 filters={"Ortsteil": ["Hochfeld", "Marxloh", "Wedau"]})
    assert several["total"] == sum(r["Ortsteil"] in ("Hochfeld", "Marxloh", "Wedau") for r in rows)
    full = ok(http, "datastore_search", resource_id="kitas",
              filters={"freie Plätze": 0, "Stadtbezirk": "Süd"}, limit=1000)
    assert full["total"] == sum(r["freie Plätze"] == "0" and r["Stadtbezirk"] == "Süd"
                                for r in rows)
    assert all(r["freie Plätze"] == 0 for r in full["records"])
    as_text = ok(http, "datastore_search", resource_id="kitas", filters={"freie Plätze": "0"})
    assert as_text["total"] == sum(r["freie Plätze"] == "0" for r in rows) > 0
    wbs = ok(http, "datastore_search", resource_id="wohnungsangebote",
             filters={"Wohnberechtigungsschein nötig": True}, limit=1000)
    assert wbs["total"] == sum(r["Wohnberechtigungsschein nötig"] == "true"
                               for r in csv_rows("wohnungsangebote"))
    assert ok(http, "datastore_search", resource_id="kitas", filters={"_id": 3})["records"][0][
        "Name"] == rows[2]["Name"]
    nothing = ok(http, "datastore_search", resource_id="kitas", filters={"Ortsteil": "hochfeld"})
    assert nothing["total"] == 0  # exact, like CKAN


def test_pharmacy_rota_covers_today_and_a_year(http: httpx.Client) -> None:
    today = ok(http, "datastore_search", resource_id="apotheken-notdienst",
               filters={"Notdienst von": "2026-11-23T09:00:00"})
    assert 2 <= today["total"] <= 3
    for day in ("2026-11-01", "2027-06-15", "2027-12-31"):
        on_duty = ok(http, "datastore_search", resource_id="apotheken-notdienst",
                     filters={"Dienstbeginn": day})
        assert 2 <= on_duty["total"] <= 3, day
        assert {r["Notdienst von"] for r in on_duty["records"]} == {f"{day}T09:00:00"}
    # 08:15 on the pinned Monday: those who started on Sunday are still on duty
    sunday = ok(http, "datastore_search", resource_id="apotheken-notdienst",
                filters={"Dienstbeginn": "2026-11-22"})
    assert all(r["Notdienst bis"] == "2026-11-23T09:00:00" for r in sunday["records"])


def test_roadworks_past_current_future(http: httpx.Client) -> None:
    records = ok(http, "datastore_search", resource_id="baustellen", limit=1000)["records"]
    today, demo_end = "2026-11-23", "2027-06-30"
    current = [r for r in records if r["von"] <= today <= r["bis"]]
    assert len(current) >= 5
    assert sum(r["bis"] >= demo_end for r in current) >= 5
    assert any(r["bis"] < today for r in records)
    assert any(r["von"] > today for r in records)
    streets = {r["Straße"] for r in records}
    assert {"Königstraße", "Mercatorstraße", "Düsseldorfer Straße", "Friedrich-Wilhelm-Straße",
            "Kardinal-Galen-Straße"} <= streets


def test_population_covers_46_ortsteile(http: httpx.Client) -> None:
    result = ok(http, "datastore_search", resource_id="einwohner-ortsteile", limit=100)
    assert result["total"] == 46
    assert 480_000 <= sum(r["Einwohner"] for r in result["records"]) <= 520_000
    districts = ok(http, "datastore_search", resource_id="einwohner-ortsteile",
                   fields="Stadtbezirk", distinct=True, sort="Stadtbezirk")
    assert districts["total"] == 7 == len(districts["records"])
    assert [r["Stadtbezirk"] for r in districts["records"]] == sorted(
        r["Stadtbezirk"] for r in districts["records"])
    assert districts["fields"] == [{"id": "Stadtbezirk", "type": "text"}]


def test_full_text_q(http: httpx.Client) -> None:
    result = ok(http, "datastore_search", resource_id="kitas", q="Hochfeld")
    assert result["total"] == 2
    assert all("Hochfeld" in r["Ortsteil"] for r in result["records"])
    assert result["fields"][-1] == {"id": "rank", "type": "float"}
    ranks = [r["rank"] for r in result["records"]]
    assert all(0 < rank < 1 for rank in ranks) and ranks == sorted(ranks, reverse=True)
    forgiving = ok(http, "datastore_search", resource_id="kitas", q="lutherkirche")
    assert forgiving["total"] >= 1
    assert all("Lutherkirche" in r["Name"] for r in forgiving["records"])
    words = ok(http, "datastore_search", resource_id="baustellen", q="Kanal Neudorf")
    assert [r["Straße"] for r in words["records"]] == ["Düsseldorfer Straße"]
    per_field = ok(http, "datastore_search", resource_id="kitas",
                   q={"Ortsteil": "Neudorf"})
    assert {r["Ortsteil"] for r in per_field["records"]} == {"Neudorf-Nord", "Neudorf-Süd"}
    assert "rank Ortsteil" in {f["id"] for f in per_field["fields"]}
    assert ok(http, "datastore_search", resource_id="kitas", q="Xylophon")["total"] == 0
    with_filter = ok(http, "datastore_search", resource_id="kitas", q="Kita",
                     filters={"Stadtbezirk": "Walsum"}, limit=100)
    assert with_filter["total"] >= 1
    assert {r["Stadtbezirk"] for r in with_filter["records"]} == {"Walsum"}


def test_sort_and_fields(http: httpx.Client) -> None:
    result = ok(http, "datastore_search", resource_id="kitas", sort="freie Plätze desc, Name asc",
                fields="Name,freie Plätze", limit=1000)
    assert [f["id"] for f in result["fields"]] == ["Name", "freie Plätze"]
    assert all(set(r) == {"Name", "freie Plätze"} for r in result["records"])
    keys = [(-r["freie Plätze"], r["Name"]) for r in result["records"]]
    assert keys == sorted(keys)
    quoted = ok(http, "datastore_search", resource_id="ladestationen",
                sort='"Leistung kW" desc', limit=3)
    powers = [r["Leistung kW"] for r in quoted["records"]]
    assert powers == sorted(powers, reverse=True)
    listed = http.post("/api/3/action/datastore_search",
                       json={"resource_id": "kitas", "fields": ["Name"], "sort": ["Name desc"],
                             "limit": 3}).json()["result"]
    assert [r["Name"] for r in listed["records"]] == sorted(
        (r["Name"] for r in csv_rows("kitas")), reverse=True)[:3]


def test_records_format_lists_and_csv(http: httpx.Client) -> None:
    objects = ok(http, "datastore_search", resource_id="kitas", limit=3)
    lists = ok(http, "datastore_search", resource_id="kitas", limit=3, records_format="lists")
    names = [f["id"] for f in lists["fields"]]
    assert [dict(zip(names, row, strict=True)) for row in lists["records"]] == objects["records"]
    as_csv = ok(http, "datastore_search", resource_id="kitas", limit=2, records_format="csv")
    assert isinstance(as_csv["records"], str) and as_csv["records"].count("\n") == 2


def test_paging_and_links(http: httpx.Client) -> None:
    total = len(csv_rows("kitas"))
    response = get(http, "datastore_search", resource_id="kitas", limit=20)
    result = response.json()["result"]
    links = result["_links"]
    assert links["start"] == "/api/3/action/datastore_search?resource_id=kitas&limit=20"
    assert parse_qs(urlsplit(links["next"]).query) == {
        "resource_id": ["kitas"], "limit": ["20"], "offset": ["20"]}
    assert "prev" not in links
    seen = [r["_id"] for r in result["records"]]
    next_link = links["next"]
    while True:
        page = http.get(next_link).json()["result"]
        if not page["records"]:
            break
        seen += [r["_id"] for r in page["records"]]
        next_link = page["_links"]["next"]
    assert seen == list(range(1, total + 1))
    later = ok(http, "datastore_search", resource_id="kitas", limit=10, offset=30)
    assert later["offset"] == 30 and "prev" in later["_links"]
    posted = http.post("/api/3/action/datastore_search",
                       json={"resource_id": "kitas", "limit": 5}).json()["result"]
    assert posted["_links"] == {"start": "/api/3/action/datastore_search",
                                "next": "/api/3/action/datastore_search?offset=5"}
    assert ok(http, "datastore_search", resource_id="kitas", limit=40000)["limit"] == 32000
    assert "total" not in ok(http, "datastore_search", resource_id="kitas", include_total="false")


def test_datastore_errors_like_ckan(http: httpx.Client) -> None:
    assert error(get(http, "datastore_search", resource_id="gibt-es-nicht"), 404,
                 "Not Found Error")["message"] == 'Not found: Resource "gibt-es-nicht" was not found.'
    assert error(get(http, "datastore_search"), 409, "Validation Error")["resource_id"] == [
        "Missing value"]
    cases = [
        ({"filters": {"Unbekannt": "x"}}, "filters", ['invalid value "Unbekannt"']),
        ({"filters": "{kaputt"}, "filters", ["Cannot parse JSON"]),
        ({"sort": "Unbekannt desc"}, "sort", ['invalid value "Unbekannt desc"']),
        ({"fields": "Name,Unbekannt"}, "fields", ['invalid value "Unbekannt"']),
        ({"limit": -5}, "limit", ["Must be a natural number"]),
        ({"limit": "viele"}, "limit", ["Invalid integer"]),
        ({"offset": -1}, "offset", ['invalid value "-1"']),
        ({"records_format": "xml"}, "records_format",
         ["Value must be one of ['objects', 'lists', 'csv', 'tsv']"]),
        ({"q": {"Unbekannt": "x"}}, "q", ['invalid value "Unbekannt"']),
        ({"filters": {"freie Plätze": "viele"}}, "query", ["Invalid query"]),
    ]
    for extra, key, messages in cases:
        params = {"resource_id": "kitas", **extra}
        assert error(get(http, "datastore_search", **params), 409,
                     "Validation Error")[key] == messages, extra
    junk = error(get(http, "datastore_search", resource_id="kitas", foo="bar"), 409,
                 "Validation Error")
    assert junk["__junk"] == ["The input field [('foo',)] was not expected."]


def test_injection_strings_in_datastore(http: httpx.Client) -> None:
    total = len(csv_rows("kitas"))
    for evil in ("'; DROP TABLE ckan_datastore_record; --", '" OR 1=1 --', "$.Name",
                 '$."Name"', "x\x00y", "🙂" * 50):
        response = get(http, "datastore_search", resource_id="kitas", filters={"Name": evil})
        assert response.status_code == 200 and response.json()["result"]["total"] == 0
        response = get(http, "datastore_search", resource_id="kitas", q=evil)
        assert response.status_code == 200
        response = get(http, "datastore_search", resource_id="kitas", sort=evil)
        assert response.status_code == 409
        response = get(http, "datastore_search", resource_id=evil)
        assert response.status_code == 404
    # only JSON can carry a lone surrogate; no stored value equals it
    lone = ok(http, "datastore_search", resource_id="kitas", filters={"Name": "\ud800"})
    assert lone["total"] == 0
    assert ok(http, "datastore_search", resource_id="kitas", limit=0)["total"] == total
