"""Pure parts of the services domain: normalisation, ranking rules, data-package checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from opendata.services import catalogue, zufi
from opendata.services.normalize import fold, tokens
from opendata.services.search import Document, ServiceIndex

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "opendata" / "data" / "duisburg" / "services"


def test_fold_handles_case_umlauts_sharp_s_and_accents() -> None:
    assert fold("Sperrmüll-Abholung") == "sperrmuell abholung"
    assert fold("STRAßE") == fold("strasse") == "strasse"
    assert fold("Café  Crème!") == "cafe creme"
    assert fold("Ｐｅｒｓｏ") == "perso"  # full-width letters


def test_tokens_drop_filler_and_unify_inflection() -> None:
    assert tokens("Ich möchte meinen Perso beantragen") == tokens("Perso beantragen")
    assert tokens("Sperrmülls") == tokens("Sperrmuell") == tokens("sperrmüll")
    assert tokens("Kosten") == []  # an aspect, not a service


def index() -> ServiceIndex:
    return ServiceIndex(
        [
            Document("1", ("Bewohnerparkausweis",), ("Anwohnerparkausweis",), summary="Parken"),
            Document("2", ("Personalausweis",), ("Perso",), summary="Ausweis beantragen"),
            Document("3", ("Wohnsitz anmelden",), ("Umzug melden", "ummelden")),
            Document("4", ("Halteverbotszone für einen Umzug",), ("Halteverbot Umzug",)),
            Document("5", ("Gewerbeanmeldung",), ("Gewerbe anmelden",)),
        ],
        ignore=["Musterstadt"],
    )


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("Anwohnerparkausweis", "1"),  # synonym
        ("parkausweis", "1"),  # part of a compound
        ("Personalausweiss", "2"),  # typo
        ("PERSO", "2"),  # case
        ("Umzug melden", "3"),  # whole synonym phrase beats the shared word "Umzug"
        ("Halteverbot Umzug Musterstadt", "4"),  # the city name is ignored
        ("Gewerbe anmelden", "5"),  # rare word "Gewerbe" decides against "anmelden"
    ],
)
def test_ranking_rules(query: str, key: str) -> None:
    hits = index().search(query)
    assert hits[0].key == key, hits


def test_a_typo_in_a_short_word_does_not_flip_its_meaning() -> None:
    both = ServiceIndex(
        [
            Document("an", ("Gewerbeanmeldung",), ("Gewerbe anmelden",)),
            Document("ab", ("Gewerbeabmeldung",), ("Gewerbe abmelden",)),
        ]
    )
    top, other = both.search("Gewerbe anmelden")
    assert top.key == "an" and other.score < 0.7 * top.score
    top, other = both.search("Gewerbe abmelden")
    assert top.key == "ab" and other.score < 0.7 * top.score


def test_no_match_no_hits() -> None:
    assert index().search("Musterstadt") == []
    assert index().search("und oder wie") == []
    assert index().search("qqqq zzzz") == []
    assert ServiceIndex([]).search("Perso") == []


def test_matched_phrase_is_reported() -> None:
    [hit, *_] = index().search("ich will mich ummelden")
    assert hit.key == "3" and hit.matched == "ummelden"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_search_is_total_and_bounded(query: str) -> None:
    hits = index().search(query, limit=3)
    assert len(hits) <= 3
    assert all(0 < h.score <= 1 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_duisburg_package_loads_and_shapes() -> None:
    data = catalogue.load(PACKAGE)
    assert data.region["regionalschluessel"] == "051120000000"
    keys = [s["schluessel"] for s in data.services]
    assert len(keys) == len(set(keys)) >= 15
    for service in data.services:
        text = zufi.stammtext(service)
        assert text["schluessel"] == service["schluessel"]
        for item in text["modulKosten"]:
            assert isinstance(item["betrag"], float) and item["waehrung"] == "EUR"
        if service["schluessel_quelle"] == "demo":
            assert service["verifiziert"] in {"ja", "teilweise", "nein"}


def write_package(tmp_path: Path, service: dict, offices: list | None = None) -> Path:
    (tmp_path / "leistungen").mkdir()
    (tmp_path / "region.yaml").write_text(
        yaml.safe_dump({"regionalschluessel": "051170000000", "name": "Musterstadt"})
    )
    offices = offices if offices is not None else [{"id": "amt", "name": "Amt"}]
    (tmp_path / "stellen.yaml").write_text(yaml.safe_dump(offices))
    (tmp_path / "leistungen" / "x.yaml").write_text(yaml.safe_dump(service))
    return tmp_path


GOOD = {"schluessel": "99000000000001", "bezeichnung": "Test", "zustaendige_stellen": ["amt"]}


def test_minimal_package_is_accepted(tmp_path: Path) -> None:
    data = catalogue.load(write_package(tmp_path, GOOD))
    assert data.services[0]["kosten"] == {"text": None, "posten": []}
    assert data.region["mandant"] == "Musterstadt"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schluessel": "123"}, "14 digits"),
        ({"bezeichnung": None}, "bezeichnung"),
        ({"zustaendige_stellen": ["nirgends"]}, "unknown office"),
        ({"kosten": {"posten": [{"betrag": -1}]}}, "betrag"),
        ({"kosten": {"posten": [{"betrag": 5, "waehrung": "Euro"}]}}, "waehrung"),
        ({"bearbeitungsdauer": {"dauer": 3, "einheit": "Fortnights"}}, "einheit"),
        ({"verifiziert": "vielleicht"}, "verifiziert"),
        ({"synonyme": "Perso"}, "list"),
    ],
)
def test_malformed_service_is_refused(tmp_path: Path, change: dict, message: str) -> None:
    with pytest.raises(catalogue.DataPackageError, match=message):
        catalogue.load(write_package(tmp_path, {**GOOD, **change}))


def test_duplicate_office_ids_are_refused(tmp_path: Path) -> None:
    offices = [{"id": "amt", "name": "A"}, {"id": "amt", "name": "B"}]
    with pytest.raises(catalogue.DataPackageError, match="unique"):
        catalogue.load(write_package(tmp_path, GOOD, offices))
