"""Forgiving name matching (rapidfuzz): "citypalais", "koenig heinrich platz", "HBF Duisburg"."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from rapidfuzz import fuzz, process, utils

T = TypeVar("T")

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_ABBREVIATIONS = {
    "hbf": "hauptbahnhof",
    "bf": "bahnhof",
    "khp": "koenig heinrich platz",
    "str": "strasse",
    "tg": "tiefgarage",
    "ph": "parkhaus",
}
# Words that describe the kind of place rather than name it.
_GENERIC = {"parkhaus", "tiefgarage", "parkplatz", "haltestelle", "duisburg", "der", "die", "das"}


def normalise(text: str) -> str:
    text = text.casefold().translate(_FOLD)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    words = [_ABBREVIATIONS.get(w, w) for w in text.split()]
    return " ".join(words)


def _core(text: str) -> str:
    words = [w for w in normalise(text).split() if w not in _GENERIC]
    return " ".join(words) or normalise(text)


@dataclass(frozen=True)
class Match(Generic[T]):
    item: T | None  # the confident match, if any
    suggestions: list[T]  # "Meinten Sie …?" candidates, best first


def match(
    query: str,
    items: Sequence[T],
    names: Iterable[Sequence[str]],
    threshold: float = 86,
    suggest_above: float = 55,
) -> Match[T]:
    """Resolve `query` against items, each known by one or more names (name, aliases)."""
    choices: dict[int, str] = {}
    owners: list[int] = []
    for index, item_names in enumerate(names):
        for name in item_names:
            choices[len(owners)] = _core(name)
            owners.append(index)
    target = _core(query)
    if not target or not choices:
        return Match(None, [])
    scored = process.extract(
        target, choices, scorer=fuzz.WRatio, processor=utils.default_process, limit=12
    )
    best: dict[int, float] = {}
    for _choice, score, key in scored:
        owner = owners[key]
        best[owner] = max(best.get(owner, 0), score)
    ranked = sorted(best.items(), key=lambda pair: -pair[1])
    if not ranked:
        return Match(None, [])
    top_index, top_score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    if top_score >= threshold and top_score - runner_up >= 3:
        return Match(items[top_index], [])
    suggestions = [items[i] for i, score in ranked[:3] if score >= suggest_above]
    return Match(None, suggestions)
