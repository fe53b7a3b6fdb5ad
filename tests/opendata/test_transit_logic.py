"""Pure transit logic: service days, calendars, realtime, stop search, alerts, line ids, params."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opendata.transit import realtime
from opendata.transit.alerts import Alert
from opendata.transit.demo_feed import gtfs_time
from opendata.transit.params import EfaParamError, Params, parse_coord
from opendata.transit.products import Operator, default_product, line_code, line_id, line_key
from opendata.transit.service_days import (
    ServiceCalendar,
    active_services,
    instant,
    parse_gtfs_date,
    parse_gtfs_time,
    service_day_anchor,
    service_windows,
    timetable_year,
)
from opendata.transit.stopfinder import Candidate, StopIndex, fold

BERLIN = ZoneInfo("Europe/Berlin")
GTFS = Path(__file__).resolve().parents[2] / "opendata" / "data" / "duisburg" / "transit" / "gtfs"


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


# --------------------------------------------------------------------------- GTFS times


def test_gtfs_times_parse_past_midnight_and_one_digit_hours() -> None:
    assert parse_gtfs_time("25:10:00") == 90_600
    assert parse_gtfs_time(" 5:07:09") == 5 * 3600 + 7 * 60 + 9
    assert parse_gtfs_date("20261123") == date(2026, 11, 23)
    for bad in ("", "12:00", "12:60:00", "aa:00:00", "-1:00:00"):
        with pytest.raises(ValueError):
            parse_gtfs_time(bad)


@given(st.integers(min_value=0, max_value=48 * 3600))
def test_gtfs_time_round_trip(seconds: int) -> None:
    assert parse_gtfs_time(gtfs_time(seconds)) == seconds


def test_service_day_anchor_is_noon_minus_twelve_hours() -> None:
    normal = date(2026, 11, 23)
    assert service_day_anchor(normal, BERLIN) == local(2026, 11, 23, 0, 0).astimezone(timezone.utc)
    # Spring forward (2027-03-28): noon is 10:00Z, so the anchor is 22:00Z the day before,
    # one hour before local midnight (23:00Z). 25:00 then means 01:00 CEST on March 29th.
    spring = date(2027, 3, 28)
    assert service_day_anchor(spring, BERLIN) == datetime(2027, 3, 27, 22, tzinfo=timezone.utc)
    assert instant(spring, 25 * 3600, BERLIN) == datetime(2027, 3, 28, 23, tzinfo=timezone.utc)


def test_service_windows_after_midnight_include_the_previous_day() -> None:
    start = local(2026, 11, 29, 0, 30)  # Sunday 00:30: Saturday's night trips are running
    windows = service_windows(start, start + timedelta(hours=2), 30 * 3600, BERLIN)
    by_day = {w.day: w for w in windows}
    assert by_day[date(2026, 11, 28)].lo == 24 * 3600 + 30 * 60
    assert by_day[date(2026, 11, 29)].lo == 30 * 60
    assert date(2026, 11, 27) not in by_day  # Friday's trips cannot reach Sunday 00:30


def test_service_windows_skip_the_previous_day_when_its_trips_are_over() -> None:
    start = local(2026, 11, 23, 8, 15)
    windows = service_windows(start, start + timedelta(hours=2), 29 * 3600, BERLIN)
    assert [w.day for w in windows] == [date(2026, 11, 23)]
    assert service_windows(start, start, 29 * 3600, BERLIN) == []


# --------------------------------------------------------------------------- calendars


def _feed_calendar() -> tuple[list[ServiceCalendar], dict[date, dict[int, int]], dict[str, int]]:
    ids: dict[str, int] = {}
    services = []
    with (GTFS / "calendar.txt").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            ids[row["service_id"]] = len(ids) + 1
            days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
            services.append(
                ServiceCalendar(
                    ids[row["service_id"]],
                    "".join(row[d] for d in days),
                    parse_gtfs_date(row["start_date"]),
                    parse_gtfs_date(row["end_date"]),
                )
            )
    exceptions: dict[date, dict[int, int]] = {}
    with (GTFS / "calendar_dates.txt").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            day = parse_gtfs_date(row["date"])
            exceptions.setdefault(day, {})[ids[row["service_id"]]] = int(row["exception_type"])
    return services, exceptions, ids


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 23), {"WD"}),  # Monday (the pinned test day)
        (date(2026, 11, 27), {"WD", "NACHT"}),  # Friday: night lines in the night to Saturday
        (date(2026, 11, 28), {"SA", "NACHT"}),  # Saturday
        (date(2026, 11, 29), {"SO"}),  # Sunday
        (date(2026, 12, 24), {"WD", "NACHT"}),  # Thursday before Christmas: night service
        (date(2026, 12, 25), {"SO", "NACHT"}),  # Christmas Day (Friday): Sunday service
        (date(2026, 10, 3), {"SO", "NACHT"}),  # German Unity Day, a Saturday
        (date(2027, 5, 6), {"SO"}),  # Ascension Day (Thursday)
        (date(2027, 5, 5), {"WD", "NACHT"}),  # the night before it
        (date(2026, 8, 31), set()),  # before the feed's validity
        (date(2028, 1, 3), set()),  # after it
    ],
)
def test_active_services_of_the_demo_feed(day: date, expected: set[str]) -> None:
    services, exceptions, ids = _feed_calendar()
    names = {key: name for name, key in ids.items()}
    active = active_services(services, exceptions.get(day, {}), day)
    assert {names[s] for s in active} == expected


def test_calendar_dates_add_services_without_calendar() -> None:
    only_dates = ServiceCalendar(7, None, None, None)
    assert active_services([only_dates], {7: 1}, date(2026, 1, 1)) == {7}
    assert active_services([only_dates], {}, date(2026, 1, 1)) == frozenset()


def test_timetable_year_changes_mid_december() -> None:
    assert timetable_year(date(2026, 12, 13)) == 2026
    assert timetable_year(date(2026, 12, 14)) == 2027
    assert timetable_year(date(2027, 1, 5)) == 2027


# --------------------------------------------------------------------------- realtime


def test_delays_are_deterministic_per_trip_and_day() -> None:
    day = date(2026, 11, 23)
    assert realtime.delay_seconds("903-WD-0-0741", day) == realtime.delay_seconds(
        "903-WD-0-0741", day
    )
    per_day = {realtime.delay_seconds("903-WD-0-0741", day + timedelta(d)) for d in range(30)}
    assert len(per_day) > 5  # another day, another delay


def test_delay_distribution_is_mostly_small() -> None:
    delays = [realtime.delay_seconds(f"trip-{i}", date(2026, 11, 23)) for i in range(3000)]
    assert all(0 <= d <= 900 for d in delays)
    small = sum(1 for d in delays if d <= 180) / len(delays)
    assert 0.75 <= small <= 0.92
    assert sum(1 for d in delays if d > 420) > 30  # some are clearly late
    assert Counter(d == 0 for d in delays)[True] > 600  # many are on time


def test_only_departures_near_now_are_monitored() -> None:
    now = datetime(2026, 11, 23, 7, 15, tzinfo=timezone.utc)
    assert realtime.is_monitored(now + timedelta(minutes=30), now)
    assert realtime.is_monitored(now - timedelta(minutes=30), now)
    assert not realtime.is_monitored(now + timedelta(hours=5), now)
    assert not realtime.is_monitored(now - timedelta(hours=2), now)


# --------------------------------------------------------------------------- stop search


@pytest.fixture(scope="module")
def index() -> StopIndex:
    names = {
        1: ("Duisburg Hbf", "Duisburg"),
        2: ("König-Heinrich-Platz", "Duisburg"),
        3: ("Rathaus", "Duisburg"),
        4: ("Hamborn Rathaus", "Duisburg"),
        5: ("Walsum Rathaus", "Duisburg"),
        6: ("Rumeln Rathaus", "Duisburg"),
        7: ("Meiderich Süd Bf", "Duisburg"),
        8: ("Obermeiderich", "Duisburg"),
        9: ("Mülheim (Ruhr) Hbf", "Mülheim an der Ruhr"),
        10: ("Düsseldorf Hbf", "Düsseldorf"),
        11: ("Musfeldstraße", "Duisburg"),
        12: ("Friedrich-Wilhelm-Platz", "Duisburg"),
        13: ("Zoo/Uni", "Duisburg"),
        14: ("St.-Anna-Krankenhaus", "Duisburg"),
    }
    return StopIndex(
        Candidate(key, name, locality, locality == "Duisburg")
        for key, (name, locality) in names.items()
    )


def test_folding_handles_umlauts_abbreviations_and_punctuation() -> None:
    assert fold("König-Heinrich-Pl.") == ["koenig", "heinrich", "platz"]
    assert fold("KOENIG heinrich platz") == ["koenig", "heinrich", "platz"]
    assert fold("Duisburg Hbf") == fold("duisburg hauptbahnhof")
    assert fold("Musfeldstr.") == fold("Musfeldstraße")
    assert fold("Zoo/Uni") == ["zoo", "uni"]


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("hbf", 1),
        ("Hauptbahnhof", 1),
        ("Duisburg Hbf", 1),
        ("koenig heinrich platz", 2),
        ("König Heinrich Pl", 2),
        ("Konig-Heinrich-Platz", 2),  # missing e: typo
        ("KHP", 2),  # initials
        ("Hamborn Rathaus", 4),
        ("Duisburg, Rathaus", 3),  # the full EFA name is unique
        ("Rathaus, Duisburg", 3),
        ("Meiderich", 7),  # Obermeiderich only looks alike
        ("Musfeldstr", 11),
        ("Mülheim Hbf", 9),
        ("Sankt Anna Krankenhaus", 14),
        ("zoo", 13),
    ],
)
def test_forgiving_search_finds_a_single_best_stop(index: StopIndex, query: str, key: int) -> None:
    matches = index.search(query)
    assert matches[0].candidate.key == key
    assert matches[0].is_best
    assert [m.is_best for m in matches].count(True) == 1


@pytest.mark.parametrize("query", ["Rathaus", "rathaus", "Platz"])
def test_generic_names_are_ambiguous(index: StopIndex, query: str) -> None:
    matches = index.search(query)
    assert len(matches) >= 2
    assert not any(m.is_best for m in matches)


def test_rathaus_lists_the_district_town_halls(index: StopIndex) -> None:
    matches = index.search("Rathaus")
    names = [m.candidate.name for m in matches]
    assert names[0] == "Rathaus"  # the exact name ranks first, but is not "best"
    assert {"Hamborn Rathaus", "Walsum Rathaus", "Rumeln Rathaus"} <= set(names)
    # close qualities: a client deciding by quality difference (< 50) asks as well
    assert matches[0].quality - matches[1].quality < 50


def test_place_restricts_the_locality(index: StopIndex) -> None:
    assert index.search("Hbf", place="Düsseldorf")[0].candidate.key == 10
    assert index.search("Hbf")[0].candidate.key == 1


def test_nonsense_finds_nothing(index: StopIndex) -> None:
    assert index.search("xyzzy qwertz") == []
    assert index.search("   ") == []
    assert index.search("!!!") == []


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80))
def test_search_never_fails_and_marks_at_most_one_best(index: StopIndex, text: str) -> None:
    matches = index.search(text)
    assert sum(m.is_best for m in matches) <= 1
    assert all(0 < m.quality <= 1000 for m in matches)
    qualities = [m.quality for m in matches]
    assert qualities == sorted(qualities, reverse=True)


# --------------------------------------------------------------------------- alerts


def _alert(**changes: object) -> Alert:
    base = {
        "id": "a",
        "version": 1,
        "info_type": "lineInfo",
        "priority": "normal",
        "cause": "CONSTRUCTION",
        "effect": "DETOUR",
        "title": "t",
        "summary": "s",
        "content": "c",
        "additional_text": None,
        "url": None,
        "lines": ("903",),
        "stops": ("de:05112:90055",),
        "valid_from": datetime(2026, 11, 9),
        "valid_to": datetime(2026, 12, 11),
        "published_from": datetime(2026, 11, 2),
        "created_at": datetime(2026, 11, 1),
        "modified_at": datetime(2026, 11, 1),
    }
    base.update(changes)
    return Alert(**base)  # type: ignore[arg-type]


def test_alert_publication_and_validity() -> None:
    alert = _alert()
    assert alert.is_current(datetime(2026, 11, 5))  # announced, not yet valid
    assert not alert.is_valid_at(datetime(2026, 11, 5))
    assert alert.is_valid_at(datetime(2026, 11, 23))
    assert not alert.is_current(datetime(2026, 11, 1))  # not yet published
    assert alert.is_historic(datetime(2026, 12, 12)) and not alert.is_current(
        datetime(2026, 12, 12)
    )


def test_alert_scope() -> None:
    line_info = _alert()
    assert line_info.applies_to("903", {"de:05112:90001"})
    assert not line_info.applies_to("901", {"de:05112:90055"})
    stop_info = _alert(info_type="stopInfo")
    assert stop_info.applies_to("903", {"de:05112:90055"})
    assert not stop_info.applies_to("903", {"de:05112:90001"})
    assert not stop_info.applies_to("901", {"de:05112:90055"})  # only for its lines
    assert _alert(info_type="stopInfo", lines=()).applies_to("901", {"de:05112:90055"})
    assert _alert(info_type="generalInfo").applies_to(None, set())


# --------------------------------------------------------------------------- lines, products


def test_efa_line_ids_follow_vrr() -> None:
    dvg = Operator("DVG", "20", "Duisburger Verkehrsgesellschaft AG")
    day = date(2026, 11, 23)
    assert line_id(dvg, "903", 0, 0, day) == "dvg:20903: :H:j26"
    assert line_id(dvg, "U79", 1, 1, day) == "dvg:20079: :R:j26"  # as in the real VRR answer
    assert line_id(dvg, "901", 0, 0, date(2026, 12, 20)) == "dvg:20901: :H:j27"
    assert line_code("NE1", 3) == "N01" and line_code("SB30", 3) == "S30"
    assert line_key("dvg:20079: :H:j26") == "dvg:20079"


def test_default_products_by_route_type() -> None:
    assert (default_product(0).product_class, default_product(0).name) == (4, "Straßenbahn")
    assert default_product(1).product_class == 2
    assert default_product(3).product_class == 5
    assert default_product(702).product_class == 7
    assert default_product(109).product_class == 1
    assert default_product(900).product_class == 4


# --------------------------------------------------------------------------- parameters


NOW = datetime(2026, 11, 23, 7, 15, tzinfo=timezone.utc)


def test_requested_moment_defaults_to_now_and_reads_local_time() -> None:
    assert Params({}).moment(BERLIN, NOW) == NOW
    moment = Params({"itdDate": "20261129", "itdTime": "0030"}).moment(BERLIN, NOW)
    assert moment == datetime(2026, 11, 28, 23, 30, tzinfo=timezone.utc)
    assert Params({"itdTime": "17:05"}).moment(BERLIN, NOW) == datetime(
        2026, 11, 23, 16, 5, tzinfo=timezone.utc
    )


@pytest.mark.parametrize(
    "params",
    [
        {"itdDate": "20261341"},
        {"itdDate": "2026-11-23"},
        {"itdDate": "18991231"},
        {"itdTime": "2460"},
        {"itdTime": "7"},
        {"limit": "0"},
        {"limit": "10000000000000"},
        {"limit": "1e3"},
        {"outputFormat": "XML"},
        {"useRealtime": "maybe"},
    ],
)
def test_invalid_parameters_raise_efa_errors(params: dict[str, str]) -> None:
    with pytest.raises(EfaParamError) as error:
        p = Params(params)
        p.moment(BERLIN, NOW)
        p.integer("limit", 40, 1, 500)
        p.check_output_format()
        p.flag("useRealtime", True)
    assert error.value.response().status_code == 400


def test_coordinates_are_lon_lat() -> None:
    assert parse_coord("6.77500:51.43060:WGS84[dd.ddddd]", "c") == (51.4306, 6.775)
    assert parse_coord("6.775:51.4306:WGS84", "c") == (51.4306, 6.775)
    for bad in ("51.4:6.7:WGS84:x", "200:10:WGS84", "abc", "6.7;51.4"):
        with pytest.raises(EfaParamError):
            parse_coord(bad, "c")
