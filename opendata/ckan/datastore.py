"""datastore_search as ckanext-datastore 2.10/2.11 answers it, over JSON records.

Validation, error messages, result keys and `_links` follow ckanext/datastore (logic/schema.py,
plugin.datastore_validate, backend/postgres.search_data). Records live as JSON documents
(JSONB on PostgreSQL) and are filtered and sorted inside the database; full-text queries use the
record index of opendata.ckan.search_index.
"""

from __future__ import annotations

import csv
import io
import json
from collections import OrderedDict
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import Float, Integer, and_, cast, func, literal, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from opendata.ckan import catalogue, search_index
from opendata.ckan import validation as v
from opendata.ckan.errors import NotFound, ValidationError
from opendata.ckan.models import CkanDatastoreRecord
from opendata.ckan.text import Node, both, either, plain_groups

ROWS_MAX = 32000  # ckan.datastore.search.rows_max
SQL_INT_MAX = 2**63 - 1
FORMATS = ("objects", "lists", "csv", "tsv")

SCHEMA: v.Schema = {
    "resource_id": [v.not_missing, v.not_empty, v.unicode_safe],
    "q": [v.ignore_missing, v.unicode_or_json],
    "plain": [v.ignore_missing, v.boolean],
    "filters": [v.ignore_missing, v.json_validator],
    "language": [v.ignore_missing, v.unicode_safe],
    "limit": [v.default(100), v.natural_number, v.limit_to(ROWS_MAX)],
    "offset": [v.ignore_missing, v.int_validator],
    "fields": [v.ignore_missing, v.list_of_strings_or_string],
    "sort": [v.ignore_missing, v.list_of_strings_or_string],
    "distinct": [v.ignore_missing, v.boolean],
    "include_total": [v.default(True), v.boolean],
    "total_estimation_threshold": [v.default(None), v.int_validator],
    "records_format": [v.default("objects"), v.one_of(FORMATS)],
    "full_text": [v.ignore_missing, v.unicode_safe],
}


def _invalid(key: str, value: Any) -> ValidationError:
    shown = str(value)
    shown = shown if len(shown) <= 200 else shown[:200] + "…"
    return ValidationError({key: [f'invalid value "{shown}"']})


