"""Keeps the held-out NLU set apart from the training data: one normalisation, one duplicate rule.

A held-out message overlaps the training data when, after `normalise` (lower case, ä/ö/ü/ß as
ae/oe/ue/ss, punctuation dropped, whitespace collapsed), it equals a training example ("exact") or
scores `fuzz.ratio` >= NEAR_DUPLICATE_RATIO against one ("near", e.g. one typo apart). Training
examples are the intent examples of every NLU file Rasa trains on (TRAINING_DATA, as in
bot/launcher.py), with entity annotations reduced to their text. Lookup tables, synonyms and regexes
are names and patterns, not messages, and are not compared.

Used by tests/assistant/test_heldout_overlap.py and bench/nlu.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "bench" / "data" / "nlu_heldout.yml"
# The --data of `rasa train` in bot/launcher.py (build/nlu is generated and may be missing).
TRAINING_DATA = (ROOT / "nlu_data", ROOT / "build" / "nlu")
NEAR_DUPLICATE_RATIO = 90.0

# [text](entity), [text](entity:value), [text]{"entity": ...}, [text][{...}, {...}]
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\])")
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
APOSTROPHES = re.compile(r"['’‘´`]")  # "gibt's" is "gibts"
PUNCTUATION = re.compile(r"[^\w\s]|_")  # "König-Heinrich-Platz" is "König Heinrich Platz"
SPACES = re.compile(r"\s+")


def plain_text(example: str) -> str:
    """The message as the user typed it: entity annotations reduced to their text."""
    return ANNOTATION.sub(r"\1", example).strip()


def normalise(text: str) -> str:
    """Lower case, ä/ö/ü/ß as ae/oe/ue/ss, punctuation dropped, whitespace collapsed."""
    text = APOSTROPHES.sub("", unicodedata.normalize("NFC", text).lower().translate(UMLAUTS))
    return SPACES.sub(" ", PUNCTUATION.sub(" ", text)).strip()


@dataclass(frozen=True)
class Example:
    intent: str
    text: str  # plain text
    source: str  # file, relative to ROOT when possible


@dataclass(frozen=True)
class Overlap:
    heldout: Example
    training: Example
    ratio: float

    @property
    def exact(self) -> bool:
        return normalise(self.heldout.text) == normalise(self.training.text)

    def __str__(self) -> str:
        kind = "exact" if self.exact else f"near {self.ratio:.0f}"
        return (
            f"[{kind}] held-out {self.heldout.intent}: {self.heldout.text!r}\n"
            f"        training {self.training.intent} ({self.training.source}): "
            f"{self.training.text!r}"
        )


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def intent_examples(path: Path) -> list[Example]:
    """The intent examples of one Rasa NLU YAML file (none for rules, stories, domain files)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = (data.get("nlu") or []) if isinstance(data, dict) else []
    examples = []
    for item in items:
        if not isinstance(item, dict) or "intent" not in item:
            continue
        raw = item.get("examples") or ""
        lines = (
            [entry.get("text", "") for entry in raw if isinstance(entry, dict)]
            if isinstance(raw, list)
            else [line.strip()[2:] for line in raw.splitlines() if line.strip().startswith("- ")]
        )
        examples += [
            Example(item["intent"], plain_text(line), _relative(path)) for line in lines if line
        ]
    return examples


def training_examples(roots: Iterable[Path] = TRAINING_DATA) -> list[Example]:
    files = [
        p for r in roots if r.exists() for p in ([r] if r.is_file() else sorted(r.rglob("*.yml")))
    ]
    return [example for path in files for example in intent_examples(path)]


def heldout_examples(path: Path = HELDOUT) -> list[Example]:
    return intent_examples(path)


def find_overlaps(
    heldout: Sequence[Example],
    training: Sequence[Example],
    threshold: float = NEAR_DUPLICATE_RATIO,
) -> list[Overlap]:
    """Every held-out example that is an exact or near duplicate of a training example."""
    choices = [normalise(example.text) for example in training]
    exact = {text: index for index, text in reversed(list(enumerate(choices)))}
    overlaps = []
    for example in heldout:
        query = normalise(example.text)
        if query in exact:
            overlaps.append(Overlap(example, training[exact[query]], 100.0))
            continue
        best = process.extractOne(
            query, choices, scorer=fuzz.ratio, processor=None, score_cutoff=threshold
        )
        if best is not None:
            overlaps.append(Overlap(example, training[best[2]], best[1]))
    return overlaps
