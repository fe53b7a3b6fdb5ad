"""Deterministic generator of a city's demo GTFS feed from a small network description.

The committed GTFS files (data package folder ``transit/gtfs/``) are the data the server loads;
this script only recreates them when the network description changes::

    python -m opendata.transit.demo_feed                       # Duisburg data package
    python -m opendata.transit.demo_feed --network other/transit/demo_network.yaml \
        --out other/transit/gtfs

Input (``demo_network.yaml``): agency, stops (stations with platforms or single stops), lines
as ordered stop lists with a speed class and a headway pattern per day type. Output: agency,
stops, routes, trips, stop_times, calendar, calendar_dates and feed_info. Run times come from
the stop distances, so the same input always gives byte-identical files. Public holidays (from
the ``holidays`` library) switch weekday/Saturday service to Sunday service via calendar_dates,
and the night service also runs in the night before a holiday.
"""

from __future__ import annotations

import argparse
import csv
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import holidays
import yaml

from opendata.settings import ROOT

DEFAULT_NETWORK = ROOT / "opendata" / "data" / "duisburg" / "transit" / "demo_network.yaml"

# Day type of a headway pattern -> (service_id, calendar weekday flags Monday..Sunday).
SERVICES: dict[str, tuple[str, tuple[int, ...]]] = {
    "weekday": ("WD", (1, 1, 1, 1, 1, 0, 0)),
    "saturday": ("SA", (0, 0, 0, 0, 0, 1, 0)),
    "sunday": ("SO", (0, 0, 0, 0, 0, 0, 1)),
    "night": ("NACHT", (0, 0, 0, 0, 1, 1, 0)),  # Friday and Saturday nights
}
DIRECTION_1_SHIFT_MIN = 5  # the return trips leave a few minutes later than the outbound ones


