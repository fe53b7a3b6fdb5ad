"""The committed Duisburg demo GTFS feed: valid, reproducible and shaped like the real network."""

from __future__ import annotations

import csv
import itertools
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from opendata.transit.demo_feed import DEFAULT_NETWORK, generate
from opendata.transit.service_days import parse_gtfs_time

TRANSIT = Path(__file__).resolve().parents[2] / "opendata" / "data" / "duisburg" / "transit"
GTFS = TRANSIT / "gtfs"


def rows(name: str) -> list[dict[str, str]]:
    with (GTFS / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def stop_times() -> list[dict[str, str]]:
    return rows("stop_times.txt")


@pytest.fixture(scope="module")
def trips() -> dict[str, dict[str, str]]:
    return {t["trip_id"]: t for t in rows("trips.txt")}


def test_feed_is_valid_according_to_gtfs_kit() -> None:
    import gtfs_kit

    feed = gtfs_kit.read_feed(GTFS, dist_units="km")
    problems = feed.validate()
    errors = problems[problems["type"] == "error"]
    assert errors.empty, errors.to_string()


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    counts = generate(DEFAULT_NETWORK, tmp_path)
    assert counts["stop_times.txt"] > 20_000
    for name in counts:
        assert (tmp_path / name).read_bytes() == (GTFS / name).read_bytes(), name


def test_feed_files_stay_small() -> None:
    size = sum(p.stat().st_size for p in GTFS.iterdir())
    assert 1_000_000 < size < 8_000_000


def test_agency_is_dvg() -> None:
    [agency] = rows("agency.txt")
    assert agency["agency_id"] == "dvg-20"
    assert agency["agency_name"] == "Duisburger Verkehrsgesellschaft AG"
    assert agency["agency_timezone"] == "Europe/Berlin"
    assert agency["agency_phone"] == "0203 60 44 555"


def test_lines_of_the_network() -> None:
    routes = {r["route_short_name"]: r for r in rows("routes.txt")}
    assert routes["901"]["route_type"] == routes["903"]["route_type"] == "0"
    assert routes["U79"]["route_type"] == "1"
    buses = [name for name, r in routes.items() if r["route_type"] == "3"]
    assert {"920", "921", "924", "928", "933"} <= set(buses)
    assert len([b for b in buses if not b.startswith("NE")]) >= 8
    assert any(name.startswith("NE") for name in buses)
    assert {r["agency_id"] for r in routes.values()} == {"dvg-20"}


def test_stops_have_real_names_demo_ids_and_stations() -> None:
    stops = rows("stops.txt")
    by_id = {s["stop_id"]: s for s in stops}
    names = {s["stop_name"] for s in stops}
    for name in (
        "Duisburg Hbf",
        "König-Heinrich-Platz",
        "Rathaus",
        "Steinsche Gasse",
        "Duissern",
        "Meiderich Süd Bf",
        "Zoo/Uni",
        "Hamborn Rathaus",
        "Marxloh Pollmann",
        "Platanenhof",
        "Grunewald",
        "Landesarchiv NRW",
        "Lehmbruck-Museum",
        "Friedrich-Wilhelm-Platz",
        "Hochfeld Süd Bf",
        "Obermarxloh Schleife",
        "Im Schlenk",
        "Musfeldstraße",
        "Kesselsberg",
        "Schwanentor",
        "Rheinhausen Markt",
        "Rumeln Rathaus",
        "Walsum Rathaus",
    ):
        assert name in names, name
    station_level = [s for s in stops if s["location_type"] == "1" or not s["parent_station"]]
    assert len(station_level) >= 60
    assert all(re.fullmatch(r"de:\d{5}:9\d{4}(:\d+:\d+)?", s["stop_id"]) for s in stops)
    hbf = next(s for s in stops if s["stop_name"] == "Duisburg Hbf" and s["location_type"] == "1")
    assert (float(hbf["stop_lat"]), float(hbf["stop_lon"])) == (51.431, 6.7728)
    platforms = [s for s in stops if s["parent_station"] == hbf["stop_id"]]
    assert len(platforms) >= 4 and all(p["location_type"] == "" for p in platforms)
    for stop in stops:  # parents exist and are stations
        if stop["parent_station"]:
            assert by_id[stop["parent_station"]]["location_type"] == "1"


def test_stop_times_only_use_boarding_points(stop_times: list[dict[str, str]]) -> None:
    stations = {s["stop_id"] for s in rows("stops.txt") if s["location_type"] == "1"}
    assert not stations & {st["stop_id"] for st in stop_times}


def test_calendars_cover_the_validity_and_holidays() -> None:
    calendar = {c["service_id"]: c for c in rows("calendar.txt")}
    assert set(calendar) == {"WD", "SA", "SO", "NACHT"}
    for row in calendar.values():
        assert (row["start_date"], row["end_date"]) == ("20260901", "20271231")
    assert calendar["NACHT"]["friday"] == calendar["NACHT"]["saturday"] == "1"
    exceptions = {
        (c["service_id"], c["date"]): c["exception_type"] for c in rows("calendar_dates.txt")
    }
    # Christmas Day 2026 is a Friday: Sunday service instead of weekday service ...
    assert exceptions[("WD", "20261225")] == "2" and exceptions[("SO", "20261225")] == "1"
    # ... and night service in the night before it (Thursday).
    assert exceptions[("NACHT", "20261224")] == "1"
    # Whit Monday 2027 and German Unity Day 2026 (a Saturday)
    assert exceptions[("SO", "20270517")] == "1"
    assert exceptions[("SA", "20261003")] == "2"


def test_night_lines_run_after_midnight(
    stop_times: list[dict[str, str]], trips: dict[str, dict[str, str]]
) -> None:
    night = [st for st in stop_times if st["trip_id"].startswith("NE")]
    assert night and {trips[st["trip_id"]]["service_id"] for st in night} == {"NACHT"}
    assert max(parse_gtfs_time(st["departure_time"]) for st in night) > 26 * 3600
    evening_trams = {
        st["trip_id"]
        for st in stop_times
        if st["trip_id"].startswith(("901-WD", "903-WD"))
        and parse_gtfs_time(st["departure_time"]) >= 24 * 3600
    }
    assert evening_trams


def test_both_directions_and_realistic_headways(
    stop_times: list[dict[str, str]], trips: dict[str, dict[str, str]]
) -> None:
    directions = defaultdict(set)
    for trip in trips.values():
        directions[trip["route_id"]].add(trip["direction_id"])
    assert all(d == {"0", "1"} for d in directions.values())
    khp_platform_1 = "de:05112:90002:1:1"
    times = sorted(
        parse_gtfs_time(st["departure_time"])
        for st in stop_times
        if st["stop_id"] == khp_platform_1 and st["trip_id"].startswith("901-WD-0")
    )
    daytime = [b - a for a, b in itertools.pairwise(times) if 8 * 3600 <= a < 18 * 3600]
    assert Counter(daytime).most_common(1)[0][0] == 600  # every 10 minutes
    evening = [b - a for a, b in itertools.pairwise(times) if 21 * 3600 <= a < 23 * 3600]
    assert set(evening) == {900}  # every 15 minutes


def test_run_times_are_plausible(stop_times: list[dict[str, str]]) -> None:
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for st in stop_times:
        t = parse_gtfs_time(st["departure_time"])
        first.setdefault(st["trip_id"], t)
        last[st["trip_id"]] = t
    durations = {trip.split("-")[0]: (last[trip] - first[trip]) // 60 for trip in first}
    assert 55 <= durations["901"] <= 85  # real: 64 min Obermarxloh - Mülheim Hbf
    assert 60 <= durations["U79"] <= 95
    assert all(d >= 5 for d in durations.values())


def test_feed_info_dates() -> None:
    [info] = rows("feed_info.txt")
    assert info["feed_start_date"] == "20260901" and info["feed_end_date"] == "20271231"
    assert info["feed_lang"] == "de" and info["feed_version"]
