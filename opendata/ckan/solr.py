"""The subset of Solr query syntax that CKAN clients put into `q`, `fq` and `sort`.

Supported: bare words and "quoted phrases" (free text), `field:value`, `field:"quoted value"`,
`field:(a OR b)`, `field:[from TO to]` with `*` and NOW date math, `field:prefix*`, `+`/`-`/NOT
prefixes, `*:*`. Syntax errors raise SearchError as CKAN does when Solr refuses a query; a bad
sort direction raises SearchQueryError('Invalid "sort" parameter') like ckan.lib.search.query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from opendata.ckan.errors import SearchError, SearchQueryError

MAX_CLAUSES = 1024  # Solr's maxBooleanClauses


@dataclass
class Clause:
    """One query clause. field None = free text; values are alternatives (OR)."""

    field: str | None
    values: list[str] = field(default_factory=list)
    negate: bool = False
    range: tuple[str, str] | None = None
    match_all: bool = False


def _syntax_error(query: str, why: str) -> SearchError:
    shown = query if len(query) <= 200 else query[:200] + "…"
    return SearchError(
        f"SOLR returned an error running query: org.apache.solr.search.SyntaxError: "
        f"Cannot parse '{shown}': {why}"
    )


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def done(self) -> bool:
        self.skip_space()
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def quoted(self) -> str:
        """Read a "quoted string" starting at the current quote."""
        start = self.pos + 1
        i = start
        while i < len(self.text):
            if self.text[i] == "\\":
                i += 2
                continue
            if self.text[i] == '"':
                self.pos = i + 1
                return _unescape(self.text[start:i])
            i += 1
        raise _syntax_error(self.text, "Lexical error: unterminated quoted string")

    def bare(self) -> str:
        start = self.pos
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\":
                self.pos += 2
                continue
            if ch.isspace() or ch in '()"':
                break
            self.pos += 1
        return self.text[start:self.pos]


def _field_split(word: str) -> tuple[str | None, str]:
    match = re.match(r"^([A-Za-z_][\w.\-]*|\*):(.*)$", word, re.S)
    if not match:
        return None, word
    return match.group(1), match.group(2)


def parse(query: str) -> list[Clause]:
    """Parse a q or fq string into clauses (top level joined by AND, as CKAN sets q.op=AND)."""
    scanner = _Scanner(query)
    clauses: list[Clause] = []
    negate_next = False
    while not scanner.done():
        ch = scanner.peek()
        negate = negate_next
        negate_next = False
        if ch in "+-" and scanner.pos + 1 < len(query) and not query[scanner.pos + 1].isspace():
            negate = negate or ch == "-"
            scanner.pos += 1
            ch = scanner.peek()
        if ch == '"':
            clauses.append(Clause(None, [scanner.quoted()], negate))
        elif ch == "(":
            scanner.pos += 1
            values = _group_values(scanner)
            clauses.append(Clause(None, values, negate))
        elif ch == ")":
            raise _syntax_error(query, "Encountered \" \")\" \") \"\"")
        else:
            word = scanner.bare()
            if not word:
                raise _syntax_error(query, f"Encountered \" {ch!r} \"")
            if word in ("AND", "OR", "&&", "||"):
                continue
            if word in ("NOT", "!"):
                negate_next = True
                continue
            name, rest = _field_split(word)
            if name is None:
                clauses.append(Clause(None, [_unescape(word)], negate))
                continue
            clauses.append(_fielded(scanner, name, rest, negate))
        if len(clauses) > MAX_CLAUSES:
            raise SearchError("SOLR returned an error running query: too many boolean clauses")
    return clauses


def _fielded(scanner: _Scanner, name: str, rest: str, negate: bool) -> Clause:
    if name == "*":
        if rest != "*":
            raise _syntax_error(scanner.text, "'*' is not allowed as a field name here")
        return Clause(None, [], negate, match_all=True)
    if rest == "":
        ch = scanner.peek()
        if ch == '"':
            return Clause(name, [scanner.quoted()], negate)
        if ch == "(":
            scanner.pos += 1
            return Clause(name, _group_values(scanner), negate)
        raise _syntax_error(scanner.text, f"Encountered \"<EOF>\" after \"{name}:\"")
    if rest[0] in "[{":
        return Clause(name, [], negate, range=_range(scanner, rest))
    if rest == "*":
        return Clause(name, ["*"], negate)
    return Clause(name, [_unescape(rest)], negate)


def _group_values(scanner: _Scanner) -> list[str]:
    """Values inside (...) up to the matching closing parenthesis; nested groups are flattened
    and OR/AND between values are ignored. Iterative, so any nesting costs linear time."""
    values: list[str] = []
    depth = 1
    while True:
        if scanner.done():
            raise _syntax_error(scanner.text, "Encountered \"<EOF>\", expected \")\"")
        ch = scanner.peek()
        if ch == ")":
            scanner.pos += 1
            depth -= 1
            if depth == 0:
                return values
            continue
        if ch == "(":
            scanner.pos += 1
            depth += 1
            continue
        if ch == '"':
            values.append(scanner.quoted())
        else:
            word = scanner.bare()
            if not word:
                raise _syntax_error(scanner.text, f"Encountered \" {ch!r} \"")
            if word not in ("AND", "OR", "NOT", "&&", "||"):
                values.append(_unescape(word.lstrip("+")))
        if len(values) > MAX_CLAUSES:
            raise SearchError("SOLR returned an error running query: too many boolean clauses")


def _range(scanner: _Scanner, start: str) -> tuple[str, str]:
    """`[a TO b]` (the first word was already read as part of `field:[a`)."""
    parts = [start[1:]]
    while True:
        if scanner.done():
            raise _syntax_error(scanner.text, "Encountered \"<EOF>\" in range")
        word = scanner.bare()
        if not word:
            ch = scanner.peek()
            if ch in "]}":
                scanner.pos += 1
                break
            raise _syntax_error(scanner.text, f"Encountered \" {ch!r} \" in range")
        if word[-1] in "]}":
            parts.append(word[:-1])
            break
        parts.append(word)
        if len(parts) > 4:
            raise _syntax_error(scanner.text, "malformed range")
    parts = [p for p in parts if p]
    if len(parts) != 3 or parts[1] != "TO":
        raise _syntax_error(scanner.text, "malformed range, expected [from TO to]")
    return parts[0], parts[2]


SORT_DIRECTIONS = ("asc", "desc")


def parse_sort(sort: str, allowed: set[str]) -> list[tuple[str, str]]:
    """`score desc, metadata_modified desc` -> [("score", "desc"), ...].

    A clause without a valid direction is refused like Solr ("Can't determine a Sort Order"),
    which CKAN reports as SearchQueryError; an unknown field is a Solr error (SearchError).
    """
    result: list[tuple[str, str]] = []
    for part in sort.split(","):
        bits = part.split()
        if not bits:
            continue
        if len(bits) != 2 or bits[1].lower() not in SORT_DIRECTIONS:
            raise SearchQueryError('Invalid "sort" parameter')
        name, direction = bits[0], bits[1].lower()
        if name not in allowed:
            shown = name if len(name) <= 100 else name[:100] + "…"
            raise SearchError(
                f"SOLR returned an error running query: sort param field can't be found: {shown}"
            )
        result.append((name, direction))
    return result