@dataclass(frozen=True)
class Stop:
    key: str
    stop_id: str
    name: str
    lat: float
    lon: float
    platforms: dict[str, str]  # platform key -> platform code (empty: a single stop)

    def platform_id(self, key: str) -> str:
        """DHID-like id of a boarding point: <station>:<area>:<platform number>."""
        return f"{self.stop_id}:1:{list(self.platforms).index(key) + 1}"


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def gtfs_time(seconds: int) -> str:
    """GTFS HH:MM:SS; hours may exceed 24 for trips after midnight."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def parse_hhmm(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def departures(bands: list[list[Any]], offset_min: int) -> Iterator[int]:
    """Departure times (seconds) along contiguous headway bands [from, until, minutes]."""
    start, end = parse_hhmm(bands[0][0]), parse_hhmm(bands[-1][1])
    t = start + offset_min * 60
    while t < end:
        yield t
        headway = next(
            (int(b[2]) for b in bands if parse_hhmm(b[0]) <= t < parse_hhmm(b[1])),
            int(bands[-1][2]),
        )
        t += headway * 60


def load_stops(network: dict[str, Any]) -> dict[str, Stop]:
    return {
        key: Stop(
            key=key,
            stop_id=str(spec["id"]),
            name=str(spec["name"]),
            lat=float(spec["lat"]),
            lon=float(spec["lon"]),
            platforms={str(k): str(v) for k, v in (spec.get("platforms") or {}).items()},
        )
        for key, spec in network["stops"].items()
    }


def stop_rows(stops: dict[str, Stop]) -> Iterator[list[Any]]:
    """stops.txt rows: stations (location_type 1) followed by their platforms."""
    for stop in stops.values():
        if not stop.platforms:
            yield [stop.stop_id, "", stop.name, f"{stop.lat:.6f}", f"{stop.lon:.6f}", "", "", "", 1]
            continue
        yield [stop.stop_id, "", stop.name, f"{stop.lat:.6f}", f"{stop.lon:.6f}", 1, "", "", 1]
        for index, (key, code) in enumerate(stop.platforms.items()):
            angle = index * 2 * math.pi / len(stop.platforms)
            lat = stop.lat + 0.00012 * math.cos(angle)
            lon = stop.lon + 0.00018 * math.sin(angle)
            yield [
                stop.platform_id(key),
                "",
                stop.name,
                f"{lat:.6f}",
                f"{lon:.6f}",
                "",
                stop.stop_id,
                code,
                1,
            ]


def line_pattern(line: dict[str, Any], stops: dict[str, Stop]) -> list[tuple[Stop, str, str]]:
    """(stop, boarding point id in direction 0, in direction 1) in direction-0 order."""
    pattern = []
    for entry in line["stops"]:
        key, _, chosen = str(entry).partition("@")
        stop = stops[key]
        if not stop.platforms:
            pattern.append((stop, stop.stop_id, stop.stop_id))
            continue
        keys = chosen.split("/") if chosen else list(stop.platforms)[:2]
        first, second = keys[0], keys[1] if len(keys) > 1 else keys[0]
        pattern.append((stop, stop.platform_id(first), stop.platform_id(second)))
    return pattern


def run_offsets(points: list[Stop], speed_kmh: float, detour: float) -> list[int]:
    """Cumulative whole-minute offsets (seconds) from the first stop, at least 1 min apart."""
    offsets, total = [0], 0.0
    for a, b in pairwise(points):
        total += haversine_m(a.lat, a.lon, b.lat, b.lon) * detour / (speed_kmh / 3.6)
        offsets.append(max(offsets[-1] + 60, round(total / 60) * 60))
    return offsets


def route_id(agency_id: str, short_name: str) -> str:
    return f"{agency_id}-{short_name}"


def trip_rows(
    network: dict[str, Any], stops: dict[str, Stop]
) -> Iterator[tuple[list[Any], list[list[Any]]]]:
    """(trips.txt row, its stop_times.txt rows) for every line, day type, direction and time."""
    agency_id = network["agency"]["agency_id"]
    for line in network["lines"]:
        pattern = line_pattern(line, stops)
        speed = float(network["speeds"][line["speed"]])
        headsigns = line.get("headsigns") or [pattern[-1][0].name, pattern[0][0].name]
        for direction in (0, 1):
            ordered = pattern if direction == 0 else pattern[::-1]
            points = [p[0] for p in ordered]
            ids = [p[1] if direction == 0 else p[2] for p in ordered]
            offsets = run_offsets(points, speed, float(network["detour"]))
            shift = int(line.get("offset", 0)) + direction * DIRECTION_1_SHIFT_MIN
            for day_type, bands in network["headways"][line["headways"]].items():
                service_id = SERVICES[day_type][0]
                for start in departures(bands, shift):
                    trip_id = f"{line['short']}-{service_id}-{direction}-{start // 3600:02d}{start % 3600 // 60:02d}"
                    trip = [
                        route_id(agency_id, line["short"]),
                        service_id,
                        trip_id,
                        headsigns[direction],
                        direction,
                        1,
                    ]
                    times = []
                    last = len(ids) - 1
                    for seq, (stop_id, offset) in enumerate(
                        zip(ids, offsets, strict=True), start=1
                    ):
                        t = gtfs_time(start + offset)
                        pickup = 1 if seq - 1 == last else 0
                        drop_off = 1 if seq == 1 else 0
                        times.append([trip_id, t, t, stop_id, seq, pickup, drop_off])
                    yield trip, times


def holiday_dates(network: dict[str, Any], start: date, end: date) -> list[date]:
    spec = network["feed"]["holidays"]
    years = range(start.year, end.year + 1)
    calendar = holidays.country_holidays(
        spec["country"], subdiv=spec.get("subdivision"), years=years
    )
    return sorted(d for d in calendar if start <= d <= end)


def calendar_date_rows(network: dict[str, Any], start: date, end: date) -> list[list[Any]]:
    """Holidays run Sunday service instead of weekday/Saturday service; night service the night
    before a holiday as well (it already runs before Saturdays and Sundays)."""
    rows: list[list[Any]] = []
    for day in holiday_dates(network, start, end):
        stamp = day.strftime("%Y%m%d")
        weekday = day.weekday()
        if weekday < 5:
            rows.append(["WD", stamp, 2])
        elif weekday == 5:
            rows.append(["SA", stamp, 2])
        if weekday != 6:
            rows.append(["SO", stamp, 1])
        eve = day - timedelta(days=1)
        if eve >= start and eve.weekday() not in (4, 5):
            rows.append(["NACHT", eve.strftime("%Y%m%d"), 1])
    return sorted(rows, key=lambda r: (r[1], r[0]))


def _write(path: Path, header: list[str], rows: Iterable[list[Any]]) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def generate(network_path: Path, out: Path) -> dict[str, int]:
    """Write the feed into `out`; returns the row count per file."""
    network = yaml.safe_load(network_path.read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    feed, agency = network["feed"], network["agency"]
    start, end = feed["start_date"], feed["end_date"]
    stops = load_stops(network)
    used_day_types = {
        day_type for line in network["lines"] for day_type in network["headways"][line["headways"]]
    }
    counts = {
        "agency.txt": _write(
            out / "agency.txt",
            list(agency),
            [list(agency.values())],
        ),
        "stops.txt": _write(
            out / "stops.txt",
            [
                "stop_id",
                "stop_code",
                "stop_name",
                "stop_lat",
                "stop_lon",
                "location_type",
                "parent_station",
                "platform_code",
                "wheelchair_boarding",
            ],
            stop_rows(stops),
        ),
        "routes.txt": _write(
            out / "routes.txt",
            [
                "route_id",
                "agency_id",
                "route_short_name",
                "route_long_name",
                "route_type",
                "route_color",
                "route_text_color",
            ],
            (
                [
                    route_id(agency["agency_id"], line["short"]),
                    agency["agency_id"],
                    line["short"],
                    line["long"],
                    line["type"],
                    line.get("color", "A0A0A0" if line["type"] == 3 else "000000"),
                    "FFFFFF",
                ]
                for line in network["lines"]
            ),
        ),
        "calendar.txt": _write(
            out / "calendar.txt",
            [
                "service_id",
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "saturday",
                "sunday",
                "start_date",
                "end_date",
            ],
            (
                [service_id, *flags, start.strftime("%Y%m%d"), end.strftime("%Y%m%d")]
                for day_type, (service_id, flags) in SERVICES.items()
                if day_type in used_day_types
            ),
        ),
        "calendar_dates.txt": _write(
            out / "calendar_dates.txt",
            ["service_id", "date", "exception_type"],
            calendar_date_rows(network, start, end),
        ),
        "feed_info.txt": _write(
            out / "feed_info.txt",
            [
                "feed_publisher_name",
                "feed_publisher_url",
                "feed_lang",
                "feed_start_date",
                "feed_end_date",
                "feed_version",
            ],
            [
                [
                    feed["publisher_name"],
                    feed["publisher_url"],
                    feed["lang"],
                    start.strftime("%Y%m%d"),
                    end.strftime("%Y%m%d"),
                    feed["version"],
                ]
            ],
        ),
    }
    trips_header = [
        "route_id",
        "service_id",
        "trip_id",
        "trip_headsign",
        "direction_id",
        "wheelchair_accessible",
    ]
    times_header = [
        "trip_id",
        "arrival_time",
        "departure_time",
        "stop_id",
        "stop_sequence",
        "pickup_type",
        "drop_off_type",
    ]
    n_trips = n_times = 0
    with (
        (out / "trips.txt").open("w", newline="", encoding="utf-8") as trips_file,
        (out / "stop_times.txt").open("w", newline="", encoding="utf-8") as times_file,
    ):
        trips_writer = csv.writer(trips_file, lineterminator="\n")
        times_writer = csv.writer(times_file, lineterminator="\n")
        trips_writer.writerow(trips_header)
        times_writer.writerow(times_header)
        for trip, times in trip_rows(network, stops):
            trips_writer.writerow(trip)
            times_writer.writerows(times)
            n_trips += 1
            n_times += len(times)
    counts["trips.txt"] = n_trips
    counts["stop_times.txt"] = n_times
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", type=Path, default=DEFAULT_NETWORK)
    parser.add_argument("--out", type=Path, default=None, help="default: gtfs/ beside --network")
    args = parser.parse_args(argv)
    out = args.out or args.network.parent / "gtfs"
    for name, count in generate(args.network, out).items():
        print(f"{name:20s} {count:8d} rows")


if __name__ == "__main__":
    main()
