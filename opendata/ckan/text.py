"""German text normalisation shared by index and query time, and the query tree it produces.

Every word goes through the same pipeline at index and at query time, so that "Kitas",
"KITA" and "Kindertagesstätten"/"Kindertagesstaetten" meet in the index:
casefold -> strip diacritics (ä->a, ß->ss) -> fold the ae/oe/ue spellings -> German Snowball stem
-> drop a plural "s" after a vowel ("kitas" -> "kita"). Compounds are split against the
catalogue's own vocabulary ("Ladesäulen" -> "lade" + "saul") and synonyms from the data package
widen a query word into alternatives. Lexemes are plain [a-z0-9_] strings, safe to quote into an
FTS5 or tsquery expression.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache

import snowballstemmer

WORD = re.compile(r"[^\W_]+")
LEXEME = re.compile(r"^[a-z0-9_]+$")
MAX_WORD = 64  # longer "words" are noise (or an attack); they are not indexed or searched
MIN_PART = 3  # shortest compound part ("see", "tag")
MAX_SPLIT_WORD = 40
PREFIX_MIN = 4  # query stems shorter than this match exactly, longer ones as prefixes

# Function words of German (language, not city data); the data package may add more.
_STOPWORDS = """
    aber alle allem allen aller alles als also am an ans auch auf aus bei beim bin bis bist da
    dann das dass dem den der des die dies diese diesem diesen dieser dieses doch dort du durch
    ein eine einem einen einer eines er es etwas euch für fur gibt hat hatte hier ich ihr im in
    ins ist ja jetzt kann kein keine mich mir mit muss nach nicht noch nur ob oder ohne sich sie
    sind so über uber um und uns unser unter vom von vor war was welche welcher welches wenn wer
    werden wie wir wird wo zu zum zur zwischen bitte gerne zeig zeige suche finde möchte mochte
    brauche
"""


def fold(word: str) -> str:
    """Casefold, strip diacritics and fold the ae/oe/ue transcriptions of umlauts."""
    text = unicodedata.normalize("NFKD", word.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"([aou])e+", r"\1", text)


GERMAN_STOPWORDS = frozenset(fold(w) for w in _STOPWORDS.split())

_STEMMER = snowballstemmer.stemmer("german")


@lru_cache(maxsize=200_000)
def stem(folded: str) -> str:
    """German Snowball stem of a folded word, plus the plural "s" after a vowel."""
    if folded.isdigit():
        return folded
    result = _STEMMER.stemWord(folded)
    if len(result) >= 4 and result[-1] == "s" and result[-2] in "aioy":
        result = result[:-1]
    return result


def words(text: str) -> Iterator[str]:
    """Folded words of a text, in order (stop words included)."""
    for match in WORD.finditer(text):
        raw = match.group(0)
        if len(raw) <= MAX_WORD:
            folded = fold(raw)
            if folded and LEXEME.match(folded):
                yield folded


@dataclass
class Lexicon:
    """What the search knows about the catalogue's language: vocabulary, stop words, synonyms."""

    vocabulary: frozenset[str] = frozenset()  # folded words and their stems
    stopwords: frozenset[str] = GERMAN_STOPWORDS
    # stem of a single word -> alternative phrases (each a tuple of stems, all required)
    synonyms: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    splits: dict[str, list[str] | None] = field(default_factory=dict, repr=False, compare=False)

    def knows(self, part: str) -> bool:
        return part in self.vocabulary or stem(part) in self.vocabulary

    def to_json(self) -> dict:
        return {
            "vocabulary": sorted(self.vocabulary),
            "stopwords": sorted(self.stopwords),
            "synonyms": {k: [list(p) for p in v] for k, v in sorted(self.synonyms.items())},
        }

    @classmethod
    def from_json(cls, data: dict) -> Lexicon:
        return cls(
            vocabulary=frozenset(data.get("vocabulary", ())),
            stopwords=frozenset(data.get("stopwords", ())) or GERMAN_STOPWORDS,
            synonyms={
                k: tuple(tuple(p) for p in v) for k, v in data.get("synonyms", {}).items()
            },
        )


def build_lexicon(
    texts: Iterable[str],
    extra_vocabulary: Iterable[str] = (),
    extra_stopwords: Iterable[str] = (),
    synonym_groups: Iterable[Iterable[str]] = (),
) -> Lexicon:
    """Vocabulary from the catalogue's own texts plus the data package's search settings."""
    stopwords = GERMAN_STOPWORDS | {fold(w) for w in extra_stopwords}
    vocabulary: set[str] = set()
    groups = [list(g) for g in synonym_groups]
    sources = [*texts, *extra_vocabulary, *(p for g in groups for p in g)]
    for text in sources:
        for word in words(text):
            if len(word) >= MIN_PART and word not in stopwords and not word.isdigit():
                vocabulary.add(word)
                vocabulary.add(stem(word))
    lexicon = Lexicon(vocabulary=frozenset(vocabulary), stopwords=frozenset(stopwords))
    synonyms: dict[str, set[tuple[str, ...]]] = {}
    for group in groups:
        phrases = [tuple(stem(w) for w in words(p) if w not in stopwords) for p in group]
        phrases = [p for p in phrases if p]
        for phrase in phrases:
            if len(phrase) == 1:
                synonyms.setdefault(phrase[0], set()).update(q for q in phrases if q != phrase)
    lexicon.synonyms = {k: tuple(sorted(v)) for k, v in synonyms.items() if v}
    return lexicon


