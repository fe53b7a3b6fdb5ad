"""package_search: forgiving German search, Solr filters, facets, sorting and paging."""

from __future__ import annotations

import httpx
import pytest

from tests.opendata.test_ckan_support import error, get, ok

RANKING = [
    ("Kitas", "kindertageseinrichtungen"),
    ("Kita", "kindertageseinrichtungen"),
    ("KITA", "kindertageseinrichtungen"),
    ("Kindertagesstätten", "kindertageseinrichtungen"),
    ("kindertagesstaetten", "kindertageseinrichtungen"),
    ("Kindergarten", "kindertageseinrichtungen"),
    ("freie Kitaplätze", "kindertageseinrichtungen"),
    ("Parkhäuser", "parkhaeuser"),
    ("Parkhaus", "parkhaeuser"),
    ("parkhaeuser", "parkhaeuser"),
    ("Tiefgaragen", "parkhaeuser"),
    ("Ladesäule", "ladestationen-elektrofahrzeuge"),
    ("Ladesäulen", "ladestationen-elektrofahrzeuge"),
    ("ladesaeulen", "ladestationen-elektrofahrzeuge"),
    ("Ladestationen", "ladestationen-elektrofahrzeuge"),
    ("E-Auto laden", "ladestationen-elektrofahrzeuge"),
    ("Baustelle", "baustellen"),
    ("Baustellen", "baustellen"),
    ("BAUSTELLEN", "baustellen"),
    ("Strassensperrung", "baustellen"),
    ("Badeseen", "badegewaesserqualitaet"),
    ("Badesee", "badegewaesserqualitaet"),
    ("Badegewässer", "badegewaesserqualitaet"),
    ("badegewaesser", "badegewaesserqualitaet"),
    ("Wasserqualität am Badesee", "badegewaesserqualitaet"),
    ("Apotheke Notdienst", "apotheken-notdienst"),
    ("Notapotheke", "apotheken-notdienst"),
    ("Einwohner", "einwohner-ortsteile"),
    ("Einwohnerzahl der Ortsteile", "einwohner-ortsteile"),
    ("Bevölkerung", "einwohner-ortsteile"),
    ("Mietwohnungen", "wohnungsangebote"),
    ("Wohnung mit Wohnberechtigungsschein", "wohnungsangebote"),
    ("Straßenbäume", "strassenbaeume"),
    ("Fahrplan", "fahrplandaten-gtfs"),
    ("Spielplätze", "spielplaetze"),
    ("Denkmäler", "denkmalliste"),
    ("Kommunalwahl Ergebnisse", "wahlergebnisse-kommunalwahl-2025"),
]


@pytest.mark.parametrize(("query", "expected"), RANKING)
def test_forgiving_german_search_ranks_the_right_dataset_first(
    http: httpx.Client, query: str, expected: str
) -> None:
    result = ok(http, "package_search", q=query, rows=3)
    assert result["results"], query
    assert result["results"][0]["name"] == expected, [r["name"] for r in result["results"]]


def test_result_fields_the_assistant_uses(http: httpx.Client, base_url: str) -> None:
    result = ok(http, "package_search", q="Baustellen", rows=3)
    first = result["results"][0]
    assert first["title"] == "Baustellen im Stadtgebiet"
    assert first["notes"]
    assert [r["format"] for r in first["resources"]] == ["CSV", "GeoJSON", "WMS"]
    assert first["license_title"] == "Datenlizenz Deutschland Namensnennung 2.0"
    assert first["license_url"] == "https://www.govdata.de/dl-de/by-2-0"
    assert first["organization"]["title"] == "Stadt Duisburg"
    assert first["url"] == f"{base_url}/dataset/baustellen"
    assert first == ok(http, "package_show", id="baustellen")
    assert result["sort"] == "score desc, metadata_modified desc"
    assert result["facets"] == {} and result["search_facets"] == {}