def _first(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return value[0] if value else ""
    if isinstance(value, dict):
        return next(iter(value), "")
    return value


def validate(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    data.pop("callback", None)
    if data.get("id"):  # __before: rename('id', 'resource_id')
        data["resource_id"] = data.pop("id")
    else:
        data.pop("id", None)
    clean, errors = v.validate(data, SCHEMA)
    junk = [key for key in clean if key not in SCHEMA]
    if junk and not errors:
        listed = ", ".join(f"({key!r},)" for key in junk[:20])
        errors["__junk"] = [f"The input field [{listed}] was not expected."]
    if errors:
        raise ValidationError(errors)
    if clean.get("offset") is None:
        clean.pop("offset", None)
    return clean


def datastore_search(
    session: Session, data: dict[str, Any], current_url: str | None = None
) -> dict[str, Any]:
    clean = validate(data)
    requested = clean["resource_id"]
    table = catalogue.find_datastore_table(session, requested)
    if table is None:
        raise NotFound(f'Resource "{requested}" was not found.')
    clean["resource_id"] = table.resource_id
    fields = json.loads(table.fields)
    types: OrderedDict[str, str] = OrderedDict([("_id", "int")])
    types.update((f["id"], f["type"]) for f in fields)
    info = {f["id"]: f["info"] for f in fields if f.get("info")}
    positions = {f["id"]: i for i, f in enumerate(fields)}

    search = _Search(session, table.pk, types, positions)
    q = clean.get("q")
    full_text = clean.get("full_text")
    plain = clean.get("plain", True)
    rank_names: list[str] = []
    if isinstance(q, dict):
        for key, value in q.items():
            if key not in types or not isinstance(value, str):
                raise _invalid("q", key)
        rank_names = search.text_per_field(q, plain)
        if full_text:
            search.text(full_text, plain)
    elif q or full_text:
        search.text(str(full_text or q), plain)
        rank_names = ["rank"]
    for name in rank_names:
        types[name] = "float"

    filters = clean.get("filters")
    if filters is not None:
        if not isinstance(filters, dict):
            raise _invalid("filters", _first(filters))
        for key, value in filters.items():
            if key not in types or key in rank_names:
                raise _invalid("filters", key)
            search.filter(key, value)

    selected = v.get_list(clean.get("fields"))
    if selected:
        unknown = [name for name in selected if not isinstance(name, str) or name not in types]
        if unknown:
            raise _invalid("fields", unknown[0])
    else:
        selected = list(types)

    sort_clauses = v.get_list(clean.get("sort"), strip_values=False) or []
    order = []
    for clause in sort_clauses:
        parsed = _parse_sort(clause, types) if isinstance(clause, str) else None
        if parsed is None:
            raise _invalid("sort", clause)
        order.append(parsed)

    offset = clean.get("offset", 0)
    if offset < 0:
        raise _invalid("offset", offset)
    if offset > SQL_INT_MAX:
        raise ValidationError({"query": ["Invalid query"]})
    limit = clean.setdefault("limit", 100)  # blank input counts as absent
    distinct = bool(clean.get("distinct"))

    rows = search.rows(selected, order, rank_names, distinct, limit, offset)
    records = _format(rows, selected, types, clean["records_format"])
    result: dict[str, Any] = dict(clean)
    result["records"] = records
    result["fields"] = [
        {"id": name, "type": types[name], **({"info": info[name]} if name in info else {})}
        for name in selected
    ]
    result["_links"] = links(current_url, limit, offset)
    if clean["include_total"]:
        result["total"] = search.total(selected, rank_names, distinct)
        result["total_was_estimated"] = False
    return result


def _peel(text: str, words: tuple[str, ...], before: str = "") -> tuple[str, str | None]:
    """Split `<rest> +<word>` (word case-insensitive, `before` right in front of the spaces) off
    the end of `text`; (text, None) when it does not end like that. Plain string operations:
    linear in the length of `text`, whatever it contains."""
    for word in words:
        if text[-len(word):].lower() != word:
            continue
        head = text[: -len(word)]
        rest = head.rstrip(" ")
        if len(rest) == len(head):
            return text, None  # no space in front of the word
        if before:
            if rest[-len(before):].lower() != before:
                return text, None
            rest = rest[: -len(before)]
        return (rest, word) if rest else (text, None)
    return text, None


def _parse_sort(clause: str, types: dict[str, str]) -> tuple[str, str, str | None] | None:
    """`<field>[ asc|desc][ nulls first|last]` (ckanext-datastore's `_parse_sort_clause`, which
    uses the regex `^(.+?)( +(asc|desc))?( nulls +(first|last) *)?$`; read here without a regex,
    since that one backtracks quadratically over long runs of spaces)."""
    text, nulls = _peel(clause.strip(), ("first", "last"), before=" nulls")
    name, direction = _peel(text, ("asc", "desc"))
    if not name:
        return None
    if len(name) > 1 and name[0] == name[-1] == '"':
        name = name[1:-1]
    if name not in types:
        return None
    return name, direction or "asc", nulls


def links(current_url: str | None, limit: int, offset: int) -> dict[str, str]:
    """`_links` as ckanext-datastore builds them from the request URL (start, next, prev)."""
    if not current_url:
        return {}
    parts = urlsplit(current_url)
    arguments = dict(parse_qsl(parts.query))
    start = {k: val for k, val in arguments.items() if k != "offset"}
    result = {
        "start": urlunsplit(parts._replace(query=urlencode(start))),
        "next": urlunsplit(parts._replace(query=urlencode({**arguments,
                                                             "offset": offset + limit}))),
    }
    if offset - limit > 0:
        result["prev"] = urlunsplit(
            parts._replace(query=urlencode({**arguments, "offset": offset - limit}))
        )
    return result


class _Search:
    """SQL over one table's records: typed JSON access, filters, full text, order, page."""

    def __init__(
        self, session: Session, table_pk: int, types: dict[str, str], positions: dict[str, int]
    ) -> None:
        self.session = session
        self.table_pk = table_pk
        self.types = types
        self.positions = positions
        self.sqlite = search_index.dialect(session) == "sqlite"
        self.conditions: list[Any] = [CkanDatastoreRecord.table_pk == table_pk]
        self.match: Any = None

    def value(self, name: str) -> Any:
        if name == "_id":
            return CkanDatastoreRecord.row_id
        key = str(self.positions[name])
        if self.sqlite:
            return func.json_extract(CkanDatastoreRecord.data, literal(f'$."{key}"'))
        return CkanDatastoreRecord.data[key]

    def filter(self, name: str, wanted: Any) -> None:
        values = wanted if isinstance(wanted, list) else [wanted]
        try:
            typed = [_coerce(val, self.types[name]) for val in values]
        except (TypeError, ValueError):
            raise ValidationError({"query": ["Invalid query"]}) from None
        typed = [val for val in typed if val is not None and _storable(val)]
        if not typed:
            self.conditions.append(literal(False))
            return
        column = self.value(name)
        if name == "_id" or self.sqlite:
            prepared = [int(val) if isinstance(val, bool) else val for val in typed]
            self.conditions.append(column.in_(prepared))
        else:
            self.conditions.append(column.in_([cast(literal(json.dumps(val)), JSONB)
                                               for val in typed]))

    def _attach(self, query: Node, tag: str = "") -> None:
        match = search_index.record_matches(self.session, self.table_pk, query, tag).subquery()
        if self.match is None:
            self.match = match
        else:  # several field queries: all must hold; rank of the first one is reported
            self.conditions.append(CkanDatastoreRecord.pk.in_(select(match.c.pk)))

    def text(self, query: str, plain: bool) -> None:
        node = _text_query(query, plain)
        if node is None:
            self.conditions.append(literal(False))
            return
        self._attach(node)

    def text_per_field(self, queries: dict[str, str], plain: bool) -> list[str]:
        names = []
        for name, query in queries.items():
            node = _text_query(query, plain)
            if node is None or name == "_id":
                self.conditions.append(literal(False))
            else:
                self._attach(node, tag=f"{self.positions[name]}_")
            names.append(f"rank {name}")
        return names

    def _base(self) -> Any:
        query = select().select_from(CkanDatastoreRecord)
        if self.match is not None:
            query = query.join(self.match, self.match.c.pk == CkanDatastoreRecord.pk)
        return query.where(and_(true(), *self.conditions))

    def _column(self, name: str, rank_names: list[str]) -> Any:
        if name in rank_names:
            return (self.match.c.rank if self.match is not None else literal(0.0)).cast(Float)
        return self.value(name)

    def rows(
        self,
        selected: list[str],
        order: list[tuple[str, str, str | None]],
        rank_names: list[str],
        distinct: bool,
        limit: int,
        offset: int,
    ) -> list[tuple[Any, ...]]:
        columns = [self._column(name, rank_names).label(f"c{i}") for i, name in
                   enumerate(selected)]
        labels = dict(zip(selected, columns, strict=True))
        query = self._base().add_columns(*columns)
        if distinct:
            query = query.distinct()
        ordering = []
        for name, direction, nulls in order:
            if distinct and name not in labels:
                continue  # PostgreSQL: ORDER BY of a DISTINCT query must be in its select list
            # the label repeats no expression (JSON keys are bound parameters)
            column = labels[name] if name in labels else self._column(name, rank_names)
            term = column.desc() if direction == "desc" else column.asc()
            if nulls == "first" or (nulls is None and direction == "desc"):
                term = term.nulls_first()
            else:
                term = term.nulls_last()
            ordering.append(term)
        if not order:
            if rank_names and self.match is not None:
                ordering.append(self.match.c.rank.desc())
            if not distinct:
                ordering.append(CkanDatastoreRecord.row_id.asc())
        elif not distinct:
            ordering.append(CkanDatastoreRecord.row_id.asc())
        query = query.order_by(*ordering).limit(limit).offset(offset)
        return [tuple(row) for row in self.session.execute(query)]

    def total(self, selected: list[str], rank_names: list[str], distinct: bool) -> int:
        if distinct:
            columns = [self._column(name, rank_names).label(f"c{i}")
                       for i, name in enumerate(selected)]
            inner = self._base().add_columns(*columns).distinct().subquery()
            return int(self.session.scalar(select(func.count()).select_from(inner)) or 0)
        query = self._base().add_columns(func.count(CkanDatastoreRecord.pk).cast(Integer))
        return int(self.session.scalar(query) or 0)


def _text_query(query: str, plain: bool) -> Node | None:
    """plainto_tsquery: all words; to_tsquery (plain=false): `|` alternatives of `&` words."""
    if plain:
        groups = plain_groups(query)
        return both(groups) if groups else None
    alternatives = []
    for part in query.split("|"):
        groups = plain_groups(part.replace("!", " "))
        if groups:
            alternatives.append(both(groups))
    return either(alternatives) if alternatives else None


def _storable(value: Any) -> bool:
    """False for strings no stored value can equal (NUL, lone surrogates)."""
    if not isinstance(value, str):
        return True
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _coerce(value: Any, kind: str) -> Any:
    """A filter value as the stored JSON value of a field type (ValueError when impossible)."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise ValueError("nested value")
    if kind in ("int", "int4", "int8"):
        if isinstance(value, bool):
            raise ValueError("bool")
        number = float(value) if not isinstance(value, int) else value
        if isinstance(number, float) and not number.is_integer():
            raise ValueError("not an integer")
        if abs(int(number)) > SQL_INT_MAX:
            raise ValueError("out of range")
        return int(number)
    if kind in ("numeric", "float8"):
        if isinstance(value, bool):
            raise ValueError("bool")
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError("not finite")
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind == "date":
        return date.fromisoformat(str(value)[:10]).isoformat()
    if kind == "timestamp":
        return datetime.fromisoformat(str(value)).replace(tzinfo=None).isoformat(
            timespec="seconds")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in ("true", "t", "1", "yes", "y", "on"):
            return True
        if word in ("false", "f", "0", "no", "n", "off"):
            return False
        raise ValueError("not a boolean")
    return str(value)


def _output(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "bool":
        return bool(value)
    if kind in ("int", "int4", "int8") and isinstance(value, float):
        return int(value)
    return value


def _format(
    rows: list[tuple[Any, ...]], selected: list[str], types: dict[str, str], records_format: str
) -> Any:
    kinds = [types[name] for name in selected]
    converted = [[_output(value, kind) for value, kind in zip(row, kinds, strict=True)] for row in rows]
    if records_format == "objects":
        return [dict(zip(selected, row, strict=True)) for row in converted]
    if records_format == "lists":
        return converted
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t" if records_format == "tsv" else ",",
                        lineterminator="\n")
    for row in converted:
        writer.writerow(["t" if val is True else "f" if val is False else
                         "" if val is None else val for val in row])
    return buffer.getvalue()