def split_compound(word: str, lexicon: Lexicon) -> list[str] | None:
    """Split a folded compound into known parts ("parkhauser" -> ["park", "hauser"]).

    Parts must be in the catalogue vocabulary (or stem to a word in it); a linking "s"/"es"/"n"/
    "en"/"e" may sit between parts. The split with the fewest parts wins, longer heads first.
    """
    if len(word) < 2 * MIN_PART or len(word) > MAX_SPLIT_WORD or not lexicon.vocabulary:
        return None
    if word in lexicon.splits:
        return lexicon.splits[word]
    if len(lexicon.splits) > 100_000:  # bounded memory under adversarial queries
        lexicon.splits.clear()
    parts = _split(word, lexicon)
    lexicon.splits[word] = parts
    return parts


def _split(word: str, lexicon: Lexicon) -> list[str] | None:

    @cache
    def best(start: int) -> tuple[str, ...] | None:
        rest = word[start:]
        if start > 0 and len(rest) >= MIN_PART and lexicon.knows(rest):
            return (rest,)
        candidates: list[tuple[str, ...]] = []
        for end in range(len(word) - MIN_PART, start + MIN_PART - 1, -1):
            head = word[start:end]
            if head in lexicon.stopwords or not lexicon.knows(head):
                continue
            for link in ("", "s", "es", "n", "en", "e"):
                if link and not word.startswith(link, end):
                    continue
                tail_start = end + len(link)
                if len(word) - tail_start < MIN_PART:
                    continue
                tail = best(tail_start)
                if tail is not None:
                    candidates.append((head, *tail))
            if candidates:
                break
        if not candidates:
            return None
        return min(candidates, key=len)

    parts = best(0)
    if parts is None or len(parts) < 2 or len(parts) > 4:
        return None
    return [stem(p) for p in parts]


def index_lexemes(text: str, lexicon: Lexicon | None = None) -> list[str]:
    """Lexemes to index for a text: the stem of every word, plus its compound parts."""
    out: list[str] = []
    for word in words(text):
        if lexicon is not None and word in lexicon.stopwords:
            continue
        out.append(stem(word))
        if lexicon is not None:
            parts = split_compound(word, lexicon)
            if parts:
                out.extend(parts)
    return out


# --- query trees -------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    lexeme: str
    prefix: bool


@dataclass(frozen=True)
class All:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Any_:
    children: tuple[Node, ...]


Node = Term | All | Any_


def term(lexeme: str) -> Term:
    return Term(lexeme, prefix=len(lexeme) >= PREFIX_MIN and not lexeme.isdigit())


def _any(children: Iterable[Node]) -> Node:
    unique = tuple(dict.fromkeys(children))
    return unique[0] if len(unique) == 1 else Any_(unique)


def _all(children: Iterable[Node]) -> Node:
    unique = tuple(dict.fromkeys(children))
    return unique[0] if len(unique) == 1 else All(unique)


def _alternatives(lexeme: str, lexicon: Lexicon) -> list[Node]:
    nodes: list[Node] = [term(lexeme)]
    for phrase in lexicon.synonyms.get(lexeme, ()):
        nodes.append(_all(term(s) for s in phrase))
    return nodes


def query_groups(text: str, lexicon: Lexicon) -> list[Node]:
    """One node per distinct query word: the word, its synonyms, or all of its compound parts."""
    groups: list[Node] = []
    seen: set[str] = set()
    for word in words(text):
        if word in lexicon.stopwords:
            continue
        lexeme = stem(word)
        if lexeme in seen:
            continue
        seen.add(lexeme)
        options = _alternatives(lexeme, lexicon)
        # A word the catalogue itself uses is searched as it is ("Haushalt" is no "Haus"+"halt");
        # only unknown compounds ("Kitaplätze") are also searched by their parts.
        parts = None if lexicon.knows(word) else split_compound(word, lexicon)
        if parts:
            options.append(_all(_any(_alternatives(p, lexicon)) for p in parts))
        groups.append(_any(options))
    return groups


def plain_groups(text: str) -> list[Node]:
    """Query words without lexicon (datastore search): stems, prefix-matched when long."""
    return [term(lexeme) for lexeme in dict.fromkeys(stem(w) for w in words(text))]


def to_fts5(node: Node, tag: str = "") -> str:
    """Render a query tree as an SQLite FTS5 MATCH expression."""
    if isinstance(node, Term):
        return f'"{tag}{node.lexeme}"' + ("*" if node.prefix else "")
    joiner = " AND " if isinstance(node, All) else " OR "
    return "(" + joiner.join(to_fts5(c, tag) for c in node.children) + ")"


def to_tsquery(node: Node, tag: str = "") -> str:
    """Render a query tree as PostgreSQL tsquery input (lexemes taken literally)."""
    if isinstance(node, Term):
        return f"'{tag}{node.lexeme}'" + (":*" if node.prefix else "")
    joiner = " & " if isinstance(node, All) else " | "
    return "(" + joiner.join(to_tsquery(c, tag) for c in node.children) + ")"


def either(nodes: list[Node]) -> Node:
    return _any(nodes)


def both(nodes: list[Node]) -> Node:
    return _all(nodes)