def test_no_match_and_only_stopwords(http: httpx.Client) -> None:
    assert ok(http, "package_search", q="Xylophonorchester")["count"] == 0
    assert ok(http, "package_search", q="der die das")["count"] == 0
    everything = ok(http, "package_search", rows=0)["count"]
    assert everything == len(ok(http, "package_list"))
    assert ok(http, "package_search", q="*:*", rows=0)["count"] == everything
    assert ok(http, "package_search", q="", rows=0)["count"] == everything


def test_words_must_match_like_ckan_dismax(http: httpx.Client) -> None:
    # two words: both required; three words: all but one
    assert ok(http, "package_search", q="Kitas Xylophon")["count"] == 0
    three = ok(http, "package_search", q="Kitas Plätze Xylophon")
    assert three["results"][0]["name"] == "kindertageseinrichtungen"


def test_fq_filters(http: httpx.Client) -> None:
    total = ok(http, "package_search", rows=0)["count"]
    org = ok(http, "package_search", fq="organization:stadt-duisburg", rows=1000)
    vrr = ok(http, "package_search", fq='organization:"verkehrsverbund-rhein-ruhr"', rows=1000)
    assert org["count"] + vrr["count"] == total
    assert [r["name"] for r in vrr["results"]] == ["fahrplandaten-gtfs"]
    tagged = ok(http, "package_search", fq="tags:Kita", rows=10)
    assert [r["name"] for r in tagged["results"]] == ["kindertageseinrichtungen"]
    csv_sets = ok(http, "package_search", fq="res_format:CSV", rows=1000)["results"]
    assert csv_sets and all(any(r["format"] == "CSV" for r in p["resources"]) for p in csv_sets)
    zero = ok(http, "package_search", fq='license_id:"dl-zero-de/2.0"', rows=1000)["results"]
    assert zero and {p["license_id"] for p in zero} == {"dl-zero-de/2.0"}
    transport = ok(http, "package_search", fq="groups:transport", rows=1000)["results"]
    assert all("transport" in {g["name"] for g in p["groups"]} for p in transport)
    both = ok(http, "package_search", q="Parken", fq="groups:transport res_format:JSON")
    assert [r["name"] for r in both["results"]] == ["parkhaeuser"]
    negated = ok(http, "package_search", fq="groups:transport -res_format:CSV", rows=1000)
    assert all(all(r["format"] != "CSV" for r in p["resources"]) for p in negated["results"])
    either = ok(http, "package_search", fq="tags:(Kita OR Baustelle)", rows=10)
    assert {r["name"] for r in either["results"]} == {"kindertageseinrichtungen", "baustellen"}
    fq_list = ok(http, "package_search", fq_list=["groups:transport", "tags:Parken"])
    assert {r["name"] for r in fq_list["results"]} <= {r["name"] for r in transport}
    assert ok(http, "package_search", fq="unknown_field:x")["count"] == 0
    assert ok(http, "package_search", q="tags:Baustelle")["results"][0]["name"] == "baustellen"


def test_fq_date_range_uses_the_pinned_clock(http: httpx.Client) -> None:
    recent = ok(http, "package_search", fq="metadata_modified:[NOW-7DAYS TO NOW]", rows=100)
    names = {r["name"] for r in recent["results"]}
    # pinned clock 2026-11-23T07:15Z; Wohnungsangebote changed 2026-11-16T06:12, 7 days + 1 h ago
    assert names == {"baustellen", "adressen"}
    eight_days = ok(http, "package_search", fq="metadata_modified:[NOW-8DAYS TO NOW]", rows=100)
    assert {r["name"] for r in eight_days["results"]} == names | {"wohnungsangebote"}
    for package in recent["results"]:
        assert "2026-11-16" <= package["metadata_modified"] <= "2026-11-23T07:15"
    explicit = ok(http, "package_search",
                  fq="metadata_modified:[2026-11-16T00:00:00Z TO *]", rows=100)
    assert {r["name"] for r in explicit["results"]} >= names


