"""Transit at VRR scale: streaming GTFS import and departure-monitor latency, SQLite and PostgreSQL.

    .venv-opendata/bin/python -m bench.transit_departures [--stop-times 5000000] [--requests 400]

1. Writes a synthetic GTFS feed with >= 5 M stop_times into a temporary data-package folder
   (streamed to disk, never held in memory): ~8 000 stations with two platforms each, 600 lines,
   24 service ids (weekday variants, Saturday, Sunday, calendar_dates-only extras).
2. Imports it with ``python -m opendata.transit.gtfs_import`` in a subprocess, once into SQLite
   and once into a fresh PostgreSQL database ``stadtlotse_bench_transit`` (dropped afterwards),
   and reports rows/s and the importer's peak RSS (from the child itself and polled by psutil).
3. Starts the open-data server on each database and times XML_DM_REQUEST over real HTTP for
   random stations (the assistant's request: useRealtime=1, limit=40; also limit=10).

Writes bench/results/transit_departures.json (figures, machine info, timestamp).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "transit_departures.json"
PG_ADMIN = os.environ.get(
    "OPENDATA_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PG_DB = "stadtlotse_bench_transit"
CLOCK = "2026-11-23T08:15:00+01:00"  # Monday morning peak, as in the tests
STATIONS = 8_000
LINES = 600
STOPS_PER_TRIP = 25


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


# --------------------------------------------------------------------------- synthetic feed


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def write_feed(folder: Path, stop_times: int, seed: int = 20261123) -> dict[str, int]:
    """A VRR-sized feed, streamed to `folder` (csv text, trip by trip)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "agency.txt").write_text(
        "agency_id,agency_name,agency_url,agency_timezone,agency_lang\n"
        "syn-1,Synthetische Verkehrsbetriebe,https://example.org,Europe/Berlin,de\n",
        encoding="utf-8",
    )
    side = int(STATIONS**0.5) + 1
    coords = {}
    with (folder / "stops.txt").open("w", encoding="utf-8") as out:
        out.write(
            "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station,platform_code\n"
        )
        for n in range(STATIONS):
            lat = 51.20 + (n // side) * 0.004 + rng.uniform(-0.001, 0.001)
            lon = 6.50 + (n % side) * 0.006 + rng.uniform(-0.001, 0.001)
            coords[n] = (n // side, n % side)
            sid = f"de:09999:{n + 1}"
            out.write(f"{sid},Haltestelle {n + 1},{lat:.6f},{lon:.6f},1,,\n")
            for p in (1, 2):
                out.write(f"{sid}:1:{p},Haltestelle {n + 1},{lat:.6f},{lon:.6f},,{sid},{p}\n")
    services = [f"WD{i}" for i in range(16)] + ["SA", "SO"] + [f"X{i}" for i in range(6)]
    with (folder / "calendar.txt").open("w", encoding="utf-8") as out:
        out.write(
            "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
        )
        for s in services[:16]:
            out.write(f"{s},1,1,1,1,1,0,0,20260901,20271231\n")
        out.write("SA,0,0,0,0,0,1,0,20260901,20271231\nSO,0,0,0,0,0,0,1,20260901,20271231\n")
    with (folder / "calendar_dates.txt").open("w", encoding="utf-8") as out:
        out.write("service_id,date,exception_type\n")
        for i, s in enumerate(services[18:]):
            for week in range(60):
                day = datetime(2026, 9, 1 + i).toordinal() + 7 * week
                out.write(f"{s},{datetime.fromordinal(day):%Y%m%d},1\n")
    route_types = [0] * 60 + [1] * 20 + [3] * 520
    patterns = []
    with (folder / "routes.txt").open("w", encoding="utf-8") as out:
        out.write("route_id,agency_id,route_short_name,route_long_name,route_type\n")
        for r in range(LINES):
            out.write(f"r{r},syn-1,{r + 100},Linie {r + 100},{route_types[r]}\n")
            row, col = rng.randrange(side), rng.randrange(side)
            path = []
            while len(path) < STOPS_PER_TRIP:
                n = row * side + col
                if n < STATIONS and n not in path:
                    path.append(n)
                drow, dcol = rng.choice(((0, 1), (1, 0), (0, -1), (-1, 0), (1, 1)))
                row, col = min(side - 1, max(0, row + drow)), min(side - 1, max(0, col + dcol))
            patterns.append(path)
    trips_needed = stop_times // STOPS_PER_TRIP + 1
    per_route = trips_needed // LINES + 1
    written = n_trips = 0
    with (
        (folder / "trips.txt").open("w", encoding="utf-8") as trips_out,
        (folder / "stop_times.txt").open("w", encoding="utf-8") as times_out,
    ):
        trips_out.write("route_id,service_id,trip_id,trip_headsign,direction_id\n")
        times_out.write("trip_id,arrival_time,departure_time,stop_id,stop_sequence\n")
        for r, path in enumerate(patterns):
            for k in range(per_route):
                if written >= stop_times:
                    break
                direction = k % 2
                stations = path if direction == 0 else path[::-1]
                service = services[rng.randrange(len(services))]
                start = 4 * 3600 + rng.randrange(21 * 3600)
                trip_id = f"t{r}-{k}"
                head = f"Haltestelle {stations[-1] + 1}"
                trips_out.write(f"r{r},{service},{trip_id},{head},{direction}\n")
                t = start
                lines = []
                for seq, station in enumerate(stations, start=1):
                    clock = _clock(t)
                    stop = f"de:09999:{station + 1}:1:{direction + 1}"
                    lines.append(f"{trip_id},{clock},{clock},{stop},{seq}\n")
                    t += 60 + rng.randrange(120)
                times_out.write("".join(lines))
                written += len(stations)
                n_trips += 1
    return {"stations": STATIONS, "lines": LINES, "trips": n_trips, "stop_times": written}


# --------------------------------------------------------------------------- import


def run_import(package_transit: Path, database_url: str) -> dict[str, Any]:
    """The importer CLI in a child process; peak RSS from the child and from polling."""
    command = [
        sys.executable,
        "-m",
        "opendata.transit.gtfs_import",
        str(package_transit),
        "--database-url",
        database_url,
    ]
    env = {**os.environ, "OPENDATA_DOMAINS": "transit"}
    started = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    polled = 0
    proc = psutil.Process(child.pid)
    while child.poll() is None:
        with contextlib.suppress(psutil.Error):
            polled = max(polled, proc.memory_info().rss)
        time.sleep(0.2)
    stdout, stderr = child.communicate()
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"import failed:\n{stderr[-3000:]}")
    for line in stderr.splitlines():
        log("   " + line.strip())
    log("   " + stdout.strip())
    progress = re.findall(r"stop_times\.txt: ([\d,]+) rows, ([\d,]+) rows/s", stderr)
    reported = re.search(r"peak RSS (\d+) MB\s*$", stdout.strip())
    return {
        "stop_times": int(progress[-1][0].replace(",", "")) if progress else None,
        "stop_times_rows_per_s": int(progress[-1][1].replace(",", "")) if progress else None,
        "wall_seconds_total": round(seconds, 1),
        "overall_rows_per_s": round(int(progress[-1][0].replace(",", "")) / seconds)
        if progress
        else None,
        "peak_rss_mb_child": int(reported.group(1)) if reported else None,
        "peak_rss_mb_polled": round(polled / 2**20),
    }


# --------------------------------------------------------------------------- latency


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure_latency(
    package: Path, database_url: str, station_ids: list[str], requests: int
) -> dict[str, Any]:
    port = _free_port()
    env = {
        **os.environ,
        "OPENDATA_DATABASE_URL": database_url,
        "OPENDATA_DATA_PACKAGE": str(package),
        "OPENDATA_DOMAINS": "transit",
        "OPENDATA_CLOCK": CLOCK,
        "OPENDATA_PORT": str(port),
    }
    server_log = package.parent / f"server-{port}.log"
    log_handle = server_log.open("w", encoding="utf-8")
    server = subprocess.Popen(
        [sys.executable, "-m", "opendata"], cwd=ROOT, env=env, stderr=log_handle
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError("server exited")
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        rng = random.Random(7)
        results: dict[str, Any] = {}
        with httpx.Client(base_url=base, timeout=30) as client:
            health = []
            for _ in range(200):  # the framework's floor on this machine right now
                started = time.perf_counter()
                client.get("/health")
                health.append((time.perf_counter() - started) * 1000)
            health.sort()
            results["health_baseline"] = {
                "p50_ms": round(statistics.median(health), 2),
                "p95_ms": round(health[int(0.95 * len(health)) - 1], 2),
            }
            log(f"   /health baseline: {results['health_baseline']}")
            for limit in (40, 10):
                params = {
                    "outputFormat": "rapidJSON",
                    "coordOutputFormat": "WGS84[dd.ddddd]",
                    "mode": "direct",
                    "type_dm": "any",
                    "useRealtime": 1,
                    "limit": limit,
                }
                for stop in rng.sample(station_ids, 30):  # warm-up: catalog, caches, pages
                    client.get("/standard/XML_DM_REQUEST", params={**params, "name_dm": stop})
                timings, events = [], []
                for _ in range(requests):
                    stop = rng.choice(station_ids)
                    started = time.perf_counter()
                    response = client.get(
                        "/standard/XML_DM_REQUEST", params={**params, "name_dm": stop}
                    )
                    timings.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.text
                    events.append(len(response.json().get("stopEvents", [])))
                timings.sort()
                log_handle.flush()
                server_side = sorted(_server_timings(server_log)[-requests:])
                results[f"limit_{limit}"] = {
                    "requests": requests,
                    "p50_ms": round(statistics.median(timings), 2),
                    "p95_ms": round(timings[int(0.95 * len(timings)) - 1], 2),
                    "p99_ms": round(timings[int(0.99 * len(timings)) - 1], 2),
                    "mean_ms": round(statistics.fmean(timings), 2),
                    "server_side_p50_ms": round(statistics.median(server_side), 2),
                    "server_side_p95_ms": round(server_side[int(0.95 * len(server_side)) - 1], 2),
                    "mean_stop_events": round(statistics.fmean(events), 1),
                }
                log(f"   limit={limit}: {results[f'limit_{limit}']}")
        return results
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log_handle.close()


def _server_timings(server_log: Path) -> list[float]:
    """Handling times (ms) the server's access log recorded for departure-monitor requests,
    in request order."""
    pattern = re.compile(r"GET /standard/XML_DM_REQUEST 200 ([\d.]+)ms")
    return [float(m.group(1)) for m in pattern.finditer(server_log.read_text(encoding="utf-8"))]


# --------------------------------------------------------------------------- main


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "sqlite": sqlite3.sqlite_version,
    }


def _pg(statement: str) -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(statement))
    admin.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stop-times", type=int, default=5_000_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {
        "benchmark": "transit_departures",
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
    }
    work = Path(tempfile.mkdtemp(prefix="stadtlotse-transit-bench-"))
    try:
        package = work / "package"
        transit = package / "transit"
        log(f"writing a synthetic feed with {args.stop_times:,} stop_times to {transit} ...")
        started = time.perf_counter()
        feed = write_feed(transit / "gtfs", args.stop_times)
        size = sum(p.stat().st_size for p in (transit / "gtfs").iterdir())
        feed.update(seconds=round(time.perf_counter() - started, 1), megabytes=round(size / 2**20))
        report["feed"] = feed
        log(f"   {feed}")
        station_ids = [f"de:09999:{n + 1}" for n in range(STATIONS)]
        pg_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_DB}"
        databases = {
            "sqlite": f"sqlite:///{work / 'bench.sqlite'}",
            "postgresql": pg_url,
        }
        for name, url in databases.items():
            log(f"importing into {name} ...")
            if name == "postgresql":
                _pg(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
                _pg(f'CREATE DATABASE "{PG_DB}"')
            try:
                result: dict[str, Any] = {"import": run_import(transit, url)}
                if name == "sqlite":
                    result["database_mb"] = round((work / "bench.sqlite").stat().st_size / 2**20)
                else:
                    engine = create_engine(url)
                    with engine.connect() as conn:
                        result["database_mb"] = round(
                            conn.scalar(text("SELECT pg_database_size(current_database())")) / 2**20
                        )
                        result["server_version"] = conn.scalar(text("SHOW server_version"))
                    engine.dispose()
                log(f"   import: {result['import']}")
                log(f"measuring departure monitor latency on {name} ({args.requests} requests) ...")
                result["departure_monitor"] = measure_latency(
                    package, url, station_ids, args.requests
                )
                report[name] = result
            finally:
                if name == "postgresql":
                    _pg(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        report["targets"] = {
            "importer_peak_rss_mb": 1024,
            "departure_monitor_p95_ms": 20,
            "met": {
                name: {
                    "peak_rss": report[name]["import"]["peak_rss_mb_polled"] <= 1024,
                    "p95_limit_40": report[name]["departure_monitor"]["limit_40"]["p95_ms"] <= 20,
                    "p95_limit_10": report[name]["departure_monitor"]["limit_10"]["p95_ms"] <= 20,
                }
                for name in databases
            },
        }
        report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(
            json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        log(f"wrote {RESULTS}")
        print(json.dumps(report["targets"], indent=2))
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
