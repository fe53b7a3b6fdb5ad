"""package_search latency on 10,000 datasets, over real HTTP, on SQLite and PostgreSQL.

    .venv-opendata/bin/python -m bench.ckan_search [--datasets 10000] [--queries 300]
                                                   [--db sqlite,postgresql]

Builds a data package with the Duisburg catalogue plus N synthetic datasets (German titles,
descriptions and tags from a vocabulary, deterministic), loads it into a fresh SQLite file and a
fresh PostgreSQL database `stadtlotse_bench_ckan` through the normal seeder, starts the server
and times realistic `package_search?q=<topic words>&rows=3` requests (the assistant's call), plus
a few filtered/faceted ones. Prints p50/p95/max per database; target p95 <= 50 ms.
Writes bench/results/ckan_search.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import psutil
import yaml
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "opendata" / "data" / "duisburg" / "catalogue"
RESULTS = ROOT / "bench" / "results" / "ckan_search.json"
PG_ADMIN = os.environ.get(
    "OPENDATA_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PG_NAME = "stadtlotse_bench_ckan"
TARGET_P95_MS = 50.0

TOPICS = [
    ("Kindertageseinrichtungen", ["Kita", "Kinderbetreuung"]),
    ("Baustellen", ["Baustelle", "Verkehr"]),
    ("Parkhäuser", ["Parken", "Parkhaus"]),
    ("Ladestationen für Elektroautos", ["Elektromobilität", "Ladesäule"]),
    ("Badegewässerqualität", ["Badesee", "Wasserqualität"]),
    ("Apotheken", ["Apotheke", "Gesundheit"]),
    ("Einwohner", ["Bevölkerung", "Statistik"]),
    ("Wohnungsangebote", ["Wohnen", "Mietwohnung"]),
    ("Schulen", ["Schule", "Bildung"]),
    ("Spielplätze", ["Spielplatz", "Freizeit"]),
    ("Haltestellen", ["ÖPNV", "Bus"]),
    ("Radwege", ["Fahrrad", "Radverkehr"]),
    ("Straßenbäume", ["Baum", "Stadtgrün"]),
    ("Lärmkarten", ["Lärm", "Umwelt"]),
    ("Luftqualität", ["Feinstaub", "Umwelt"]),
    ("Wahlergebnisse", ["Wahl", "Politik"]),
    ("Haushaltsdaten", ["Haushalt", "Finanzen"]),
    ("Denkmäler", ["Denkmal", "Kultur"]),
    ("Wochenmärkte", ["Markt", "Einkaufen"]),
    ("Friedhöfe", ["Friedhof"]),
    ("Sportstätten", ["Sport", "Freizeit"]),
    ("Verkehrszählungen", ["Verkehr", "Zählstelle"]),
    ("Verkehrsunfälle", ["Unfall", "Verkehrssicherheit"]),
    ("Gewerbeanmeldungen", ["Gewerbe", "Wirtschaft"]),
    ("Geburten", ["Geburt", "Statistik"]),
    ("Arbeitsmarkt", ["Arbeitslosigkeit", "Wirtschaft"]),
    ("Abfallentsorgung", ["Müll", "Abfall"]),
    ("Grünflächen", ["Park", "Stadtgrün"]),
    ("Trinkbrunnen", ["Wasser", "Hitze"]),
    ("Defibrillatoren", ["Notfall", "Gesundheit"]),
    ("Solaranlagen", ["Energie", "Klimaschutz"]),
    ("Energieverbrauch städtischer Gebäude", ["Energie", "Gebäude"]),
    ("Hundesteuer", ["Steuern", "Finanzen"]),
    ("Fahrradabstellanlagen", ["Fahrrad", "Parken"]),
    ("Stadtbibliothek Ausleihen", ["Bibliothek", "Kultur"]),
    ("Feuerwehreinsätze", ["Feuerwehr", "Sicherheit"]),
]
QUALIFIERS = [
    "in {ortsteil}",
    "im Stadtbezirk {bezirk}",
    "{year}",
    "nach Ortsteilen {year}",
    "Standorte",
    "Quartal {q}/{year}",
    "Jahresbericht {year}",
    "Übersicht {bezirk}",
]
BEZIRKE = [
    "Walsum",
    "Hamborn",
    "Meiderich/Beeck",
    "Homberg/Ruhrort/Baerl",
    "Mitte",
    "Rheinhausen",
    "Süd",
]
ORTSTEILE = [
    "Marxloh",
    "Hochfeld",
    "Neudorf-Nord",
    "Duissern",
    "Ruhrort",
    "Homberg",
    "Wedau",
    "Buchholz",
    "Huckingen",
    "Bergheim",
    "Friemersheim",
    "Beeck",
    "Laar",
    "Altstadt",
    "Dellviertel",
    "Wanheimerort",
    "Aldenrade",
    "Vierlinden",
    "Neumühl",
    "Baerl",
]
SENTENCES = [
    "Der Datensatz enthält {topic} {where} mit Anschrift und Koordinaten.",
    "Die Daten werden {freq} vom zuständigen Fachamt aktualisiert.",
    "Grundlage sind Meldungen der Ämter und städtischen Gesellschaften.",
    "Weitere Informationen zu {topic} finden Sie auf den Seiten der Stadtverwaltung.",
    "Die Angaben beziehen sich auf das Jahr {year}.",
    "Für Auswertungen stehen die Daten als Tabelle und als Karte bereit.",
]
FORMATS = ["CSV", "JSON", "GeoJSON", "WMS", "PDF", "XLSX"]
LICENSES = ["cc-by-de/3.0"] * 5 + ["dl-by-de/2.0"] * 3 + ["dl-zero-de/2.0"] * 2
GROUPS = ["transport", "gove", "envi", "soci", "educ", "heal", "econ", "regi", "tech", "ener"]

QUERIES = [
    "Kitas",
    "Kita freie Plätze",
    "Kindertagesstätten",
    "Parkhäuser",
    "Parkhaus Innenstadt",
    "Baustellen",
    "Baustelle Königstraße",
    "Ladesäulen",
    "E-Auto laden",
    "Badeseen",
    "Badegewässer",
    "Apotheke Notdienst",
    "Notapotheke",
    "Einwohner Ortsteile",
    "Bevölkerung",
    "Wohnungen",
    "Mietwohnung mit WBS",
    "Schulen",
    "Spielplätze",
    "Haltestellen",
    "Radwege",
    "Bäume",
    "Lärm",
    "Luftqualität Feinstaub",
    "Wahlergebnisse",
    "Haushalt",
    "Denkmäler",
    "Wochenmarkt",
    "Friedhof",
    "Sportplätze",
    "Verkehrsunfälle",
    "Geburten",
    "Müll",
    "Grünflächen",
    "Trinkbrunnen",
    "Defibrillator",
    "Solaranlagen",
    "Hundesteuer",
    "Fahrrad parken",
    "Feuerwehr",
    "Marxloh",
    "Hochfeld Kitas",
    "Stadtbezirk Süd",
    "Duisburg",
    "Daten 2024",
    "Parkhaeuser",
    "kindertagesstaetten",
    "Strassenbaeume",
]
EXTRA_REQUESTS = [
    {"fq": "organization:stadt-duisburg", "rows": 10},
    {"q": "Kitas", "fq": "res_format:CSV", "rows": 3},
    {"q": "Baustellen", "facet.field": '["groups","res_format"]', "rows": 3},
    {"sort": "metadata_modified desc", "rows": 10},
]


def synthetic_datasets(count: int) -> list[dict]:
    rng = random.Random(20261123)
    start = datetime(2019, 3, 19)
    datasets = []
    for index in range(count):
        topic, tags = TOPICS[rng.randrange(len(TOPICS))]
        year = rng.randint(2015, 2026)
        qualifier = QUALIFIERS[rng.randrange(len(QUALIFIERS))].format(
            ortsteil=rng.choice(ORTSTEILE),
            bezirk=rng.choice(BEZIRKE),
            year=year,
            q=rng.randint(1, 4),
        )
        title = f"{topic} {qualifier}"
        where = rng.choice(
            ["im Stadtgebiet", f"in {rng.choice(ORTSTEILE)}", f"im Bezirk {rng.choice(BEZIRKE)}"]
        )
        notes = " ".join(
            sentence.format(
                topic=topic,
                where=where,
                year=year,
                freq=rng.choice(["täglich", "monatlich", "jährlich"]),
            )
            for sentence in rng.sample(SENTENCES, k=rng.randint(2, 4))
        )
        created = start + timedelta(days=rng.randint(0, 2000), seconds=rng.randint(0, 86399))
        modified = created + timedelta(days=rng.randint(0, 600), seconds=rng.randint(0, 86399))
        datasets.append(
            {
                "name": f"synthetisch-{index:05d}",
                "title": title,
                "notes": notes,
                "organization": "stadt-duisburg",
                "groups": rng.sample(GROUPS, k=rng.randint(1, 2)),
                "tags": [
                    *tags,
                    *rng.sample(["offen", "Karte", "Statistik", "Verwaltung", str(year)], k=2),
                ],
                "license_id": rng.choice(LICENSES),
                "metadata_created": created.isoformat(timespec="microseconds"),
                "metadata_modified": modified.isoformat(timespec="microseconds"),
                "resources": [
                    {
                        "name": f"{topic} ({fmt})",
                        "format": fmt,
                        "description": f"{title} als {fmt}.",
                    }
                    for fmt in rng.sample(FORMATS, k=rng.randint(1, 3))
                ],
            }
        )
    return datasets


def build_package(folder: Path, count: int) -> Path:
    catalogue = folder / "catalogue"
    shutil.copytree(CATALOGUE, catalogue)
    datasets = synthetic_datasets(count)
    for chunk in range(0, count, 1000):
        path = catalogue / "datasets" / f"synthetisch-{chunk // 1000:02d}.yaml"
        path.write_text(
            yaml.dump(
                datasets[chunk : chunk + 1000],
                Dumper=yaml.CSafeDumper,
                allow_unicode=True,
                sort_keys=False,
            ),
            encoding="utf-8",
        )
    return folder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(database_url: str, package: Path) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    env = {
        **os.environ,
        "OPENDATA_DATABASE_URL": database_url,
        "OPENDATA_DATA_PACKAGE": str(package),
        "OPENDATA_DOMAINS": "ckan",
        "OPENDATA_PORT": str(port),
        "OPENDATA_HOST": "127.0.0.1",
        "OPENDATA_CLOCK": "2026-11-23T08:15:00+01:00",
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "opendata"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 1200
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return process, base, time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    process.kill()
    raise RuntimeError("server did not start within 20 minutes")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def measure(base: str, queries: int) -> dict:
    rng = random.Random(7)
    with httpx.Client(base_url=base, timeout=30) as client:
        for query in QUERIES[:10]:  # warm-up (caches, prepared statements)
            client.get("/api/3/action/package_search", params={"q": query, "rows": 3})
        timings: list[float] = []
        hits: dict[str, int] = {}
        for number in range(queries):
            query = QUERIES[rng.randrange(len(QUERIES))]
            began = time.perf_counter()
            response = client.get("/api/3/action/package_search", params={"q": query, "rows": 3})
            timings.append((time.perf_counter() - began) * 1000)
            response.raise_for_status()
            hits[query] = response.json()["result"]["count"]
            if (number + 1) % 100 == 0:
                print(f"    {number + 1}/{queries} queries", flush=True)
        extra: list[float] = []
        for params in EXTRA_REQUESTS * 10:
            began = time.perf_counter()
            client.get("/api/3/action/package_search", params=params).raise_for_status()
            extra.append((time.perf_counter() - began) * 1000)
        others: dict[str, list[float]] = {"package_show": [], "datastore_search": []}
        for _ in range(50):
            began = time.perf_counter()
            client.get("/api/3/action/package_show", params={"id": "kindertageseinrichtungen"})
            others["package_show"].append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            client.get(
                "/api/3/action/datastore_search",
                params={"resource_id": "kitas", "filters": '{"Ortsteil": "Hochfeld"}'},
            )
            others["datastore_search"].append((time.perf_counter() - began) * 1000)
        top = client.get("/api/3/action/package_search", params={"q": "Kitas", "rows": 1})
    summary = {
        "queries": queries,
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "max_ms": round(max(timings), 2),
        "mean_ms": round(statistics.fmean(timings), 2),
        "filtered_and_faceted": {
            "requests": len(extra),
            "p50_ms": round(statistics.median(extra), 2),
            "p95_ms": round(percentile(extra, 0.95), 2),
        },
        "package_show_p95_ms": round(percentile(others["package_show"], 0.95), 2),
        "datastore_search_p95_ms": round(percentile(others["datastore_search"], 0.95), 2),
        "matches_per_query": dict(sorted(hits.items())),
        "top_result_for_Kitas": top.json()["result"]["results"][0]["name"],
    }
    summary["target_met"] = summary["p95_ms"] <= TARGET_P95_MS
    return summary


def fresh_postgres() -> str:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{PG_NAME}"'))
        version = conn.execute(text("SHOW server_version")).scalar()
    admin.dispose()
    print(f"  PostgreSQL {version}: database {PG_NAME} created", flush=True)
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_NAME}"


def drop_postgres() -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
    admin.dispose()


def run(database: str, package: Path, work: Path, queries: int) -> dict:
    print(f"== {database}", flush=True)
    url = f"sqlite:///{work / 'bench.sqlite'}" if database == "sqlite" else fresh_postgres()
    process, base, startup = start_server(url, package)
    print(f"  server up after {startup:.1f} s (migrate + seed)", flush=True)
    try:
        result = measure(base, queries)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        if database == "postgresql":
            drop_postgres()
    result["startup_and_seed_s"] = round(startup, 1)
    print(
        f"  package_search q=…&rows=3: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, "
        f"max {result['max_ms']} ms ({'target met' if result['target_met'] else 'MISSED'}: "
        f"p95 <= {TARGET_P95_MS} ms)",
        flush=True,
    )
    print(
        f"  filtered/faceted p95 {result['filtered_and_faceted']['p95_ms']} ms, "
        f"package_show p95 {result['package_show_p95_ms']} ms, "
        f"datastore_search p95 {result['datastore_search_p95_ms']} ms",
        flush=True,
    )
    return result


def machine() -> dict:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "cpu_model": platform.processor() or platform.machine(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "sqlite": sqlite3.sqlite_version,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args()
    results: dict = {
        "benchmark": "ckan_search",
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "datasets": args.datasets,
        "target_p95_ms": TARGET_P95_MS,
        "machine": machine(),
        "databases": {},
    }
    with tempfile.TemporaryDirectory(prefix="ckan-bench-") as tmp:
        work = Path(tmp)
        print(f"building a data package with {args.datasets} synthetic datasets …", flush=True)
        began = time.perf_counter()
        package = build_package(work / "package", args.datasets)
        print(f"  written in {time.perf_counter() - began:.1f} s", flush=True)
        for database in [d.strip() for d in args.db.split(",") if d.strip()]:
            results["databases"][database] = run(database, package, work, args.queries)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