def test_facets(http: httpx.Client) -> None:
    fields = ["organization", "groups", "tags", "res_format", "license_id"]
    result = ok(http, "package_search", rows=0, **{"facet.field": fields, "facet.limit": -1})
    assert set(result["facets"]) == set(fields) == set(result["search_facets"])
    total = result["count"]
    assert sum(result["facets"]["organization"].values()) == total
    for name, count in result["facets"]["groups"].items():
        assert ok(http, "package_search", fq=f"groups:{name}", rows=0)["count"] == count
    csv_count = ok(http, "package_search", fq="res_format:CSV", rows=0)["count"]
    assert result["facets"]["res_format"]["CSV"] == csv_count
    counts = list(result["facets"]["tags"].values())
    assert counts == sorted(counts, reverse=True)
    items = result["search_facets"]["groups"]["items"]
    assert result["search_facets"]["groups"]["title"] == "groups"
    assert [i["display_name"] for i in items] == sorted((i["display_name"] for i in items),
                                                        reverse=True)
    verkehr = next(i for i in items if i["name"] == "transport")
    assert verkehr["display_name"] == "Verkehr"
    licences = {i["name"]: i["display_name"] for i in result["search_facets"]["license_id"]["items"]}
    assert licences["cc-by-de/3.0"] == "Creative Commons Namensnennung 3.0 Deutschland (CC BY 3.0 DE)"
    limited = ok(http, "package_search", rows=0, **{"facet.field": ["tags"], "facet.limit": 3})
    assert len(limited["facets"]["tags"]) == 3
    mincount = ok(http, "package_search", rows=0,
                  **{"facet.field": ["tags"], "facet.mincount": 2, "facet.limit": -1})
    assert all(c >= 2 for c in mincount["facets"]["tags"].values())
    searched = ok(http, "package_search", q="Kitas", **{"facet.field": ["groups"]})
    assert searched["facets"]["groups"] == {"educ": 1, "soci": 1}
    off = ok(http, "package_search", rows=0, facet="false", **{"facet.field": ["tags"]})
    assert off["facets"] == {}
    unknown = ok(http, "package_search", rows=0, **{"facet.field": ["nope"]})
    assert unknown["facets"] == {"nope": {}}
    assert unknown["search_facets"] == {"nope": {"items": [], "title": "nope"}}


def test_sorting(http: httpx.Client) -> None:
    by_name = ok(http, "package_search", sort="name asc", rows=1000)["results"]
    names = [r["name"] for r in by_name]
    assert names == sorted(names)
    by_name_desc = ok(http, "package_search", sort="name desc", rows=1000)["results"]
    assert [r["name"] for r in by_name_desc] == names[::-1]
    modified = ok(http, "package_search", sort="metadata_modified desc", rows=1000)["results"]
    stamps = [r["metadata_modified"] for r in modified]
    assert stamps == sorted(stamps, reverse=True)
    titles = ok(http, "package_search", sort="title_string asc", rows=1000)["results"]
    ascii_titles = [r["title"] for r in titles if r["title"].isascii()]
    assert ascii_titles == sorted(ascii_titles)
    created = ok(http, "package_search", sort="metadata_created asc, name desc", rows=1000)
    values = [r["metadata_created"] for r in created["results"]]
    assert values == sorted(values)
    assert created["sort"] == "metadata_created asc, name desc"


def test_paging_is_consistent(http: httpx.Client) -> None:
    everything = [r["name"] for r in ok(http, "package_search", sort="name asc",
                                         rows=1000)["results"]]
    pages = []
    for start in range(0, len(everything), 7):
        page = ok(http, "package_search", sort="name asc", rows=7, start=start)
        assert page["count"] == len(everything)
        pages += [r["name"] for r in page["results"]]
    assert pages == everything
    assert ok(http, "package_search", start=10_000)["results"] == []


