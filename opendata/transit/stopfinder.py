"""Forgiving stop search for EFA's stop finder: ranking, match quality and "is best" (pure).

Names are folded (case, umlauts as ae/oe/ue, ß as ss, punctuation, "Hbf" = "Hauptbahnhof",
"Str." = "Straße"), a leading or trailing locality ("Duisburg, Rathaus") becomes a filter, and
small typos are tolerated with rapidfuzz. A candidate is "best" only when the query singles it
out: "Hamborn Rathaus" does, "Rathaus" does not (Rathaus, Hamborn Rathaus, Walsum Rathaus ...
all contain it), so the client has to ask which one is meant, exactly as with the real EFA.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

SYNONYMS = {
    "hbf": ("hauptbahnhof",),
    "hauptbf": ("hauptbahnhof",),
    "hbhf": ("hauptbahnhof",),
    "bf": ("bahnhof",),
    "bhf": ("bahnhof",),
    "str": ("strasse",),
    "pl": ("platz",),
    "st": ("sankt",),
    "hl": ("heilige",),
}
# Match qualities. Candidates of an ambiguous query stay within 50 points of each other (an
# exact "Rathaus" 930, "Hamborn Rathaus" 894), so clients that only compare qualities ask too.
DEFINITIVE = 1000  # the full EFA name, e.g. "Duisburg, Rathaus"
EXACT = 930
CONTAINED = 900
INITIALS = 850
FUZZY_CONTAINED = 780
OTHER_LOCALITY = 300  # penalty when the query names another locality
NOT_HOME = 20  # tie-break towards the default locality when the query names none
MIN_SCORE = 500
BEST_MARGIN = 100  # a rival in the same locality this close makes the query ambiguous
PRESELECT_ABOVE = 1000  # larger indexes (a whole region) are narrowed down by rapidfuzz first
PRESELECT = 400


def fold(text: str) -> list[str]:
    """Search tokens of a text: 'König-Heinrich-Pl.' -> ['koenig', 'heinrich', 'platz']."""
    text = text.casefold()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, plain)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    tokens: list[str] = []
    for token in re.sub(r"[^0-9a-z]+", " ", text).split():
        if token in SYNONYMS:
            tokens.extend(SYNONYMS[token])
        elif len(token) > 4 and token.endswith("str"):
            tokens.append(token[:-3] + "strasse")
        else:
            tokens.append(token)
    return tokens


@dataclass(frozen=True)
class Candidate:
    """A searchable stop (station or stop without station) and its locality."""

    key: int
    name: str
    locality: str  # "" when unknown
    is_home: bool  # in the city's default locality

    @property
    def full_name(self) -> str:
        return f"{self.locality}, {self.name}" if self.locality else self.name


@dataclass(frozen=True)
class _Entry:
    candidate: Candidate
    core: tuple[str, ...]  # name tokens without the locality's tokens
    full: tuple[str, ...]  # locality + name tokens
    initials: str


@dataclass(frozen=True)
class Match:
    candidate: Candidate
    quality: int
    is_best: bool


def _contained(query: tuple[str, ...], core: tuple[str, ...], fuzzy: bool) -> bool:
    """Every query token equals, prefixes (>= 3 letters) or, if fuzzy, resembles a core token."""
    free = list(core)
    for token in query:
        for i, word in enumerate(free):
            if (
                word == token
                or (len(token) >= 3 and word.startswith(token))
                or (fuzzy and len(token) >= 4 and fuzz.ratio(token, word) >= 85)
            ):
                del free[i]
                break
        else:
            return False
    return True


class StopIndex:
    """All searchable stops of a feed, prepared once and queried per request."""

    def __init__(self, candidates: Iterable[Candidate]) -> None:
        self.entries: list[_Entry] = []
        self.localities: dict[tuple[str, ...], str] = {}
        for candidate in candidates:
            loc_tokens = tuple(fold(candidate.locality))
            if loc_tokens:
                self.localities.setdefault(loc_tokens, candidate.locality)
                self.localities.setdefault(loc_tokens[:1], candidate.locality)
            name_tokens = tuple(fold(candidate.name))
            core = tuple(t for t in name_tokens if t not in loc_tokens) or name_tokens
            self.entries.append(
                _Entry(
                    candidate=candidate,
                    core=core,
                    full=loc_tokens + name_tokens,
                    initials="".join(t[0] for t in core),
                )
            )
        self._choices = [" ".join(e.full) for e in self.entries]

    def _pool(self, query: tuple[str, ...]) -> list[_Entry]:
        """All entries, or for a big index the few hundred that resemble the query at all."""
        if len(self.entries) <= PRESELECT_ABOVE:
            return self.entries
        hits = process.extract(
            " ".join(query), self._choices, scorer=fuzz.WRatio, limit=PRESELECT, score_cutoff=50
        )
        return [self.entries[index] for _, _, index in hits]

    def _split_locality(self, tokens: tuple[str, ...]) -> tuple[tuple[str, ...], str | None]:
        """Take a locality named at the start or end of the query off the query."""
        for size in (4, 3, 2, 1):
            if len(tokens) <= size:
                continue
            for head, rest in ((tokens[:size], tokens[size:]), (tokens[-size:], tokens[:-size])):
                if head in self.localities:
                    return rest, self.localities[head]
        return tokens, None

    def _score(self, entry: _Entry, query: tuple[str, ...], raw: tuple[str, ...]) -> int:
        if sorted(raw) == sorted(entry.full) or (
            raw == tuple(fold(entry.candidate.name)) and raw != entry.core
        ):
            return DEFINITIVE
        if query == entry.core:
            return EXACT
        if sorted(query) == sorted(entry.core):
            return EXACT - 5
        extra = len(entry.core) - len(query)
        if _contained(query, entry.core, fuzzy=False):
            return max(CONTAINED - 6 * extra, 870)
        joined = "".join(query)
        if len(query) == 1 and len(joined) >= 3 and joined == entry.initials:
            return INITIALS
        if _contained(query, entry.core, fuzzy=True):
            return max(FUZZY_CONTAINED - 10 * extra, 700)
        ratio = fuzz.ratio(" ".join(query), " ".join(entry.core))
        return int(ratio * 7.5) if ratio >= 80 else 0

    def search(self, text: str, place: str | None = None, limit: int = 10) -> list[Match]:
        """Ranked candidates for `text`; `place` (e.g. place_dm) restricts the locality."""
        raw = tuple(fold(text))
        if not raw:
            return []
        query, named = self._split_locality(raw)
        wanted = named or (place.strip() if place and place.strip() else None)
        wanted_folded = tuple(fold(wanted)) if wanted else None
        scored: list[tuple[int, _Entry]] = []
        for entry in self._pool(raw):
            score = self._score(entry, query, raw)
            if score < MIN_SCORE and query != raw:
                score = max(score, self._score(entry, raw, raw))
            if score < MIN_SCORE:
                continue
            if wanted_folded is not None:
                loc = tuple(fold(entry.candidate.locality))
                if loc != wanted_folded and loc[:1] != wanted_folded:
                    score -= OTHER_LOCALITY
            elif not entry.candidate.is_home:
                score -= NOT_HOME
            if score >= MIN_SCORE:
                scored.append((score, entry))
        scored.sort(key=lambda s: (-s[0], len(s[1].candidate.name), s[1].candidate.name))
        if not scored:
            return []
        top_score, top = scored[0]
        # Rivals: close candidates in the same locality; a mere look-alike (fuzzy) does not
        # rival a stop that contains every word of the query.
        threshold = top_score - BEST_MARGIN
        if top_score >= 800:
            threshold = max(threshold, 800)
        rivals = [
            s
            for s, e in scored[1:]
            if e.candidate.locality == top.candidate.locality and s >= threshold
        ]
        best = top_score >= DEFINITIVE - NOT_HOME or (top_score >= 700 and not rivals)
        return [
            Match(entry.candidate, min(score, DEFINITIVE), best and i == 0)
            for i, (score, entry) in enumerate(scored[:limit])
        ]
