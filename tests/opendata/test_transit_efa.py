"""VRR EFA interface over real HTTP: departure monitor, stop finder, ADDINFO, trips, bad input.

The server runs with the clock pinned to Monday 2026-11-23 08:15 (07:15 UTC).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendata.transit import realtime

NOW = datetime(2026, 11, 23, 7, 15, tzinfo=timezone.utc)
HBF, KHP, RATHAUS, ZOO = "de:05112:90001", "de:05112:90002", "de:05112:90003", "de:05112:90013"
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
COMMON = {"outputFormat": "rapidJSON", "coordOutputFormat": "WGS84[dd.ddddd]"}


def utc(value: str) -> datetime:
    assert ISO_Z.match(value), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def dm(http: httpx.Client, name: str, **params: Any) -> dict[str, Any]:
    response = http.get(
        "/standard/XML_DM_REQUEST",
        params={**COMMON, "mode": "direct", "type_dm": "any", "name_dm": name, **params},
    )
    assert response.status_code == 200, response.text
    return response.json()


def stopfinder(http: httpx.Client, name: str, **params: Any) -> list[dict[str, Any]]:
    response = http.get(
        "/standard/XML_STOPFINDER_REQUEST",
        params={**COMMON, "type_sf": "any", "locationServerActive": 1, "name_sf": name, **params},
    )
    assert response.status_code == 200, response.text
    return response.json()["locations"]


def trips(http: httpx.Client, origin: str, destination: str, **params: Any) -> dict[str, Any]:
    response = http.get(
        "/standard/XML_TRIP_REQUEST2",
        params={
            **COMMON,
            "type_origin": "any",
            "name_origin": origin,
            "type_destination": "any",
            "name_destination": destination,
            "maxChanges": 0,
            **params,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()


def addinfo(http: httpx.Client, **params: Any) -> dict[str, Any]:
    response = http.get("/standard/XML_ADDINFO_REQUEST", params={**COMMON, **params})
    assert response.status_code == 200, response.text
    return response.json()["infos"]


# --------------------------------------------------------------------------- departure monitor


def test_departure_monitor_has_the_efa_shape(http: httpx.Client) -> None:
    body = dm(http, KHP, useRealtime=1, limit=30)
    assert body["version"] and body["systemMessages"] == []
    [location] = body["locations"]
    assert location["id"] == KHP and location["type"] == "stop"
    assert location["name"] == "Duisburg, König-Heinrich-Platz"
    assert location["disassembledName"] == "König-Heinrich-Platz"
    assert location["parent"]["type"] == "locality" and location["parent"]["name"] == "Duisburg"
    assert location["assignedStops"][0]["properties"]["stopId"] == "20090002"
    assert location["coord"] == [51.4343, 6.7621]
    assert {2, 4, 5} <= set(location["productClasses"])
    events = body["stopEvents"]
    assert len(events) == 30
    planned = [utc(e["departureTimePlanned"]) for e in events]
    assert planned == sorted(planned)
    event = events[0]
    assert event["location"]["type"] == "platform"
    assert event["location"]["parent"]["id"] == KHP
    assert event["location"]["properties"]["platformName"] in {"1", "2", "3", "4"}
    assert event["departureTimeBaseTimetable"] == event["departureTimePlanned"]
    transportation = event["transportation"]
    assert re.fullmatch(r"dvg:20\w{3}: :[HR]:j26", transportation["id"])
    assert transportation["operator"]["code"] == "DVG"
    assert transportation["name"].endswith(" " + transportation["number"])
    assert {"destination", "origin", "description", "product"} <= set(transportation)
    assert event["properties"]["AVMSTripID"]


def test_products_and_line_ids_per_line(http: httpx.Client) -> None:
    events = dm(http, HBF, limit=120)["stopEvents"]
    seen = {e["transportation"]["number"]: e["transportation"] for e in events}
    assert (seen["903"]["product"]["class"], seen["903"]["product"]["name"]) == (4, "Straßenbahn")
    assert seen["U79"]["product"]["class"] == 2 and seen["U79"]["name"] == "U-Bahn U79"
    assert seen["U79"]["id"].startswith("dvg:20079: :")
    assert seen["933"]["product"]["class"] == 5
    assert seen["SB30"]["product"]["class"] == 7
    directions = {
        e["transportation"]["id"].split(":")[3]
        for e in events
        if e["transportation"]["number"] == "901"
    }
    assert directions == {"H", "R"}
    u79_destinations = {
        e["transportation"]["destination"]["name"]
        for e in events
        if e["transportation"]["number"] == "U79"
    }
    assert "D-Uni Ost/Botanischer Garten" in u79_destinations


def test_default_time_is_now_with_realtime_near_now(http: httpx.Client) -> None:
    events = dm(http, HBF, limit=40)["stopEvents"]
    for event in events:
        planned = utc(event["departureTimePlanned"])
        expected = utc(event.get("departureTimeEstimated", event["departureTimePlanned"]))
        assert expected >= NOW and planned >= NOW - realtime.MAX_DELAY
        assert planned < NOW + timedelta(hours=2)
        assert event["realtimeStatus"] == ["MONITORED"] and event["isRealtimeControlled"]


def test_realtime_is_deterministic_per_trip_and_day(http: httpx.Client) -> None:
    first = dm(http, HBF, limit=25)["stopEvents"]
    assert dm(http, HBF, limit=25)["stopEvents"] == first
    for event in first:
        delay = utc(event["departureTimeEstimated"]) - utc(event["departureTimePlanned"])
        trip = event["properties"]["AVMSTripID"]
        assert delay.total_seconds() == realtime.delay_seconds(trip, date(2026, 11, 23))
    delays = [utc(e["departureTimeEstimated"]) - utc(e["departureTimePlanned"]) for e in first]
    assert max(delays) > timedelta(0)


def test_no_realtime_when_not_asked_or_far_away(http: httpx.Client) -> None:
    timetable_only = dm(http, HBF, useRealtime=0, limit=10)["stopEvents"]
    assert all("departureTimeEstimated" not in e for e in timetable_only)
    assert all(utc(e["departureTimePlanned"]) >= NOW for e in timetable_only)
    tomorrow = dm(http, HBF, itdDate="20261124", itdTime="0815", limit=10)["stopEvents"]
    assert all(
        "departureTimeEstimated" not in e and not e["isRealtimeControlled"] for e in tomorrow
    )
    assert utc(tomorrow[0]["departureTimePlanned"]) >= NOW + timedelta(days=1)


def test_platform_and_vrr_number_are_accepted(http: httpx.Client) -> None:
    platform = dm(http, f"{KHP}:1:1", limit=10)
    assert platform["locations"][0]["id"] == KHP
    assert {e["location"]["id"] for e in platform["stopEvents"]} == {f"{KHP}:1:1"}
    by_number = dm(http, "20090002", type_dm="stop", limit=5)
    assert by_number["locations"][0]["id"] == KHP and by_number["stopEvents"]


def test_infos_carry_the_u79_replacement_buses(http: httpx.Client) -> None:
    events = dm(http, KHP, limit=40)["stopEvents"]
    u79 = [e for e in events if e["transportation"]["number"] == "U79"]
    assert u79
    info = u79[0]["infos"][0]
    assert info["id"] == "ems-90101" and info["type"] == "lineInfo"
    link = info["infoLinks"][0]
    assert "Busse statt Bahnen" in link["urlText"] and "SEV" in link["content"]
    assert info["properties"]["incidentDateTime"] == "07/09/2026 03:00 - 31/12/2027 23:59"
    assert [line["number"] for line in info["affected"]["lines"]] == ["U79"]
    trams_901 = [e for e in events if e["transportation"]["number"] == "901"]
    assert trams_901 and all("infos" not in e for e in trams_901)  # expired 901 alert


def test_infos_respect_validity_at_the_departure(http: httpx.Client) -> None:
    def infos_of_934(**params: Any) -> set[str]:
        events = dm(http, HBF, limit=200, useRealtime=0, **params)["stopEvents"]
        return {
            i["id"]
            for e in events
            if e["transportation"]["number"] == "934"
            for i in e.get("infos", [])
        }

    assert "ems-90104" not in infos_of_934()  # announced, but valid from 7 December
    assert "ems-90104" in infos_of_934(itdDate="20261208", itdTime="0900")


def test_ambiguous_name_returns_candidates_and_no_events(http: httpx.Client) -> None:
    body = dm(http, "Rathaus")
    assert "stopEvents" not in body
    names = [location["name"] for location in body["locations"]]
    assert len(names) >= 4
    assert {
        "Duisburg, Hamborn Rathaus",
        "Duisburg, Walsum Rathaus",
        "Duisburg, Rumeln Rathaus",
    } <= set(names)
    assert not any(location["isBest"] for location in body["locations"])
    assert all(0 < location["matchQuality"] <= 1000 for location in body["locations"])
    assert body["systemMessages"][0]["type"] == "error"
    # the full name of one candidate resolves it
    chosen = dm(http, "Duisburg, Hamborn Rathaus")
    assert chosen["locations"][0]["disassembledName"] == "Hamborn Rathaus"
    assert chosen["stopEvents"]


def test_unknown_name_returns_no_locations_and_an_error_message(http: httpx.Client) -> None:
    body = dm(http, "Nirgendwo am Rhein")
    assert body["locations"] == [] and "stopEvents" not in body
    [message] = body["systemMessages"]
    assert message["type"] == "error" and message["module"] == "BROKER" and message["code"] == -2000


def test_place_dm_selects_the_locality(http: httpx.Client) -> None:
    body = dm(http, "Hbf", place_dm="Mülheim an der Ruhr", limit=5)
    assert body["locations"][0]["disassembledName"] == "Mülheim (Ruhr) Hbf"
    assert {e["transportation"]["number"] for e in body["stopEvents"]} == {"901"}


# --------------------------------------------------------------------------- service days


def trip_ids(events: list[dict[str, Any]]) -> set[str]:
    return {e["properties"]["AVMSTripID"] for e in events}


def test_sunday_runs_sunday_service(http: httpx.Client) -> None:
    events = dm(http, KHP, itdDate="20261129", itdTime="1000", limit=40)["stopEvents"]
    assert events and all("-SO-" in t for t in trip_ids(events))


def test_public_holiday_runs_sunday_service(http: httpx.Client) -> None:
    events = dm(http, KHP, itdDate="20261225", itdTime="1000", limit=40)["stopEvents"]
    assert events and all("-SO-" in t for t in trip_ids(events))
    weekday = dm(http, KHP, itdDate="20261223", itdTime="1000", limit=40)["stopEvents"]
    assert all("-WD-" in t for t in trip_ids(weekday))


def test_saturday_night_after_midnight_shows_night_lines(http: httpx.Client) -> None:
    body = dm(http, HBF, itdDate="20261129", itdTime="0030", limit=30)  # Sunday 00:30
    night = [e for e in body["stopEvents"] if e["transportation"]["number"].startswith("NE")]
    assert night, [e["transportation"]["number"] for e in body["stopEvents"]]
    first = utc(night[0]["departureTimePlanned"])
    assert first >= datetime(2026, 11, 28, 23, 30, tzinfo=timezone.utc)  # 00:30 local
    assert first < datetime(2026, 11, 29, 1, 0, tzinfo=timezone.utc)
    assert all("-NACHT-" in e["properties"]["AVMSTripID"] for e in night)
    assert night[0]["transportation"]["id"].endswith(":j26")


def test_no_night_lines_in_the_night_to_tuesday(http: httpx.Client) -> None:
    body = dm(http, HBF, itdDate="20261124", itdTime="0030", limit=40)  # Tuesday 00:30
    numbers = {e["transportation"]["number"] for e in body["stopEvents"]}
    assert not any(n.startswith("NE") for n in numbers)
    late_trams = [
        e
        for e in body["stopEvents"]
        if "-WD-" in e["properties"]["AVMSTripID"]
        and utc(e["departureTimePlanned"]) < datetime(2026, 11, 24, 0, 0, tzinfo=timezone.utc)
    ]
    assert late_trams  # Monday's weekday trams still run after midnight (times >= 24:00)


def test_outside_the_feed_validity_there_are_no_departures(http: httpx.Client) -> None:
    body = dm(http, HBF, itdDate="20280601", itdTime="1200")
    assert body["stopEvents"] == [] and body["systemMessages"][0]["code"] == -4030


# --------------------------------------------------------------------------- stop finder


@pytest.mark.parametrize(
    ("query", "stop_id"),
    [
        ("Hauptbahnhof", HBF),
        ("hbf", HBF),
        ("Duisburg Hbf", HBF),
        ("koenig heinrich platz", KHP),
        ("KÖNIG-HEINRICH-PLATZ", KHP),
        ("König-Heinrich-Pl.", KHP),
        ("Konig Heinrich Platz", KHP),
        ("Steinsche Gase", "de:05112:90004"),
        ("musfeldstr", "de:05112:90015"),
        ("Zoo/Uni", ZOO),
        ("Meiderich Sued Bf", "de:05112:90050"),
        ("Duisburg, Rathaus", RATHAUS),
        ("Hamborn Rathaus", "de:05112:90055"),
    ],
)
def test_stop_finder_is_forgiving(http: httpx.Client, query: str, stop_id: str) -> None:
    locations = stopfinder(http, query)
    assert locations[0]["id"] == stop_id
    assert locations[0]["isBest"] is True
    assert locations[0]["type"] == "stop" and locations[0]["parent"]["type"] == "locality"
    assert locations[0]["properties"]["stopId"].startswith("2")


def test_stop_finder_lists_the_town_halls_for_rathaus(http: httpx.Client) -> None:
    locations = stopfinder(http, "Rathaus")
    names = {location["disassembledName"] for location in locations}
    assert {"Rathaus", "Hamborn Rathaus", "Walsum Rathaus", "Rumeln Rathaus"} <= names
    assert not any(location["isBest"] for location in locations)
    qualities = [location["matchQuality"] for location in locations]
    assert qualities == sorted(qualities, reverse=True)


def test_stop_finder_ranks_the_home_city_first(http: httpx.Client) -> None:
    locations = stopfinder(http, "Hbf")
    assert [loc["disassembledName"] for loc in locations[:1]] == ["Duisburg Hbf"]
    assert {"Düsseldorf Hbf", "Mülheim (Ruhr) Hbf"} <= {
        loc["disassembledName"] for loc in locations
    }
    assert stopfinder(http, "xyzzy") == []


def test_stop_finder_by_coordinate_returns_nearest_stops(http: httpx.Client) -> None:
    locations = stopfinder(http, "6.77500:51.43060:WGS84[dd.ddddd]", type_sf="coord")
    assert locations[0]["id"] == HBF
    distances = [location["properties"]["distance"] for location in locations]
    assert distances == sorted(distances) and distances[0] < 300
    assert all(d <= 1500 for d in distances) and len(locations) >= 3
    coord = http.get(
        "/standard/XML_COORD_REQUEST",
        params={**COMMON, "coord": "6.77500:51.43060:WGS84[dd.ddddd]", "type_1": "STOP", "max": 3},
    ).json()["locations"]
    assert [c["id"] for c in coord] == [loc["id"] for loc in locations[:3]]
    far = stopfinder(http, "13.40:52.52:WGS84[dd.ddddd]", type_sf="coord")  # Berlin
    assert far == []


def test_unusable_coordinates_are_reported_like_unknown_stops(http: httpx.Client) -> None:
    response = http.get(
        "/standard/XML_STOPFINDER_REQUEST",
        params={**COMMON, "type_sf": "coord", "name_sf": "not a coordinate"},
    )
    assert response.status_code == 200
    assert response.json()["locations"] == []
    assert response.json()["systemMessages"][0]["type"] == "error"
    body = dm(http, "east:north:WGS84", type_dm="coord")
    assert body["locations"] == [] and body["systemMessages"][0]["code"] == -2000
    near = dm(http, "6.7621:51.4343:WGS84[dd.ddddd]", type_dm="coord", limit=3)
    assert near["locations"][0]["id"] == KHP and near["stopEvents"]


# --------------------------------------------------------------------------- ADDINFO


def test_addinfo_lists_current_alerts_only(http: httpx.Client) -> None:
    infos = addinfo(http, filterPublicationStatus="current")
    ids = {item["id"] for item in infos["current"]}
    assert {"ems-90101", "ems-90102", "ems-90103", "ems-90104"} <= ids
    assert "ems-90090" not in ids  # expired in September
    assert "ems-90120" not in ids  # not published yet (from 15 December)
    assert infos["historic"] == []
    item = next(i for i in infos["current"] if i["id"] == "ems-90101")
    assert item["timestamps"]["validity"][0]["to"] == "2027-12-31T22:59:00Z"
    assert item["infoLinks"][0]["title"] == "Busse statt Bahnen durch Baumaßnahme"
    assert {line["number"] for line in infos["affected"]["lines"]} >= {"U79", "903", "933"}


def test_addinfo_historic_and_filters(http: httpx.Client) -> None:
    historic = addinfo(http, filterPublicationStatus="historic")
    assert [i["id"] for i in historic["historic"]] == ["ems-90090"] and historic["current"] == []
    u79 = addinfo(http, filterPublicationStatus="current", itdLPxx_selLine="U79")
    assert [i["id"] for i in u79["current"]] == ["ems-90101"]
    by_line_id = addinfo(
        http, filterPublicationStatus="current", itdLPxx_selLine="dvg:20079: :H:j26"
    )
    assert [i["id"] for i in by_line_id["current"]] == ["ems-90101"]
    at_stop = addinfo(http, filterPublicationStatus="current", itdLPxx_selStop="de:05112:90008")
    assert "ems-90103" in {i["id"] for i in at_stop["current"]}
    assert "ems-90102" not in {i["id"] for i in at_stop["current"]}
    nothing = addinfo(http, filterPublicationStatus="current", itdLPxx_selLine="924")
    assert nothing["current"] == [] and nothing["affected"] == {"lines": [], "stops": []}


# --------------------------------------------------------------------------- trips


def test_direct_trips_from_hbf_to_zoo_uni(http: httpx.Client) -> None:
    body = trips(http, "Hauptbahnhof", "Zoo/Uni")
    journeys = body["journeys"]
    assert journeys and body["systemMessages"] == []
    for journey in journeys:
        [leg] = journey["legs"]
        assert journey["interchanges"] == 0
        assert leg["transportation"]["number"] == "901"
        assert leg["origin"]["parent"]["id"] == HBF and leg["destination"]["parent"]["id"] == ZOO
        departure = utc(leg["origin"]["departureTimePlanned"])
        arrival = utc(leg["destination"]["arrivalTimePlanned"])
        assert NOW <= departure < arrival < departure + timedelta(minutes=30)
        assert leg["duration"] == (arrival - departure).total_seconds()
        sequence = [
            point["parent"]["id"]
            if "parent" in point and point["type"] == "platform"
            else point["id"]
            for point in leg["stopSequence"]
        ]
        assert sequence[0] == HBF and sequence[-1] == ZOO
    back = trips(http, ZOO, HBF)["journeys"]
    assert back and all(j["legs"][0]["transportation"]["id"].split(":")[3] == "R" for j in back)


def test_direct_trips_list_every_line_serving_both_stops(http: httpx.Client) -> None:
    journeys = trips(http, HBF, "Meiderich Süd Bf", calcNumberOfTrips=3)["journeys"]
    lines = {j["legs"][0]["transportation"]["number"] for j in journeys}
    assert {"903", "U79", "937"} <= lines  # more lines than trips asked: one per line
    assert "901" not in lines


def test_no_direct_line_gives_empty_journeys(http: httpx.Client) -> None:
    body = trips(http, "Kaldenhausen", "Bissingheim")
    assert body["journeys"] == [] and body["systemMessages"][0]["type"] == "error"


def test_trip_with_ambiguous_or_unknown_names(http: httpx.Client) -> None:
    ambiguous = trips(http, "Rathaus", HBF)
    assert ambiguous["journeys"] == [] and len(ambiguous["locations"]) >= 4
    unknown = trips(http, HBF, "Nirgendwo")
    assert unknown["journeys"] == [] and unknown["locations"] == []


# --------------------------------------------------------------------------- bad input


def assert_efa_error(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    [message] = body["systemMessages"]
    assert message["type"] == "error" and message["module"] == "BROKER"
    assert isinstance(message["code"], int) and message["text"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("XML_DM_REQUEST", {"name_dm": HBF, "limit": "0"}),
        ("XML_DM_REQUEST", {"name_dm": HBF, "limit": "1000000000"}),
        ("XML_DM_REQUEST", {"name_dm": HBF, "limit": "zehn"}),
        ("XML_DM_REQUEST", {"name_dm": HBF, "limit": ""}),
        ("XML_DM_REQUEST", {"name_dm": HBF, "limit": ["5", "6"]}),  # given twice
        ("XML_DM_REQUEST", {"name_dm": HBF, "itdDate": "20261341"}),
        ("XML_DM_REQUEST", {"name_dm": HBF, "itdDate": "23.11.2026"}),
        ("XML_DM_REQUEST", {"name_dm": HBF, "itdTime": "2575"}),
        ("XML_DM_REQUEST", {"name_dm": HBF, "outputFormat": "XML"}),
        ("XML_DM_REQUEST", {"name_dm": HBF, "type_dm": "poi'--"}),
        ("XML_DM_REQUEST", {"name_dm": HBF, "useRealtime": "2"}),
        ("XML_DM_REQUEST", {"name_dm": HBF, "itdTripDateTimeDepArr": "arr"}),
        ("XML_DM_REQUEST", {}),
        ("XML_DM_REQUEST", {"name_dm": "x" * 1000}),  # beyond 4096: the server's limit (400)
        ("XML_DM_REQUEST", {"name_dm": "Haupt\x00bahnhof"}),
        ("XML_STOPFINDER_REQUEST", {"name_sf": "Hbf", "anyMaxSizeHitList": "-5"}),
        ("XML_STOPFINDER_REQUEST", {"name_sf": "\x1b[31m"}),
        ("XML_COORD_REQUEST", {"coord": "6.7:95.0:WGS84"}),
        ("XML_ADDINFO_REQUEST", {"filterPublicationStatus": "everything"}),
        ("XML_TRIP_REQUEST2", {"name_origin": HBF}),
        ("XML_TRIP_REQUEST2", {"name_origin": HBF, "name_destination": HBF}),
        (
            "XML_TRIP_REQUEST2",
            {"name_origin": HBF, "name_destination": ZOO, "calcNumberOfTrips": "99"},
        ),
    ],
)
def test_bad_input_is_a_400_in_efa_shape(
    http: httpx.Client, path: str, params: dict[str, Any]
) -> None:
    assert_efa_error(http.get(f"/standard/{path}", params={"outputFormat": "rapidJSON", **params}))


@pytest.mark.parametrize(
    "name",
    [
        "'; DROP TABLE transit_stop; --",
        '" OR 1=1 --',
        "%' UNION SELECT * FROM transit_alert --",
        "<script>alert(1)</script>",
        "Ω≈ç√∫˜µ≤≥÷ 🚋",
    ],
)
def test_injection_attempts_are_just_unknown_names(http: httpx.Client, name: str) -> None:
    body = dm(http, name)
    assert body["locations"] == [] or all(loc["type"] == "stop" for loc in body["locations"])
    assert dm(http, HBF, limit=1)["stopEvents"]  # the tables are still there


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.text(max_size=250),
    limit=st.one_of(st.none(), st.text(max_size=12), st.integers(-10, 10**12).map(str)),
    day=st.one_of(st.none(), st.text(alphabet="0123456789-.", max_size=10)),
    clock=st.one_of(st.none(), st.text(alphabet="0123456789:", max_size=6)),
)
def test_departure_monitor_never_fails_on_arbitrary_input(
    http: httpx.Client, name: str, limit: str | None, day: str | None, clock: str | None
) -> None:
    params = {"outputFormat": "rapidJSON", "name_dm": name}
    for key, value in (("limit", limit), ("itdDate", day), ("itdTime", clock)):
        if value is not None:
            params[key] = value
    response = http.get("/standard/XML_DM_REQUEST", params=params)
    assert response.status_code in (200, 400), response.text
    assert "systemMessages" in response.json()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    path=st.sampled_from(
        ["XML_STOPFINDER_REQUEST", "XML_TRIP_REQUEST2", "XML_ADDINFO_REQUEST", "XML_COORD_REQUEST"]
    ),
    values=st.dictionaries(
        st.sampled_from(
            [
                "name_sf",
                "type_sf",
                "name_origin",
                "name_destination",
                "type_origin",
                "itdLPxx_selLine",
                "itdLPxx_selStop",
                "filterPublicationStatus",
                "coord",
                "radius_1",
            ]
        ),
        st.text(max_size=60),
        max_size=5,
    ),
)
def test_other_requests_never_fail_on_arbitrary_input(
    http: httpx.Client, path: str, values: dict[str, str]
) -> None:
    response = http.get(f"/standard/{path}", params={"outputFormat": "rapidJSON", **values})
    assert response.status_code in (200, 400), response.text
    assert "systemMessages" in response.json()