def test_rows_validation_like_ckan(http: httpx.Client) -> None:
    assert len(ok(http, "package_search", rows=5000)["results"]) == ok(
        http, "package_search", rows=0)["count"]
    assert error(get(http, "package_search", rows=-1), 409,
                 "Validation Error")["rows"] == ["Must be a natural number"]
    assert error(get(http, "package_search", rows="viele"), 409,
                 "Validation Error")["rows"] == ["Invalid integer"]
    assert error(get(http, "package_search", start=-3), 409,
                 "Validation Error")["start"] == ["Must be a natural number"]
    assert error(get(http, "package_search", **{"facet.field": "[tags"}), 409,
                 "Validation Error")["facet.field"] == ["Could not parse as valid JSON"]
    assert error(get(http, "package_search", **{"facet.field": '"tags"'}), 409,
                 "Validation Error")["facet.field"] == ["Not a list"]
    assert error(get(http, "package_search", **{"facet.limit": "x"}), 409,
                 "Validation Error")["facet.limit"] == ["Invalid integer"]


def test_query_errors_like_ckan(http: httpx.Client) -> None:
    message = error(get(http, "package_search", sort="name"), 400, "Search Query Error")["message"]
    assert message == "Search Query is invalid: 'Invalid \"sort\" parameter'"
    error(get(http, "package_search", sort="name upwards"), 400, "Search Query Error")
    error(get(http, "package_search", sort="title asc"), 409, "Search Error")
    unknown = error(get(http, "package_search", foo="bar"), 400, "Search Query Error")
    assert unknown["message"] == "Search Query is invalid: \"Invalid search parameters: ['foo']\""
    error(get(http, "package_search", fq='tags:"offen'), 409, "Search Error")
    error(get(http, "package_search", q="(Kita"), 409, "Search Error")
    error(get(http, "package_search", fq="metadata_modified:[gestern TO *]"), 409, "Search Error")


def test_post_body_search_equals_get(http: httpx.Client) -> None:
    body = {"q": "Kitas", "rows": 2, "facet.field": ["groups"], "fq": "organization:stadt-duisburg"}
    posted = http.post("/api/3/action/package_search", json=body)
    assert posted.status_code == 200
    assert posted.json()["result"] == ok(http, "package_search", **body)
    bad = http.post("/api/3/action/package_search", json={"rows": "zehn"})
    assert bad.status_code == 409
    assert bad.json()["error"]["rows"] == ["Invalid integer"]


def test_injection_and_huge_strings_are_harmless(http: httpx.Client) -> None:
    total = ok(http, "package_search", rows=0)["count"]
    for query in ("'; DROP TABLE ckan_package; --", "\" OR 1=1 --", "kita' OR '1'='1",
                  "NEAR(a b)", "title:* OR *", "\\", "🙂 Kita 🙂", "kita\x00"):
        response = get(http, "package_search", q=query)
        assert response.status_code in (200, 409), (query, response.text)
    assert ok(http, "package_search", rows=0)["count"] == total
    huge = "Kita " * 3000
    response = get(http, "package_search", q=huge[:4000])
    assert response.status_code in (200, 409)
    response = http.post("/api/3/action/package_search", json={"q": "x" * 4000})
    assert response.status_code == 200 and response.json()["result"]["count"] == 0
    # beyond the server's size limits (opendata.limits): refused before any parsing
    assert get(http, "package_search", q=huge[:15000]).status_code == 414
    response = http.post("/api/3/action/package_search", json={"q": "x" * 200_000})
    assert response.status_code == 413
    response = http.post("/api/3/action/package_search", json={"q": "x" * 5000})
    assert response.status_code == 400 and "longer than 4096" in response.json()
    many = " ".join(f"wort{i}" for i in range(200))
    error(http.post("/api/3/action/package_search", json={"q": many}), 409, "Search Error")
