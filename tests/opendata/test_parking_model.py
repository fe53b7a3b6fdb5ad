"""Pure-function tests of the parking domain: opening hours, holidays, occupancy model, data
package loader and query validation. No server needed, so many times can be checked quickly."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendata.parking import opening_hours
from opendata.parking.day_types import DayType, HolidayCalendar, day_type
from opendata.parking.errors import ParkApiError
from opendata.parking.loader import DataPackageError, load_sites, load_source
from opendata.parking.occupancy import (
    BUCKET_SECONDS,
    PROFILES,
    SiteModel,
    demand_curve,
    is_stale,
    parse_profile,
    reading,
)
from opendata.parking.query import parse_site_query

TZ = ZoneInfo("Europe/Berlin")
NRW = HolidayCalendar("DE", "NW")
BERLIN_STATE = HolidayCalendar("DE", "BE")
PACKAGE = Path(__file__).resolve().parents[2] / "opendata" / "data" / "duisburg" / "parking"


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def no_holidays(_day: date) -> bool:
    return False


def site(uid: str = "test-site", **changes: object) -> SiteModel:
    values: dict = {
        "uid": uid,
        "capacity": 500,
        "profile": parse_profile("city_shopping"),
        "peak": 0.95,
        "hours": None,
        "capacity_disabled": 10,
    }
    values.update(changes)
    return SiteModel(**values)


def share_taken(model: SiteModel, when: datetime, calendar: HolidayCalendar = NRW) -> float:
    result = reading(model, when, calendar, TZ)
    assert result is not None
    return 1 - result.free / result.capacity


# --- opening hours -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "moment", "expected"),
    [
        ("24/7", "2026-11-23T03:00", True),
        ("Mo-Sa 07:00-21:00; Su,PH off", "2026-11-23T06:59", False),
        ("Mo-Sa 07:00-21:00; Su,PH off", "2026-11-23T07:00", True),
        ("Mo-Sa 07:00-21:00; Su,PH off", "2026-11-23T20:59", True),
        ("Mo-Sa 07:00-21:00; Su,PH off", "2026-11-23T21:00", False),
        ("Mo-Sa 07:00-21:00; Su,PH off", "2026-11-22T12:00", False),  # Sunday
        ("Mo-Sa 07:00-21:00; Su,PH off", "2026-12-25T12:00", False),  # Christmas, a Friday
        ("Mo-Fr 06:00-24:00; Sa 07:00-24:00; Su,PH off", "2026-11-23T23:59", True),
        ("Mo-Fr 06:00-24:00; Sa 07:00-24:00; Su,PH off", "2026-11-28T06:30", False),
        ("Fr,Sa 18:00-02:00", "2026-11-28T01:30", True),  # Friday's span runs into Saturday
        ("Fr,Sa 18:00-02:00", "2026-11-30T01:30", False),  # Sunday's 01:30 is Saturday's spill
        ("Fr,Sa 18:00-02:00", "2026-11-29T01:30", True),
        ("08:00-12:00,14:00-18:00", "2026-11-22T13:00", False),
        ("08:00-12:00,14:00-18:00", "2026-11-22T15:00", True),
        ("Mo-Fr", "2026-11-23T03:00", True),
        ("Sa-Mo 10:00-12:00", "2026-11-23T11:00", True),  # wrapping day range includes Monday
        ("Sa-Mo 10:00-12:00", "2026-11-24T11:00", False),
    ],
)
def test_opening_hours_evaluation(text: str, moment: str, expected: bool) -> None:
    hours = opening_hours.parse(text)
    assert hours.is_open(datetime.fromisoformat(moment), NRW) is expected


def test_later_rule_overrides_earlier_one_for_its_days() -> None:
    easter_monday = datetime(2026, 4, 6, 12, 0)
    assert not opening_hours.parse("Mo-Fr 08:00-18:00; PH off").is_open(easter_monday, NRW)
    # OSM semantics: the weekday rule placed after "PH off" reopens holidays that are weekdays.
    assert opening_hours.parse("PH off; Mo-Fr 08:00-18:00").is_open(easter_monday, NRW)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "Mo-Fr 25:00-26:00", "Mo-Fr 08:00-18:60", "Xy 08:00-12:00", "Jan-Mar 08:00-12:00",
     "Mo-Fr 8-12", "Mo-Fr 08:00-18:00;", "sunrise-sunset", "Mo-Fr 08:00-24:30",
     "Mo-Fr 08:00-12:00 \"nur Kunden\"", "x" * 600],
)
def test_unsupported_opening_hours_are_rejected(text: str) -> None:
    with pytest.raises(opening_hours.OpeningHoursError):
        opening_hours.parse(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_opening_hours_parser_never_crashes(text: str) -> None:
    try:
        hours = opening_hours.parse(text)
    except opening_hours.OpeningHoursError:
        return
    assert isinstance(hours.is_open(datetime(2026, 11, 23, 12, 0), NRW), bool)


def test_minutes_to_change_measures_distance_to_opening_and_closing() -> None:
    hours = opening_hours.parse("Mo-Sa 07:00-21:00")
    since, until = hours.minutes_to_change(datetime(2026, 11, 23, 20, 30), NRW, horizon=60)
    assert since == 60 and until == 30
    since, until = hours.minutes_to_change(datetime(2026, 11, 23, 7, 10), NRW, horizon=60)
    assert since == 10 and until == 60


# --- day types and holidays ------------------------------------------------------------------


def test_nrw_holidays_count_as_sundays() -> None:
    assert day_type(date(2026, 11, 23), NRW) is DayType.WEEKDAY
    assert day_type(date(2026, 11, 28), NRW) is DayType.SATURDAY
    assert day_type(date(2026, 11, 29), NRW) is DayType.SUNDAY
    assert day_type(date(2026, 12, 25), NRW) is DayType.SUNDAY  # Christmas (Friday)
    assert day_type(date(2026, 4, 6), NRW) is DayType.SUNDAY  # Easter Monday
    # Corpus Christi is a holiday in NRW but not in Berlin: the subdivision matters.
    assert day_type(date(2026, 6, 4), NRW) is DayType.SUNDAY
    assert day_type(date(2026, 6, 4), BERLIN_STATE) is DayType.WEEKDAY


def test_unknown_holiday_calendar_is_rejected() -> None:
    with pytest.raises(ValueError):
        HolidayCalendar("DE", "XX").validate()


# --- occupancy model -------------------------------------------------------------------------


def test_profiles_have_24_hourly_values_in_range() -> None:
    for name, days in PROFILES.items():
        assert set(days) == set(DayType), name
        for values in days.values():
            assert len(values) == 24
            assert all(0.0 <= v <= 1.0 for v in values)


def test_shopping_peak_is_much_busier_than_night() -> None:
    garage = site()
    saturday_noon = share_taken(garage, local("2026-11-28T13:30"))
    tuesday_night = share_taken(garage, local("2026-11-24T03:30"))
    assert saturday_noon > 0.75
    assert tuesday_night < 0.12
    assert saturday_noon > tuesday_night + 0.6


def test_weekday_vs_sunday_depends_on_profile() -> None:
    monday, sunday = local("2026-11-23T15:00"), local("2026-11-22T15:00")
    shopping = site("shop")
    assert share_taken(shopping, monday) > share_taken(shopping, sunday) + 0.3
    park_and_ride = site("pr", profile=parse_profile("park_and_ride"))
    assert share_taken(park_and_ride, local("2026-11-23T10:00")) > 0.8
    assert share_taken(park_and_ride, local("2026-11-22T10:00")) < 0.3
    cinema = site("kino", profile=parse_profile("cinema_event"))
    assert share_taken(cinema, local("2026-11-28T20:00")) > share_taken(
        cinema, local("2026-11-28T10:00")) + 0.5


def test_public_holiday_behaves_like_sunday() -> None:
    shopping = site()
    christmas = share_taken(shopping, local("2026-12-25T15:00"))  # Friday, holiday
    ordinary_friday = share_taken(shopping, local("2026-12-18T15:00"))
    assert christmas < 0.35 < ordinary_friday
    # Corpus Christi: quiet in NRW, an ordinary Thursday in Berlin.
    thursday = local("2026-06-04T15:00")
    assert share_taken(shopping, thursday, NRW) + 0.3 < share_taken(shopping, thursday,
                                                                    BERLIN_STATE)


def test_closed_outside_opening_hours() -> None:
    galerie = site(hours=opening_hours.parse("Mo-Sa 07:00-21:00; Su,PH off"))
    for moment in ("2026-11-23T21:30", "2026-11-24T06:00", "2026-11-22T12:00",
                   "2026-04-06T12:00", "2026-06-04T12:00"):
        result = reading(galerie, local(moment), NRW, TZ)
        assert result is not None
        assert result.opening_status == "CLOSED", moment
        assert result.free == 0 and result.free_disabled == 0
    opened = reading(galerie, local("2026-11-23T12:00"), NRW, TZ)
    assert opened is not None and opened.opening_status == "OPEN" and opened.free > 0


def test_occupancy_fades_out_before_closing() -> None:
    hours = opening_hours.parse("Mo-Sa 07:00-21:00")
    galerie = site(hours=hours, profile=parse_profile("cinema_event"))
    always_open = site(profile=parse_profile("cinema_event"))
    when = local("2026-11-23T20:50")
    assert share_taken(galerie, when) < share_taken(always_open, when) * 0.6


hours_texts = st.sampled_from(
    [None, "24/7", "Mo-Sa 07:00-21:00; Su,PH off", "Mo-Fr 06:00-22:00; Sa 08:00-20:00",
     "Fr,Sa 18:00-03:00"]
)
profile_mixes = st.dictionaries(
    st.sampled_from(sorted(PROFILES)), st.floats(0.01, 10), min_size=1, max_size=3
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    moment=st.datetimes(datetime(1990, 1, 1), datetime(2090, 1, 1), timezones=st.just(timezone.utc)),
    capacity=st.integers(0, 5000),
    disabled_share=st.floats(0, 1),
    peak=st.floats(0.01, 1.2),
    mix=profile_mixes,
    hours=hours_texts,
    uid=st.text(min_size=1, max_size=20),
)
def test_free_capacity_stays_within_bounds(
    moment: datetime, capacity: int, disabled_share: float, peak: float, mix: dict,
    hours: str | None, uid: str,
) -> None:
    disabled = int(capacity * disabled_share)
    model = site(uid, capacity=capacity, capacity_disabled=disabled, peak=peak,
                 profile=parse_profile(mix), hours=opening_hours.parse(hours) if hours else None)
    result = reading(model, moment, NRW, TZ)
    assert result is not None
    assert 0 <= result.free <= capacity
    assert result.free_disabled is not None and 0 <= result.free_disabled <= min(disabled,
                                                                                 result.free)
    assert result.measured_at <= moment
    assert moment - result.measured_at < timedelta(seconds=BUCKET_SECONDS + 240)


def test_readings_are_deterministic_per_five_minute_bucket() -> None:
    garage = site()
    first = reading(garage, local("2026-11-23T10:00:05"), NRW, TZ)
    assert first == reading(garage, local("2026-11-23T10:00:05"), NRW, TZ)
    assert first == reading(garage, local("2026-11-23T10:04:59"), NRW, TZ)  # same bucket
    values = {reading(garage, local("2026-11-23T10:00") + timedelta(minutes=5 * k), NRW, TZ)
              for k in range(12)}
    assert len(values) == 12  # each bucket is a new message
    other = reading(site("another-site"), local("2026-11-23T10:00:05"), NRW, TZ)
    assert other is not None and first is not None
    assert other.measured_at != first.measured_at  # per-site lag


def test_demand_is_smooth_minute_by_minute_over_a_week() -> None:
    mix = parse_profile({"station": 0.6, "cinema_event": 0.4})
    moment = local("2026-11-21T00:00")  # Saturday, through Sunday into the week
    previous = demand_curve(mix, moment, NRW)
    for _ in range(7 * 24 * 60):
        moment += timedelta(minutes=1)
        value = demand_curve(mix, moment, NRW)
        assert abs(value - previous) < 0.01, moment
        previous = value


def test_no_sensor_means_no_reading() -> None:
    assert reading(site(has_sensor=False), local("2026-11-23T10:00"), NRW, TZ) is None


def test_frozen_feed_keeps_its_last_message_and_turns_stale_after_30_minutes() -> None:
    frozen_at = local("2026-11-23T07:00").astimezone(timezone.utc)
    broken = site(frozen_at=frozen_at)
    before = reading(broken, local("2026-11-23T06:30"), NRW, TZ)
    assert before is not None and before.measured_at < frozen_at  # still live then
    after = reading(broken, local("2026-11-23T07:29"), NRW, TZ)
    later = reading(broken, local("2026-11-23T11:00"), NRW, TZ)
    assert after is not None and later is not None
    assert after.measured_at == later.measured_at == frozen_at
    assert not is_stale(after.measured_at, local("2026-11-23T07:29"))
    assert is_stale(later.measured_at, local("2026-11-23T11:00"))


def test_staleness_threshold_is_30_minutes() -> None:
    measured = datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)
    assert not is_stale(measured, measured + timedelta(minutes=29, seconds=59))
    assert not is_stale(measured, measured + timedelta(minutes=30))
    assert is_stale(measured, measured + timedelta(minutes=30, seconds=1))


def test_profile_specs_are_validated() -> None:
    assert parse_profile({"station": 3, "office": 1}) == (("office", 0.25), ("station", 0.75))
    for bad in ("nope", {}, {"station": 0}, {"station": -1}, {"station": float("nan")}):
        with pytest.raises(ValueError):
            parse_profile(bad)  # type: ignore[arg-type]


# --- the data package ------------------------------------------------------------------------


def test_duisburg_package_loads_with_required_sites() -> None:
    source = load_source(PACKAGE)
    sites = load_sites(PACKAGE, source)
    assert len(sites) >= 14
    by_name = {s.name: s for s in sites}
    p2 = next(s for s in sites if "UCI" in s.name)
    p3 = next(s for s in sites if "Duisburger Freiheit" in s.name)
    p5 = next(s for s in sites if "Wuhanstraße (P5)" in s.name)
    assert (p2.capacity, p2.capacity_disabled, p2.lat, p2.lon) == (398, 8, 51.43043, 6.778361)
    assert (p3.capacity, p3.capacity_disabled, p3.lat, p3.lon) == (604, 6, 51.428502, 6.774287)
    assert (p5.capacity, p5.lat, p5.lon) == (15, 51.427854, 6.774065)
    assert all("Contipark" in (s.operator_name or "") for s in (p2, p3, p5))
    for name in ("Parkhaus Forum", "Tiefgarage König-Heinrich-Platz", "Parkhaus Königstraße",
                 "Parkhaus Königsgalerie", "Parkhaus CityPalais", "City-Parkhaus Unterstraße",
                 "Galeria-Parkhaus Heuserstraße", "Parkhaus Theater am Marientor"):
        assert name in by_name
    assert {s.zone for s in sites} >= {"City", "Innenhafen", "Randbereich"}
    assert sum(1 for s in sites if s.zone == "Innenhafen") >= 2
    assert sum(1 for s in sites if s.realtime_frozen_at is not None) == 1
    closes_at_night = [
        s for s in sites if s.opening_hours and not opening_hours.parse(s.opening_hours).is_open(
            datetime(2026, 11, 24, 23, 30), source.holidays)
    ]
    assert closes_at_night
    assert {s.type for s in sites} >= {"CAR_PARK", "UNDERGROUND", "OFF_STREET_PARKING_GROUND"}


def test_malformed_package_is_reported_with_row(tmp_path: Path) -> None:
    (tmp_path / "source.yaml").write_text((PACKAGE / "source.yaml").read_text(encoding="utf-8"),
                                          encoding="utf-8")
    source = load_source(tmp_path)
    cases = {
        "- {uid: a, name: A, type: CAR_PARK, lat: 51, lon: 6, capacity: 10, profile: station,"
        " peak: 0.9, opening_hours: 'Mo-Fr 8-12'}": "opening_hours",
        "- {uid: a, name: A, type: BOAT, lat: 51, lon: 6, capacity: 10, profile: station,"
        " peak: 0.9}": "BOAT",
        "- {uid: a, name: A, type: CAR_PARK, lat: 95, lon: 6, capacity: 10, profile: station,"
        " peak: 0.9}": "lat/lon",
        "- {uid: a, name: A, type: CAR_PARK, lat: 51, lon: 6, capacity: 10, profile: mall,"
        " peak: 0.9}": "profile",
        "- {uid: a, name: A, type: CAR_PARK, lat: 51, lon: 6, capacity: 10, profile: station,"
        " peak: 0.9, zone: Nowhere}": "zone",
        "- {uid: a, name: A, type: CAR_PARK, lat: 51, lon: 6, capacity: 10, capacity_disabled:"
        " 11, profile: station, peak: 0.9}": "capacity_disabled",
        "- {uid: a, name: A, type: CAR_PARK, lat: 51, lon: 6, capacity: 10, profile: station,"
        " peak: 0.9, colour: red}": "unknown keys",
    }
    for text, expected in cases.items():
        (tmp_path / "parking_sites.yaml").write_text(text, encoding="utf-8")
        with pytest.raises(DataPackageError, match=expected):
            load_sites(tmp_path, source)


# --- query validation ------------------------------------------------------------------------


def test_query_validation_collects_field_errors() -> None:
    with pytest.raises(ParkApiError) as caught:
        parse_site_query({"limit": "1001", "lat": "abc", "type": "BOAT", "name": "x" * 300})
    body = caught.value.body()
    assert caught.value.status == 400
    errors = body["error"]["data"]["field_errors"]
    assert errors["limit"]["code"] == "number_range_error"
    assert errors["lat"]["code"] == "invalid_decimal"
    assert errors["type"]["code"] == "value_not_allowed"
    assert errors["name"]["code"] == "string_too_long"


def test_query_geo_parameters() -> None:
    query = parse_site_query({"lat": "51.43", "lon": "6.775", "radius": "1500"})
    assert (query.lat, query.lon, query.radius_m) == (51.43, 6.775, 1500.0)
    legacy = parse_site_query({"location": "6.775,51.43", "radius": "1.5"})  # km
    assert (legacy.lat, legacy.lon, legacy.radius_m) == (51.43, 6.775, 1500.0)
    for incomplete in ({"lat": "51"}, {"lat": "51", "lon": "6"}, {"radius": "5"},
                       {"lat": "51", "lon": "6", "radius": "0"}, {"lat_min": "51"}):
        with pytest.raises(ParkApiError):
            parse_site_query(incomplete)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(
    st.sampled_from(["limit", "start", "lat", "lon", "radius", "name", "type", "purpose",
                     "lat_min", "lat_max", "lon_min", "lon_max", "source_id", "location",
                     "calculate_has_realtime_data", "realtime_data_updated_at_since"]),
    st.one_of(st.text(max_size=30), st.integers(-10**20, 10**20).map(str),
              st.floats(allow_nan=True, allow_infinity=True).map(str)),
))
def test_query_parser_only_raises_parkapi_errors(raw: dict[str, str]) -> None:
    try:
        query = parse_site_query(raw)
    except ParkApiError as error:
        assert error.status == 400
        assert error.body()["error"]["code"] == "validation_error"
        return
    if query.limit is not None:
        assert 1 <= query.limit <= 1000
    if query.lat is not None:
        assert -90 <= query.lat <= 90


def test_seed_replaces_rows_idempotently(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.orm import Session

    from opendata.parking.models import ParkingSite, ParkingSource
    from opendata.parking.seed import seed

    engine = create_engine("sqlite://")
    ParkingSource.__table__.create(engine)
    ParkingSite.__table__.create(engine)
    with Session(engine) as session, session.begin():
        seed(session, PACKAGE)
    with Session(engine) as session, session.begin():
        seed(session, PACKAGE)  # a second load replaces, it does not duplicate
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(ParkingSite))
        assert count == len(load_sites(PACKAGE, load_source(PACKAGE)))
        forum = session.scalar(select(ParkingSite).where(ParkingSite.original_uid == "du-forum"))
        assert forum is not None and forum.tags == "ZONE_CITY" and forum.name_folded == (
            "parkhaus forum")
    with Session(engine) as session, session.begin():
        seed(session, tmp_path / "absent")  # a city without parking data
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ParkingSite)) == 0
        assert session.scalar(select(func.count()).select_from(ParkingSource)) == 0
