"""ParkAPI v3 (and v1 compatibility) over real HTTP against the running server.

The server's clock is pinned to Monday 2026-11-23 08:15 (Europe/Berlin), see conftest.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

V3 = "/api/public/v3/parking-sites"
V1 = "/api/public/v1"
NOW = datetime(2026, 11, 23, 7, 15, tzinfo=timezone.utc)
HBF = (51.4306, 6.7750)
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
SITE_TYPES = {"ON_STREET", "OFF_STREET_PARKING_GROUND", "UNDERGROUND", "CAR_PARK"}
REQUIRED = {
    "id": int, "source_id": int, "original_uid": str, "name": str, "type": str, "purpose": str,
    "lat": float, "lon": float, "capacity": int, "has_realtime_data": bool,
    "static_data_updated_at": str, "created_at": str, "modified_at": str,
}
OPTIONAL = {
    "operator_name": str, "public_url": str, "address": str, "description": str,
    "official_region_code": str, "capacity_disabled": int, "max_height": int, "has_fee": bool,
    "fee_description": str, "opening_hours": str, "park_and_ride_type": list,
    "realtime_data_updated_at": str, "realtime_opening_status": str, "realtime_capacity": int,
    "realtime_free_capacity": int, "restrictions": list, "restricted_to": list, "tags": list,
}
HBF_CAR_PARKS = {"du-hbf-p2-uci", "du-hbf-p3-duisburger-freiheit", "du-hbf-p5-wuhanstrasse"}


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def items(http: httpx.Client, **params: Any) -> list[dict]:
    response = http.get(V3, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total_count"] == len(body["items"]) or "limit" in params
    return body["items"]


def by_uid(http: httpx.Client) -> dict[str, dict]:
    return {item["original_uid"]: item for item in items(http)}


def assert_parkapi_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


# --- shapes ----------------------------------------------------------------------------------


def test_list_has_parkapi_v3_shape(http: httpx.Client) -> None:
    body = http.get(V3).json()
    assert set(body) == {"items", "total_count"}
    assert body["total_count"] == len(body["items"]) >= 14
    ids = [item["id"] for item in body["items"]]
    assert ids == sorted(set(ids))
    for item in body["items"]:
        for key, kind in REQUIRED.items():
            assert isinstance(item[key], kind), (key, item)
        for key, value in item.items():
            assert key in REQUIRED or key in OPTIONAL, key
            assert value is not None, key  # ParkAPI leaves out empty fields
            if key in OPTIONAL:
                assert isinstance(value, OPTIONAL[key]), key
        assert item["type"] in SITE_TYPES
        assert item["purpose"] == "CAR"
        assert item["capacity"] > 0
        for key in ("static_data_updated_at", "created_at", "modified_at"):
            assert TIMESTAMP.match(item[key])
        for restriction in item.get("restrictions", []):
            assert restriction["type"] in {"DISABLED", "CHARGING"}
            assert 0 <= restriction["capacity"] <= item["capacity"]


def test_live_values_are_plausible_at_the_pinned_time(http: httpx.Client) -> None:
    live = [item for item in items(http) if item["has_realtime_data"]]
    assert len(live) >= 12
    for item in live:
        updated = parse_time(item["realtime_data_updated_at"])
        assert TIMESTAMP.match(item["realtime_data_updated_at"])
        assert NOW - timedelta(minutes=10) < updated <= NOW
        assert item["realtime_opening_status"] == "OPEN"  # Monday 08:15: everything is open
        assert item["realtime_capacity"] == item["capacity"]
        assert 0 <= item["realtime_free_capacity"] <= item["capacity"]
        for restriction in item.get("restrictions", []):
            if restriction["type"] == "DISABLED":
                assert 0 <= restriction["realtime_free_capacity"] <= restriction["capacity"]
    # Commuters have filled the station car parks more than shoppers the city ones.
    sites = by_uid(http)
    assert (sites["du-hbf-p3-duisburger-freiheit"]["realtime_free_capacity"] / 604
            < sites["du-forum"]["realtime_free_capacity"] / 600)


def test_live_values_are_deterministic_for_the_pinned_time(http: httpx.Client) -> None:
    assert http.get(V3).json() == http.get(V3).json()


def test_zone_is_published_as_tag_and_in_description(http: httpx.Client) -> None:
    sites = by_uid(http)
    assert "ZONE_CITY" in sites["du-forum"]["tags"]
    assert sites["du-forum"]["description"].startswith("Parkleitsystem-Zone City")
    assert "ZONE_RANDBEREICH" in sites["du-hbf-p2-uci"]["tags"]
    innenhafen = [s for s in sites.values() if "ZONE_INNENHAFEN" in s.get("tags", [])]
    assert len(innenhafen) >= 2
    assert all("Zone Innenhafen" in s["description"] for s in innenhafen)
    assert "tags" not in sites["du-hbf-p5-wuhanstrasse"]  # not part of the guidance system


def test_verified_hbf_facts_are_served(http: httpx.Client) -> None:
    sites = by_uid(http)
    p2, p3, p5 = (sites[uid] for uid in ("du-hbf-p2-uci", "du-hbf-p3-duisburger-freiheit",
                                         "du-hbf-p5-wuhanstrasse"))
    assert (p2["capacity"], p2["lat"], p2["lon"]) == (398, 51.43043, 6.778361)
    assert (p3["capacity"], p3["lat"], p3["lon"]) == (604, 51.428502, 6.774287)
    assert (p5["capacity"], p5["lat"], p5["lon"]) == (15, 51.427854, 6.774065)
    assert p2["operator_name"].startswith("Contipark")
    assert p2["opening_hours"] == "24/7" and p2["park_and_ride_type"] == ["TRAIN"]
    assert "14,00 €" in p2["fee_description"] and "Kinotarif" in p2["fee_description"]
    assert {"type": "CHARGING", "capacity": 5} in p3["restrictions"]


def test_item_equals_list_entry_and_unknown_ids_are_404(http: httpx.Client) -> None:
    for item in items(http)[:5]:
        response = http.get(f"{V3}/{item['id']}")
        assert response.status_code == 200
        assert response.json() == item
    error = assert_parkapi_error(http.get(f"{V3}/99999"), 404, "not_found")
    assert "99999" in error["message"]
    for bad in ("abc", "-1", "0", "1.5", "99999999999999999999", "%00", "1%20OR%201=1"):
        assert_parkapi_error(http.get(f"{V3}/{bad}"), 404, "not_found")


# --- realtime: stale feed, no sensor, raw values ----------------------------------------------


def test_stale_feed_is_dropped_like_parkapi(http: httpx.Client) -> None:
    stale = by_uid(http)["du-city-parkhaus-unterstrasse"]
    assert stale["has_realtime_data"] is False
    assert not any(key.startswith("realtime_") for key in stale)
    assert all("realtime_free_capacity" not in r for r in stale["restrictions"])
    raw = http.get(f"{V3}/{stale['id']}", params={"calculate_has_realtime_data": "false"}).json()
    assert raw["has_realtime_data"] is True
    assert NOW - parse_time(raw["realtime_data_updated_at"]) > timedelta(hours=2)
    assert 0 <= raw["realtime_free_capacity"] <= raw["capacity"]
    listed_raw = {i["original_uid"]: i for i in items(http, calculate_has_realtime_data="FALSE")}
    assert listed_raw["du-city-parkhaus-unterstrasse"]["has_realtime_data"] is True


def test_site_without_sensor_has_no_realtime_fields(http: httpx.Client) -> None:
    for params in ({}, {"calculate_has_realtime_data": "false"}):
        p5 = {i["original_uid"]: i for i in items(http, **params)}["du-hbf-p5-wuhanstrasse"]
        assert p5["has_realtime_data"] is False
        assert not any(key.startswith("realtime_") for key in p5)


def test_realtime_time_filters(http: httpx.Client) -> None:
    recent = items(http, realtime_data_updated_at_since="2026-11-23T07:00:00Z")
    uids = {i["original_uid"] for i in recent}
    assert "du-forum" in uids and "du-city-parkhaus-unterstrasse" not in uids
    assert "du-hbf-p5-wuhanstrasse" not in uids
    old = items(http, realtime_data_updated_at_until="2026-11-23T06:00:00+01:00")
    assert {i["original_uid"] for i in old} == {"du-city-parkhaus-unterstrasse"}


# --- filters ---------------------------------------------------------------------------------


def test_name_filter_contains_case_insensitive(http: httpx.Client) -> None:
    assert [i["name"] for i in items(http, name="forum")] == ["Parkhaus Forum"]
    assert [i["name"] for i in items(http, name="FORUM")] == ["Parkhaus Forum"]
    koenig = {i["name"] for i in items(http, name="KÖNIG")}  # umlaut folded on every database
    assert {"Parkhaus Königsgalerie", "Parkhaus Königstraße",
            "Tiefgarage König-Heinrich-Platz"} <= koenig
    assert items(http, name="%") == []  # LIKE wildcards are literal
    assert items(http, name="_") == []
    assert items(http, name="' OR 1=1 --") == []
    assert items(http, name="Parkhaus Forum'; DROP TABLE parking_site; --") == []
    assert len(items(http)) >= 14  # still there


def test_radius_filter_around_hbf(http: httpx.Client) -> None:
    lat, lon = HBF
    near = items(http, lat=lat, lon=lon, radius=500)
    assert {i["original_uid"] for i in near} >= HBF_CAR_PARKS
    assert all(distance_m(lat, lon, i["lat"], i["lon"]) <= 500 for i in near)
    wider = items(http, lat=lat, lon=lon, radius=1500)
    wider_uids = {i["original_uid"] for i in wider}
    assert {"du-forum"} | HBF_CAR_PARKS <= wider_uids
    assert "du-pr-meiderich-sued" not in wider_uids and "du-pr-rheinhausen" not in wider_uids
    everything = by_uid(http)
    outside = set(everything) - wider_uids
    assert all(distance_m(lat, lon, everything[u]["lat"], everything[u]["lon"]) > 1500
               for u in outside)
    assert items(http, lat=lat, lon=lon, radius=1) == []
    legacy = items(http, location=f"{lon},{lat}", radius="0.5")  # old form, radius in km
    assert {i["id"] for i in legacy} == {i["id"] for i in near}


def test_bounding_box_filter(http: httpx.Client) -> None:
    box = items(http, lat_min=51.42, lat_max=51.432, lon_min=6.77, lon_max=6.78)
    assert {i["original_uid"] for i in box} >= HBF_CAR_PARKS
    for item in box:
        assert 51.42 <= item["lat"] <= 51.432 and 6.77 <= item["lon"] <= 6.78


def test_type_purpose_and_source_filters(http: httpx.Client) -> None:
    underground = items(http, type="UNDERGROUND")
    assert underground and all(i["type"] == "UNDERGROUND" for i in underground)
    not_underground = items(http, not_type="UNDERGROUND")
    assert len(underground) + len(not_underground) == len(items(http))
    assert items(http, purpose="BIKE") == []
    assert len(items(http, source_uid="duisburg")) == len(items(http))
    assert items(http, source_uid="elsewhere") == []
    assert len(items(http, source_uids="elsewhere,duisburg")) == len(items(http))
    assert len(items(http, official_region_code="051120000000")) == len(items(http))
    assert items(http, static_data_updated_at_since="2030-01-01T00:00:00Z") == []


def test_cursor_pagination_walks_every_site_once(http: httpx.Client) -> None:
    everything = [i["id"] for i in items(http)]
    seen: list[int] = []
    params: dict[str, Any] = {"limit": 5}
    for _ in range(10):
        body = http.get(V3, params=params).json()
        assert body["total_count"] == len(everything)
        seen += [i["id"] for i in body["items"]]
        if "next_id" not in body:
            break
        assert body["next_path"].startswith(V3 + "?")
        assert len(body["items"]) == 5
        params = {"limit": 5, "start": body["next_id"]}
        follow = http.get(body["next_path"]).json()
        assert follow == http.get(V3, params=params).json()
    assert seen == everything


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"limit": "0"}, "limit", "pagination_required"),
        ({"limit": "1001"}, "limit", "number_range_error"),
        ({"limit": "10" * 500}, "limit", "number_range_error"),
        ({"limit": "-5"}, "limit", "number_range_error"),
        ({"start": "abc"}, "start", "invalid_integer"),
        ({"lat": "NaN", "lon": "6", "radius": "5"}, "lat", "not_a_finite_number"),
        ({"lat": "1e999", "lon": "6", "radius": "5"}, "lat", "not_a_finite_number"),
        ({"lat": "91", "lon": "6", "radius": "5"}, "lat", "number_range_error"),
        ({"lat": "51", "lon": "6", "radius": "-5"}, "radius", "number_range_error"),
        ({"type": "car_park"}, "type", "value_not_allowed"),
        ({"purpose": "BOAT"}, "purpose", "value_not_allowed"),
        ({"name": "x" * 1000}, "name", "string_too_long"),
        ({"name": "a\x00b"}, "name", "string_invalid_characters"),
        ({"calculate_has_realtime_data": "yes"}, "calculate_has_realtime_data", "invalid_type"),
        ({"realtime_data_updated_at_since": "gestern"}, "realtime_data_updated_at_since",
         "invalid_datetime"),
    ],
)
def test_bad_parameters_give_parkapi_validation_errors(
    http: httpx.Client, params: dict, field: str, code: str
) -> None:
    error = assert_parkapi_error(http.get(V3, params=params), 400, "validation_error")
    assert error["data"]["code"] == "field_errors"
    assert error["data"]["field_errors"][field]["code"] == code


@pytest.mark.parametrize(
    "params",
    [{"lat": "51.43", "lon": "6.77"}, {"radius": "100"}, {"lat": "51", "radius": "5"},
     {"lat_min": "51"}, {"lat_min": "52", "lat_max": "51", "lon_min": "6", "lon_max": "7"}],
)
def test_incomplete_geo_parameters_are_rejected(http: httpx.Client, params: dict) -> None:
    error = assert_parkapi_error(http.get(V3, params=params), 400, "validation_error")
    assert error["data"]["code"] == "post_validation_errors"
    assert error["data"]["error"]["reason"]


def test_other_methods_are_405_in_parkapi_shape(http: httpx.Client) -> None:
    response = http.post(V3, json={"name": "x"})
    assert_parkapi_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"
    assert_parkapi_error(http.delete(f"{V3}/1"), 405, "method_not_allowed")
    assert_parkapi_error(http.put(f"{V1}/duisburg", content=b"{not json"), 405,
                         "method_not_allowed")


PARAM_NAMES = ["limit", "start", "lat", "lon", "radius", "name", "type", "not_type", "purpose",
               "source_id", "source_uid", "source_uids", "lat_min", "lat_max", "lon_min",
               "lon_max", "location", "official_region_code", "calculate_has_realtime_data",
               "static_data_updated_at_since", "realtime_data_updated_at_until", "unknown"]
values = st.one_of(
    st.text(max_size=40),
    st.integers(-10**30, 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["51.43", "6.775", "1500", "CAR_PARK", "CAR", "true", "false", "5",
                     "6.775,51.43", "2026-11-23T07:00:00Z", "'; DROP TABLE parking_site; --",
                     "%", "\x00", "ä" * 300]),
)


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(params=st.dictionaries(st.sampled_from(PARAM_NAMES), values, max_size=6))
def test_fuzzed_query_never_breaks_the_server(http: httpx.Client, params: dict) -> None:
    for path in (V3, f"{V1}/duisburg"):
        response = http.get(path, params=params)
        assert response.status_code in (200, 400), (response.status_code, response.text)
        body = response.json()
        if response.status_code == 400:
            assert body["error"]["code"] == "validation_error"
        elif path == V3:
            assert len(body["items"]) <= body["total_count"]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(segment=st.text(min_size=1, max_size=300))
def test_fuzzed_path_segments_are_404(http: httpx.Client, segment: str) -> None:
    # "." and ".." are dot-segments: clients (httpx too) remove them before sending (RFC 3986).
    assume(segment not in (".", ".."))
    response = http.get(V3 + "/" + quote(segment, safe=""))
    if response.status_code == 200:  # a valid id
        assert response.json()["id"] == int(segment)
    else:
        assert response.status_code in (404, 307)


# --- ParkAPI v1 compatibility ----------------------------------------------------------------


def test_v1_index_lists_the_city(http: httpx.Client) -> None:
    for path in (V1, V1 + "/"):
        body = http.get(path).json()
        assert body["api_version"] == "1.0"
        assert body["cities"] == {"Duisburg": "duisburg"}


def test_v1_city_lots(http: httpx.Client) -> None:
    body = http.get(f"{V1}/duisburg").json()
    assert TIMESTAMP.match(body["last_updated"]) and TIMESTAMP.match(body["last_downloaded"])
    lots = {lot["id"]: lot for lot in body["lots"]}
    assert len(lots) == len(items(http))
    forum = lots["du-forum"]
    assert forum["lot_type"] == "garage" and forum["region"] == "City"
    assert forum["state"] == "open" and 0 <= forum["free"] <= forum["total"] == 600
    assert set(forum["coords"]) == {"lat", "lng"}
    assert lots["du-koenig-heinrich-platz"]["lot_type"] == "underground"
    assert lots["du-hbf-p5-wuhanstrasse"]["lot_type"] == "lot"
    stale = lots["du-city-parkhaus-unterstrasse"]
    assert "free" not in stale and stale["state"] == "open"  # from its opening hours
    assert [lot["name"] for lot in http.get(f"{V1}/duisburg", params={"name": "forum"}).json()[
        "lots"]] == ["Parkhaus Forum"]


def test_v1_unknown_city_is_404(http: httpx.Client) -> None:
    assert_parkapi_error(http.get(f"{V1}/atlantis"), 404, "not_found")
    assert_parkapi_error(http.get(f"{V1}/{'x' * 1000}"), 404, "not_found")
    assert http.get(f"{V1}/{'x' * 5000}").status_code == 414  # the server's path limit
    assert_parkapi_error(http.get(f"{V1}/a%00b"), 404, "not_found")


def test_openapi_documents_the_parameters(http: httpx.Client) -> None:
    spec = http.get("/openapi.json").json()
    operation = spec["paths"][V3]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"name", "lat", "lon", "radius", "limit", "start", "type", "purpose"} <= names
    assert f"{V3}/{{parking_site_id}}" in spec["paths"]
    assert f"{V1}/{{city}}" in spec["paths"]
