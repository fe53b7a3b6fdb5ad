"""Adversarial input over HTTP (hypothesis): CKAN error shapes, never a 500."""

from __future__ import annotations

import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300
)
solrish = st.text(alphabet='abcKITAäöüß:"()[]{}*+-! ORANDTO\\/,.~^', max_size=80)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


def _check(response: httpx.Response) -> None:
    assert response.status_code in (200, 400, 404, 409), (response.status_code, response.text)
    body = response.json()
    if response.status_code == 400 and isinstance(body, str):
        assert body.startswith("Bad request")
        return
    assert body["help"].startswith("http")
    assert body["success"] is (response.status_code == 200)
    if response.status_code != 200:
        assert isinstance(body["error"]["__type"], str)


@FUZZ
@given(q=solrish | text, fq=solrish, sort=solrish | st.sampled_from(
    ["score desc", "name asc", "metadata_modified desc, name asc", "title_string desc"]),
    rows=st.one_of(st.integers(-10, 5000), text), start=st.one_of(st.integers(-5, 10**12), text))
def test_package_search_never_fails(http: httpx.Client, q: str, fq: str, sort: str, rows,
                                    start) -> None:
    params = {"q": q, "fq": fq, "sort": sort, "rows": rows, "start": start}
    _check(http.get("/api/3/action/package_search", params=params))


@FUZZ
@given(body=st.dictionaries(st.sampled_from(
    ["q", "fq", "rows", "start", "sort", "facet.field", "facet.limit", "facet.mincount",
     "fq_list", "fl", "include_private"]), json_values, max_size=6))
def test_package_search_post_bodies_never_fail(http: httpx.Client, body: dict) -> None:
    _check(http.post("/api/3/action/package_search", content=json.dumps(body),
                     headers={"Content-Type": "application/json"}))


@FUZZ
@given(filters=st.one_of(text, st.dictionaries(
    st.sampled_from(["Name", "Ortsteil", "Plätze", "freie Plätze", "_id", "x"]), json_values,
    max_size=3).map(json.dumps)),
    q=st.one_of(text, st.dictionaries(st.sampled_from(["Name", "Ortsteil", "y"]), text,
                                      max_size=2).map(json.dumps)),
    sort=text, fields=text, limit=st.one_of(st.integers(-5, 10**20), text),
    offset=st.one_of(st.integers(-5, 10**20), text), plain=st.sampled_from(["true", "false"]))
def test_datastore_search_never_fails(http: httpx.Client, filters, q, sort, fields, limit,
                                      offset, plain) -> None:
    params = {"resource_id": "kitas", "filters": filters, "q": q, "sort": sort,
              "fields": fields, "limit": limit, "offset": offset, "plain": plain}
    _check(http.get("/api/3/action/datastore_search", params=params))


@FUZZ
@given(body=st.dictionaries(st.sampled_from(
    ["resource_id", "id", "filters", "q", "sort", "fields", "limit", "offset", "distinct",
     "records_format", "include_total", "full_text"]), json_values, max_size=6))
def test_datastore_post_bodies_never_fail(http: httpx.Client, body: dict) -> None:
    _check(http.post("/api/3/action/datastore_search", content=json.dumps(body),
                     headers={"Content-Type": "application/json"}))


@FUZZ
@given(action=st.sampled_from(["package_show", "resource_show", "organization_show",
                               "group_show", "organization_list", "group_list", "tag_list",
                               "package_list", "help_show"]),
       params=st.dictionaries(st.sampled_from(["id", "name", "limit", "offset", "sort", "q",
                                               "all_fields", "include_datasets", "query"]),
                              text, max_size=4))
def test_other_actions_never_fail(http: httpx.Client, action: str, params: dict) -> None:
    _check(http.get(f"/api/3/action/{action}", params=params))


@FUZZ
@given(raw=st.binary(max_size=2000))
def test_raw_bodies_never_fail(http: httpx.Client, raw: bytes) -> None:
    _check(http.post("/api/3/action/datastore_search", content=raw,
                     headers={"Content-Type": "application/json"}))
