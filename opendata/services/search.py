"""Forgiving keyword search over administrative services (like LeiKa's `services?q=`).

Citizens rarely type the official name: they write "Perso", "Anwohnerparkausweis", "ummelden",
"Sperrmüll abholen" or make a typo. The ranking therefore works on stems (see `normalize`) and
scores every query word against each service's vocabulary:

* exact stem: 1.0; one stem inside the other (German compounds, "Perso" → "Personalausweis"):
  0.6–0.95 by length ratio; typo (RapidFuzz `ratio` ≥ 80, ≥ 90 for words under 8 letters):
  0.9 × ratio;
* weighted by field: names and synonyms 1.0, search keywords 0.8, teaser/short text 0.35, full
  text 0.15; and by rarity (words such as "anmelden" that many services share count less);
* plus a phrase bonus when a whole name or synonym ("Umzug melden") occurs in the query.

`score = 0.6 × word coverage + 0.4 × phrase match`, in [0, 1]. The index is small (a city has a
few hundred services at most) and lives in memory; RapidFuzz's `cdist` compares all query words
with the whole vocabulary in one vectorised call.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from opendata.services.normalize import tokens

# Field weights: what a word matched tells about the service.
W_NAME = 1.0
W_SYNONYM = 1.0
W_KEYWORD = 0.8
W_SUMMARY = 0.35
W_BODY = 0.15
STRONG = 0.75  # a word "belongs" to a service when it matches this well (for rarity counts)
MIN_SCORE = 0.3  # below this a service is not offered at all
RELATIVE_CUTOFF = 0.45  # ... nor when it scores less than this share of the best hit
FUZZY_MIN = 80.0  # RapidFuzz ratio needed to accept a typo in a word of 8+ letters
FUZZY_MIN_SHORT = 90.0  # ... in a word of 5-7 letters (shorter words: exact or compound only)
MAX_QUERY_WORDS = 12  # longer questions: the first words carry the topic


@dataclass(frozen=True)
class Document:
    """What the index needs to know about one service."""

    key: str
    names: tuple[str, ...]
    synonyms: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    summary: str = ""
    body: str = ""


@dataclass(frozen=True)
class Hit:
    key: str
    score: float
    matched: str  # the name or synonym that matched best ("" if only single words did)


@dataclass
class _Phrase:
    text: str
    cols: np.ndarray  # vocabulary ids of its stems
    weight: float


@dataclass
class _Entry:
    key: str
    fields: list[tuple[float, np.ndarray]] = field(default_factory=list)  # (weight, vocab ids)
    phrases: list[_Phrase] = field(default_factory=list)


class ServiceIndex:
    """Immutable search index over a list of documents."""

    def __init__(self, documents: Iterable[Document], ignore: Iterable[str] = ()) -> None:
        """`ignore`: words that name the place itself (city name), useless for ranking."""
        self._ignore = frozenset(w for text in ignore for w in tokens(text))
        vocabulary: dict[str, int] = {}

        def ids(words: Iterable[str]) -> np.ndarray:
            found = {vocabulary.setdefault(w, len(vocabulary)) for w in words}
            return np.array(sorted(found), dtype=np.int64)

        self._entries: list[_Entry] = []
        for doc in documents:
            entry = _Entry(doc.key)
            for weight, phrases in (
                (W_NAME, doc.names),
                (W_SYNONYM, doc.synonyms),
                (W_KEYWORD, doc.keywords),
            ):
                words: list[str] = []
                for phrase in phrases:
                    stems = tokens(phrase)
                    words.extend(stems)
                    if stems:
                        entry.phrases.append(_Phrase(phrase, ids(stems), weight))
                if words:
                    entry.fields.append((weight, ids(words)))
            for weight, text in ((W_SUMMARY, doc.summary), (W_BODY, doc.body)):
                words = tokens(text)
                if words:
                    entry.fields.append((weight, ids(words)))
            self._entries.append(entry)
        self._vocabulary = [w for w, _ in sorted(vocabulary.items(), key=lambda kv: kv[1])]

    def __len__(self) -> int:
        return len(self._entries)

    def _similarity(self, query: Sequence[str]) -> np.ndarray:
        """Matrix (query words × vocabulary) of word similarities in [0, 1]."""
        if not self._vocabulary:
            return np.zeros((len(query), 0))
        ratios = process.cdist(query, self._vocabulary, scorer=fuzz.ratio, dtype=np.float32)
        shorter = np.minimum.outer(
            np.array([len(w) for w in query]), np.array([len(v) for v in self._vocabulary])
        )
        # One typo in a long word is fine; in a short one it often flips the meaning
        # ("anmelden" vs "abmelden" are 83 % alike), so short words need a closer match.
        needed = np.where(shorter >= 8, FUZZY_MIN, np.where(shorter >= 5, FUZZY_MIN_SHORT, 101.0))
        sim = np.where(ratios >= needed, ratios / 100.0 * 0.9, 0.0)
        for i, word in enumerate(query):
            for j, other in enumerate(self._vocabulary):
                if word == other:
                    sim[i, j] = 1.0
                    continue
                short, long_ = (word, other) if len(word) <= len(other) else (other, word)
                if len(short) >= 4 and short in long_:
                    part = 0.6 + 0.35 * len(short) / len(long_)
                    if part > sim[i, j]:
                        sim[i, j] = part
        return sim

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """Services for `query`, best first; an empty list when nothing fits."""
        words = [w for w in dict.fromkeys(tokens(query)) if w not in self._ignore]
        words = words[:MAX_QUERY_WORDS]
        if not words or not self._entries:
            return []
        sim = self._similarity(words)
        # best[d, q]: how well query word q matches service d (field weight included)
        best = np.zeros((len(self._entries), len(words)))
        for d, entry in enumerate(self._entries):
            for weight, vocab_ids in entry.fields:
                np.maximum(best[d], sim[:, vocab_ids].max(axis=1) * weight, out=best[d])
        n = len(self._entries)
        frequency = (best >= STRONG).sum(axis=0)
        idf = np.log1p(n / (1.0 + frequency))
        # A word that matches nothing is probably filler the stop list does not know: it lowers
        # coverage a little, not as much as a rare word would.
        unknown = best.max(axis=0) < 0.5
        idf = np.where(unknown, 0.3 * math.log1p(n), idf)
        coverage = (best * idf).sum(axis=1) / idf.sum()
        matched_words = {w for i, w in enumerate(words) if not unknown[i]}

        hits: list[Hit] = []
        for d, entry in enumerate(self._entries):
            phrase_score, phrase_text = self._phrase_score(entry, words, matched_words, sim)
            score = 0.6 * float(coverage[d]) + 0.4 * phrase_score
            hits.append(Hit(entry.key, round(min(score, 1.0), 4), phrase_text))
        hits.sort(key=lambda h: (-h.score, h.key))
        if not hits or hits[0].score < MIN_SCORE:
            return []
        floor = max(MIN_SCORE, hits[0].score * RELATIVE_CUTOFF)
        return [h for h in hits if h.score >= floor][:limit]

    def _phrase_score(
        self, entry: _Entry, words: list[str], matched_words: set[str], sim: np.ndarray
    ) -> tuple[float, str]:
        """How completely one of the service's names/synonyms occurs in the query."""
        best, text = 0.0, ""
        for phrase in entry.phrases:
            cols = phrase.cols
            per_stem = sim[:, cols].max(axis=0)  # how well the query covers each phrase word
            phrase_cover = float(per_stem.mean())
            if phrase_cover < 0.5:
                continue
            inside = int((sim[:, cols].max(axis=1) >= STRONG).sum())  # query words in the phrase
            query_cover = inside / max(1, len(matched_words) or len(words))
            value = phrase.weight * phrase_cover * (0.6 + 0.4 * min(1.0, query_cover))
            if value > best:
                best, text = value, phrase.text
        return best, text
