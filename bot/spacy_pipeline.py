"""Build the German spaCy pipeline Rasa loads: no downloads, names from the city's open data.

    python -m bot.spacy_pipeline [--force]

spaCy's own German language data (tokenizer, stop words), the lookup lemmatizer from
`spacy-lookups-data`, and an entity ruler whose patterns are generated from the data package:
stops and lines (GTFS), car parks and zones (parking), services and their synonyms, districts,
streets and bathing spots (catalogue tables), dataset topics. Each pattern carries the canonical
name as its id, and matches case-insensitively, with umlauts written as ae/oe/ue or dropped, and
with hyphens or spaces. Also writes lookup tables for Rasa's RegexFeaturizer (build/nlu/).
Rebuilt only when the data package or this module changed.
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import yaml

from bot.city import get_city
from bot.settings import ROOT

PACKAGE = ROOT / "opendata" / "data" / get_city().name.lower()
OUTPUT = ROOT / "build" / "spacy_de"
LOOKUPS = ROOT / "build" / "nlu" / "lookups.yml"
# When two labels claim the same text, the earlier label keeps it.
LABEL_PRIORITY = [
    "car_park",
    "stop",
    "service",
    "bathing_spot",
    "district",
    "street",
    "line",
    "zone",
    "office",
    "topic",
]
# Prefixes that describe the kind of place; names are also matched without them.
KIND_PREFIXES = ("Parkhaus ", "Tiefgarage ", "Parkplatz ", "City-Parkhaus ", "Galeria-Parkhaus ")
STREET = re.compile(
    r"\b([A-ZÄÖÜ][\wäöüß.-]*(?:straße|strasse|str\.|weg|platz|allee|ring|gasse|damm|ufer|wall|markt))\b"
)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        sample = handle.read(4096)
        handle.seek(0)
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        yield from csv.DictReader(handle, dialect=dialect)


def _yaml_items(path: Path) -> list[dict]:
    """The records of a YAML file: a list of mappings, or one mapping per file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        return [data]
    return [v for v in data or [] if isinstance(v, dict)]


def _files(folder: Path, *suffixes: str) -> list[Path]:
    return (
        sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
        if folder.exists()
        else []
    )


def _first(row: dict, *keys: str) -> str:
    lowered = {str(k).lower(): v for k, v in row.items()}
    for key in keys:
        value = lowered.get(key.lower())
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


Names = dict[str, dict[str, set[str]]]


def collect_names(package: Path) -> tuple[Names, Names]:
    """(primary, derived): label -> canonical name -> surface forms, from the data package.

    Primary forms are the published names (and the city profile's aliases); derived forms are
    shortenings such as a car park's name without "Parkhaus". A primary form of any label wins
    over a derived form of another ("Königstraße" the street, not "Parkhaus Königstraße").
    """
    names: Names = defaultdict(lambda: defaultdict(set))
    derived: Names = defaultdict(lambda: defaultdict(set))
    profile_aliases = getattr(get_city(), "aliases", None) or {}

    gtfs = package / "transit" / "gtfs"
    if (gtfs / "stops.txt").exists():
        for row in _rows(gtfs / "stops.txt"):
            if row.get("location_type", "0") in ("0", "1", ""):
                name = row["stop_name"].strip()
                if name and not re.search(r"\b(Gleis|Steig|Bussteig)\b", name):
                    names["stop"][name].add(name)
    if (gtfs / "routes.txt").exists():
        for row in _rows(gtfs / "routes.txt"):
            line = row.get("route_short_name", "").strip()
            if line:
                names["line"][line].add(line)

    for path in _files(package / "parking", ".csv", ".yml", ".yaml", ".json"):
        items = (
            list(_rows(path))
            if path.suffix == ".csv"
            else _yaml_items(path)
            if path.suffix != ".json"
            else []
        )
        for item in items:
            name = _first(item, "name")
            if not name:
                continue
            names["car_park"][name].add(name)
            for prefix in KIND_PREFIXES:
                if name.startswith(prefix) and len(name) > len(prefix) + 3:
                    derived["car_park"][name].add(name[len(prefix) :])
            for alias in str(_first(item, "aliases", "alias", "short_name")).split("|"):
                if alias.strip():
                    names["car_park"][name].add(alias.strip())
            zone = _first(item, "zone", "parkleitzone")
            if zone:
                names["zone"][zone].add(zone)

    for path in _files(package / "services", ".yml", ".yaml"):
        for item in _yaml_items(path):
            if _first(item, "bezeichnung"):  # a service (ZuFi Leistung)
                name = _first(item, "bezeichnung")
                names["service"][name].add(name)
                synonyms = item.get("synonyme") or []
                for synonym in synonyms if isinstance(synonyms, list) else str(synonyms).split(","):
                    if str(synonym).strip():
                        names["service"][name].add(str(synonym).strip())
            elif _first(item, "name") and item.get("anschrift"):  # an office (Organisationseinheit)
                names["office"][_first(item, "name")].add(_first(item, "name"))

    catalogue = package / "catalogue"
    for path in _files(catalogue, ".csv"):
        for row in _rows(path):
            for key, label in (
                ("Ortsteil", "district"),
                ("Stadtbezirk", "district"),
                ("Badestelle", "bathing_spot"),
                ("Straße", "street"),
            ):
                value = _first(row, key)
                if value:
                    names[label][value].add(value)
                    if " (" in value:  # "Wolfssee (Sechs-Seen-Platte)" is also just "Wolfssee"
                        derived[label][value].add(value.split(" (")[0])
                    if "/" in value and label == "district":  # "Meiderich/Beeck"
                        for part in value.split("/"):
                            derived[label][value].add(part.strip())
            for value in row.values():
                if isinstance(value, str):
                    for street in STREET.findall(value):
                        names["street"][street].add(street)
    for path in _files(catalogue / "datasets", ".yml", ".yaml"):
        for dataset in _yaml_items(path):
            for tag in dataset.get("tags") or []:
                tag = tag.get("name") if isinstance(tag, dict) else tag
                if isinstance(tag, str) and len(tag) > 3:
                    names["topic"][tag].add(tag)

    for label, aliases in profile_aliases.items():
        for alias, canonical in (aliases or {}).items():
            names[label][canonical].add(alias)
    return names, derived


