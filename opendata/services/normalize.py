"""German text normalisation for the service search: case, umlauts, inflection, filler words.

Both the catalogue and the query go through the same steps, so "Sperrmüll", "sperrmuell" and
"Sperrmülls" end up as the same stem and the ranking only has to compare stems.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NON_WORD = re.compile(r"[^0-9a-z]+")

# Words that carry no meaning for finding a service (question words, pronouns, articles, modal
# verbs, politeness). Verbs such as "anmelden" or "beantragen" stay: they tell services apart.
# fmt: off
STOPWORDS = frozenset(
    {
        "a", "ab", "aber", "alle", "als", "also", "am", "an", "auch", "auf", "aus", "bei", "beim",
        "bin", "bis", "bitte", "brauch", "brauche", "brauchen", "bzw", "da", "damit", "dann", "das",
        "dass", "dem", "den", "denn", "der", "des", "dich", "die", "dies", "diese", "diesem",
        "diesen", "dieser", "doch", "dort", "du", "durch", "ein", "eine", "einem", "einen", "einer",
        "eines", "er", "es", "etwa", "euch", "euer", "fuer", "gibt", "gern", "gerne", "geht", "hab",
        "habe", "haben", "hallo", "hat", "hier", "ich", "ihr", "im", "in", "ins", "ist", "ja",
        "jemand", "kann", "kannst", "koennen", "koennte", "man", "mein", "meine", "meinem", "meinen",
        "meiner", "mich", "mir", "mit", "moechte", "moechten", "muss", "muessen", "nach", "neu",
        "neue", "neuen", "nicht", "noch", "nun", "nur", "ob", "oder", "ohne", "sein", "seine", "sich",
        "sie", "sind", "so", "soll", "sollte", "tun", "uns", "und", "unser", "vom", "von", "vor",
        "war", "was", "welche", "welchem", "welchen", "welcher", "welches", "wenn", "wer", "werde",
        "werden", "wie", "will", "wir", "wird", "wo", "woher", "wohin", "wollen", "zu", "zum", "zur",
        # what the citizen wants to know about a service, not which service it is
        "kosten", "kostet", "gebuehr", "gebuehren", "preis", "viel", "wieviel", "unterlagen",
        "dokumente", "papiere", "dauer", "dauert", "lange", "oeffnungszeiten", "geoeffnet", "offen",
        "termin", "termine", "online", "info", "infos", "informationen", "frage", "fragen",
    }
)
# fmt: on

_stemmer = snowballstemmer.stemmer("german")


def fold(text: str) -> str:
    """Lower-case, umlauts as ae/oe/ue, ß as ss, accents dropped, punctuation as spaces."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return _NON_WORD.sub(" ", text).strip()


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """Snowball stem of a folded word (the stemmer also maps ue/ae/oe to u/a/o)."""
    return _stemmer.stemWord(word)


def tokens(text: str, drop_stopwords: bool = True) -> list[str]:
    """Folded, stemmed words of `text`, in order; filler words dropped unless asked."""
    words = fold(text).split()
    if drop_stopwords:
        words = [w for w in words if w not in STOPWORDS]
    return [stem(w) for w in words if w]
