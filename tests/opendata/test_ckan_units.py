"""Pure functions of the CKAN emulation: German normalisation, Solr parsing, validators."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opendata.ckan import validation as v
from opendata.ckan.datastore import _coerce, _parse_sort, links
from opendata.ckan.dicts import iso, timestamp
from opendata.ckan.errors import SearchError, SearchQueryError
from opendata.ckan.package_search import minimum_should_match, solr_date
from opendata.ckan.solr import Clause, parse, parse_sort
from opendata.ckan.text import (
    Lexicon,
    build_lexicon,
    fold,
    index_lexemes,
    query_groups,
    split_compound,
    stem,
    to_fts5,
    to_tsquery,
    words,
)

LEXICON = build_lexicon(
    ["Kindertageseinrichtungen Plätze", "Parkhäuser und Tiefgaragen", "Ladestationen"],
    extra_vocabulary=["lade", "säule", "park", "haus", "kinder", "tages", "stätte", "platz"],
    synonym_groups=[["Kita", "Kitas", "Kindertagesstätte"], ["Ladesäule", "Ladestation"]],
)


def lexemes(word: str) -> set[str]:
    return set(index_lexemes(word, LEXICON))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Kindertagesstätten", "kindertagesstaetten"),
        ("KINDERTAGESSTÄTTEN", "Kindertagesstätte"),
        ("Straße", "Strasse"),
        ("Parkhäuser", "Parkhaus"),
        ("Parkhaeuser", "parkhaus"),
        ("Baustellen", "Baustelle"),
        ("Kitas", "Kita"),
        ("Größe", "Groesse"),
        ("Übersicht", "Uebersicht"),
        ("Müll", "muell"),
    ],
)
def test_spelling_variants_share_a_stem(a: str, b: str) -> None:
    assert stem(fold(a)) == stem(fold(b))


def test_fold_and_words() -> None:
    assert fold("ÄÖÜäöüß") == "aouaouss"
    assert fold("Café") == "cafe"
    assert list(words("E-Auto: 22 kW, Neudorf-Süd!")) == ["e", "auto", "22", "kw", "neudorf", "sud"]
    assert list(words("x" * 100)) == []  # absurd words are not indexed


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüß", min_size=1, max_size=30))
def test_umlaut_transcriptions_index_like_umlauts(word: str) -> None:
    transcribed = word.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    assert index_lexemes(word) == index_lexemes(transcribed)
    assert index_lexemes(word.upper()) == index_lexemes(word)


def test_compounds_split_against_the_vocabulary() -> None:
    assert split_compound("parkhauser", LEXICON) == ["park", "haus"]
    assert split_compound("ladesaulen", LEXICON) == ["lad", "saul"]
    assert split_compound("kindertagesstatten", LEXICON) is not None
    assert split_compound("xylophon", LEXICON) is None
    assert split_compound("park", LEXICON) is None
    assert split_compound("a" * 200, LEXICON) is None
    assert {"park", "haus"} <= lexemes("Parkhäuser")


def test_query_groups_expand_synonyms_and_parts() -> None:
    groups = query_groups("Kitas in der Nähe", LEXICON)
    assert len(groups) == 2  # "in", "der" are stop words
    rendered = to_fts5(groups[0])
    assert '"kita"*' in rendered and '"kindertagesstatt"*' in rendered
    assert to_tsquery(groups[0]).count(":*") >= 2
    # a word the catalogue uses is searched as is, plus its synonyms
    ladesaulen = to_fts5(query_groups("Ladesäulen", LEXICON)[0])
    assert ladesaulen == '("ladesaul"* OR "ladestation"*)'
    # an unknown compound is also searched by its parts (and their synonyms)
    kitaplatze = to_fts5(query_groups("Kitaplätze", LEXICON)[0])
    assert '"kitaplatz"*' in kitaplatze
    assert '"kindertagesstatt"*' in kitaplatze and '"platz"*' in kitaplatze
    assert query_groups("der die das", LEXICON) == []
    assert query_groups("Kita kita KITAS", LEXICON) == query_groups("Kita", LEXICON)


@given(st.text(max_size=200))
def test_rendered_queries_only_contain_safe_lexemes(query: str) -> None:
    for group in query_groups(query, LEXICON):
        fts = to_fts5(group)
        ts = to_tsquery(group)
        assert "'" not in fts.replace("'", "") and ";" not in fts
        for token in fts.replace("(", " ").replace(")", " ").split():
            assert token in ("AND", "OR") or token.strip('"*').isalnum()
        assert ts.count("'") % 2 == 0


def test_lexicon_round_trips_through_json() -> None:
    restored = Lexicon.from_json(LEXICON.to_json())
    assert restored.vocabulary == LEXICON.vocabulary
    assert restored.synonyms == LEXICON.synonyms


@pytest.mark.parametrize(("count", "required"), [(1, 1), (2, 2), (3, 2), (5, 4), (6, 4), (10, 8)])
def test_minimum_should_match_like_ckan(count: int, required: int) -> None:
    assert minimum_should_match(count) == required


def test_solr_parser() -> None:
    clauses = parse('Kita tags:"Kinder betreuung" -res_format:(CSV OR JSON) +groups:educ')
    assert [(c.field, c.values, c.negate) for c in clauses] == [
        (None, ["Kita"], False),
        ("tags", ["Kinder betreuung"], False),
        ("res_format", ["CSV", "JSON"], True),
        ("groups", ["educ"], False),
    ]
    assert parse("*:*")[0].match_all
    assert parse("metadata_modified:[2026-01-01T00:00:00Z TO NOW]")[0].range == (
        "2026-01-01T00:00:00Z", "NOW")
    assert parse(r"name:stadt\-duisburg")[0].values == ["stadt-duisburg"]
    for broken in ('tags:"offen', "tags:(a OR b", "(", ")", "x:[a TO", "x:[a b c]"):
        with pytest.raises(SearchError):
            parse(broken)


@given(st.text(max_size=120))
def test_solr_parser_only_raises_search_errors(query: str) -> None:
    try:
        clauses = parse(query)
    except SearchError:
        return
    for clause in clauses:
        assert isinstance(clause, Clause)
        assert all(isinstance(value, str) for value in clause.values)


def test_sort_parser() -> None:
    assert parse_sort("score desc, name asc", {"score", "name"}) == [("score", "desc"),
                                                                    ("name", "asc")]
    with pytest.raises(SearchQueryError):
        parse_sort("name", {"name"})
    with pytest.raises(SearchError):
        parse_sort("title asc", {"name"})


def test_solr_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    from opendata import clock

    fixed = datetime.fromisoformat("2026-11-23T07:15:00+00:00")
    monkeypatch.setattr(clock, "now", lambda: fixed)
    assert solr_date("NOW") == datetime(2026, 11, 23, 7, 15)
    assert solr_date("NOW-7DAYS") == datetime(2026, 11, 16, 7, 15)
    assert solr_date("NOW/DAY") == datetime(2026, 11, 23)
    assert solr_date("NOW-1MONTH/DAY") == datetime(2026, 10, 23)
    assert solr_date("2026-01-01T12:00:00+01:00") == datetime(2026, 1, 1, 11, 0)
    assert solr_date("*") is None
    with pytest.raises(SearchError):
        solr_date("gestern")


def test_validators_match_ckan_messages() -> None:
    assert v.int_validator("12") == 12 and v.int_validator(3.0) == 3
    assert v.int_validator("") is None
    for bad in ("zwölf", 2.5, [1], {"a": 1}):
        with pytest.raises(v.Invalid, match="Invalid integer"):
            v.int_validator(bad)
    with pytest.raises(v.Invalid, match="Must be a natural number"):
        v.natural_number("-1")
    assert v.boolean("yes") is True and v.boolean("nein") is False
    with pytest.raises(v.Invalid, match="Could not parse as valid JSON"):
        v.convert_to_json_if_string("[")
    with pytest.raises(v.Invalid, match="Not a string: 1"):
        v.list_of_strings(["a", 1])
    assert v.unicode_or_json('{"a": "b"}') == {"a": "b"}
    assert v.unicode_or_json("[1]") == "[1]"
    assert v.get_list('a, "b c" ,d') == ["a", "b c", "d"]
    clean, errors = v.validate({"rows": "5000", "x": 1},
                               {"rows": [v.default(10), v.natural_number, v.limit_to(1000)]})
    assert clean == {"rows": 1000, "x": 1} and errors == {}


def test_datastore_helpers() -> None:
    assert _parse_sort('"freie Plätze" desc', {"freie Plätze": "int4"}) == (
        "freie Plätze", "desc", None)
    assert _parse_sort("Name asc nulls first", {"Name": "text"}) == ("Name", "asc", "first")
    assert _parse_sort("Nope", {"Name": "text"}) is None
    assert _coerce("5", "int4") == 5 and _coerce("4.5", "numeric") == 4.5
    assert _coerce("ja", "text") == "ja" and _coerce("t", "bool") is True
    assert _coerce("2026-11-23T09:00:00+01:00", "timestamp") == "2026-11-23T09:00:00"
    for value, kind in (("viel", "int4"), ("2.5", "int4"), ("nan", "numeric"), ("x", "date")):
        with pytest.raises(ValueError):
            _coerce(value, kind)
    assert links(None, 100, 0) == {}
    assert links("/api/3/action/datastore_search?resource_id=x&offset=200", 100, 200) == {
        "start": "/api/3/action/datastore_search?resource_id=x",
        "next": "/api/3/action/datastore_search?resource_id=x&offset=300",
        "prev": "/api/3/action/datastore_search?resource_id=x&offset=100",
    }


def test_timestamps_are_deterministic_with_microseconds() -> None:
    first = timestamp("2026-11-02", "kitas")
    assert first == timestamp("2026-11-02", "kitas")
    assert first.date().isoformat() == "2026-11-02" and 6 <= first.hour < 17
    assert first.microsecond != 0
    assert iso(datetime(2026, 1, 1, 0, 0, 0, 5)) == "2026-01-01T00:00:00.000005"
    assert timestamp("2026-01-01T10:00:00.123456", "x").microsecond == 123456
    assert timestamp(None, "x", first) == first


@settings(max_examples=50)
@given(st.text(max_size=60), st.sampled_from(["int4", "numeric", "date", "timestamp", "bool",
                                              "text"]))
def test_coerce_only_raises_value_errors(value: str, kind: str) -> None:
    try:
        result = _coerce(value, kind)
    except ValueError:
        return
    expected = {"int4": int, "numeric": (int, float), "date": str, "timestamp": str,
                "bool": bool, "text": str}[kind]
    assert isinstance(result, expected)