def variants(text: str) -> set[str]:
    """Spellings citizens use: ae/oe/ue or no umlauts, ss for ß, spaces for hyphens."""
    forms = {text}
    forms.add(
        text.translate(
            str.maketrans(
                {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
            )
        )
    )
    forms.add(
        text.translate(
            str.maketrans({"ä": "a", "ö": "o", "ü": "u", "Ä": "A", "Ö": "O", "Ü": "U", "ß": "ss"})
        )
    )
    forms |= {f.replace("-", " ") for f in forms}
    forms |= {f.replace("straße", "str.").replace("Straße", "Str.") for f in forms if "traße" in f}
    if text.endswith(" Hbf"):
        forms.add(text[:-4] + " Hauptbahnhof")
    return {f for f in forms if f.strip()}


def patterns(primary: Names, derived: Names, nlp) -> tuple[list[dict], dict[str, list[str]]]:
    claimed: set[str] = set()
    result: list[dict] = []
    lookups: dict[str, list[str]] = defaultdict(list)
    for names in (primary, derived):
        for label in LABEL_PRIORITY:
            for canonical, surfaces in sorted(names.get(label, {}).items()):
                for surface in sorted({v for s in surfaces for v in variants(s)}):
                    key = surface.casefold()
                    if len(key) < 2 or key in claimed:
                        continue
                    claimed.add(key)
                    tokens = [{"LOWER": token.lower_} for token in nlp.make_doc(surface)]
                    result.append({"label": label, "pattern": tokens, "id": canonical})
                    lookups[label].append(surface)
    return result, lookups


def fingerprint(package: Path) -> str:
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(p for p in package.rglob("*") if p.is_file()):
        digest.update(path.read_bytes())
    profile = ROOT / "bot" / "cities" / f"{get_city().name.lower()}.yml"
    digest.update(profile.read_bytes() if profile.exists() else b"")
    return digest.hexdigest()


def write_lookups(lookups: dict[str, list[str]]) -> None:
    LOOKUPS.parent.mkdir(parents=True, exist_ok=True)
    blocks = []
    for label in sorted(lookups):
        if label in ("topic", "office"):
            continue
        values = sorted(set(lookups[label]))
        items = "\n".join(f"      - {value}" for value in values)
        blocks.append(f"  - lookup: {label}\n    examples: |\n{items}")
    LOOKUPS.write_text('version: "3.1"\nnlu:\n' + "\n".join(blocks) + "\n", encoding="utf-8")


def build(package: Path = PACKAGE, force: bool = False) -> Path:
    stamp = OUTPUT / "fingerprint.txt"
    key = fingerprint(package)
    if not force and stamp.exists() and stamp.read_text() == key and LOOKUPS.exists():
        print("    spaCy pipeline is up to date", flush=True)
        return OUTPUT
    import spacy

    nlp = spacy.blank("de")
    # A full stop right after a code or number ends the sentence: "Mein Code ist K7M2Q9."
    suffixes = [
        *nlp.Defaults.suffixes,
        r"(?<=[A-Za-z][0-9])\.$",
        r"(?<=[0-9][A-Za-z])\.$",
        r"(?<=[0-9]{4})\.$",
    ]
    nlp.tokenizer.suffix_search = spacy.util.compile_suffix_regex(suffixes).search
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    names, derived = collect_names(package)
    found, lookups = patterns(names, derived, nlp)
    nlp.initialize()  # loads the lemma tables; also empties the ruler, so patterns come after
    ruler.add_patterns(found)  # type: ignore[attr-defined]
    OUTPUT.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(OUTPUT)
    write_lookups(lookups)
    stamp.write_text(key)
    counts = ", ".join(f"{label} {len(names.get(label, {}))}" for label in LABEL_PRIORITY)
    print(f"    built {OUTPUT.relative_to(ROOT)}: {len(found)} patterns ({counts})", flush=True)
    return OUTPUT


if __name__ == "__main__":
    build(force="--force" in sys.argv)
