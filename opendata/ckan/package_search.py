"""package_search: CKAN's validation and Solr semantics over the SQL full-text index."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    false,
    func,
    join,
    literal,
    not_,
    select,
    true,
)
from sqlalchemy.orm import Session

from opendata import clock
from opendata.ckan import catalogue, search_index
from opendata.ckan import validation as v
from opendata.ckan.errors import SearchError, SearchQueryError, ValidationError
from opendata.ckan.models import (
    CkanGroup,
    CkanPackage,
    CkanPackageGroup,
    CkanPackageTag,
    CkanResource,
    CkanTag,
)
from opendata.ckan.solr import MAX_CLAUSES, Clause, parse, parse_sort
from opendata.ckan.text import Lexicon, Node, query_groups

ROWS_MAX = 1000  # ckan.search.rows_max
FACET_LIMIT = 50  # search.facets.limit
SOLR_INT_MAX = 2**31 - 1
DEFAULT_SORT = "score desc, metadata_modified desc"
MAX_QUERY_WORDS = 64

SCHEMA: v.Schema = {
    "q": [v.ignore_missing, v.unicode_safe],
    "fl": [v.ignore_missing, v.convert_to_list_if_string],
    "fq": [v.ignore_missing, v.unicode_safe],
    "rows": [v.default(10), v.natural_number, v.limit_to(ROWS_MAX)],
    "sort": [v.ignore_missing, v.unicode_safe],
    "start": [v.ignore_missing, v.natural_number],
    "qf": [v.ignore_missing, v.unicode_safe],
    "facet": [v.ignore_missing, v.unicode_safe],
    "facet.mincount": [v.ignore_missing, v.natural_number],
    "facet.limit": [v.ignore_missing, v.int_validator],
    "facet.field": [v.ignore_missing, v.convert_to_json_if_string, v.list_of_strings],
    "extras": [v.ignore_missing],
}
VALID_SOLR_PARAMETERS = {
    "q", "fl", "fq", "rows", "sort", "start", "wt", "qf", "bf", "boost", "facet",
    "facet.mincount", "facet.limit", "facet.field", "extras", "fq_list", "tie", "defType",
    "mm", "df",
}
POPPED = {"include_private", "include_drafts", "include_deleted", "use_default_schema"}

SORTABLE = {
    "score", "metadata_modified", "metadata_created", "title_string", "name", "id",
    "num_resources", "num_tags", "license_id", "state", "type",
}
FACETABLE = {"organization", "groups", "tags", "res_format", "license_id"}
TEXT_FIELDS = {"text", "title", "notes", "res_name", "res_description", "author", "maintainer"}


def minimum_should_match(count: int) -> int:
    """CKAN's dismax mm "2<-1 5<80%": all of 1-2 words, all but one of 3-5, 80% of more."""
    if count <= 2:
        return count
    if count <= 5:
        return count - 1
    return math.floor(count * 0.8)


def package_search(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    data.pop("callback", None)
    for key in [k for k in data if k.startswith("ext_")]:
        data.pop(key)
    clean, errors = v.validate(data, SCHEMA)
    if errors:
        raise ValidationError(errors)
    for key in POPPED:
        value = clean.pop(key, None)
        try:
            v.asbool(value, key)
        except v.Invalid as exc:
            raise ValidationError({key: [exc.message]}) from None
    invalid = sorted(set(clean) - VALID_SOLR_PARAMETERS)
    if invalid:
        raise SearchQueryError(f"Invalid search parameters: {invalid}")

    sort = clean.get("sort") or DEFAULT_SORT
    if sort.strip() == "rank":
        sort = DEFAULT_SORT
    order = parse_sort(sort, SORTABLE)
    rows: int = clean.get("rows", 10)  # blank input counts as absent
    start: int = clean.get("start", 0)
    if start > SOLR_INT_MAX:
        raise SearchError("SOLR returned an error running query: start is too large")

    config = catalogue.settings(session)
    query = _Query(session, config.lexicon)
    query.add_q(clean.get("q") or "")
    fq_list = clean.get("fq_list") or []
    if isinstance(fq_list, str):
        fq_list = [fq_list]
    if not isinstance(fq_list, list):
        raise ValidationError({"fq_list": ["Not a list"]})
    for fq in [clean.get("fq") or "", *fq_list]:
        query.add_fq(v.unicode_safe(fq))

    matching, score = query.build()
    # one query for the page and the total (a window count), a second one only for empty pages
    ordered = matching.add_columns(score.label("score"), func.count().over().label("total"))
    ordered = ordered.order_by(*_order_by(order, score), CkanPackage.name.asc())
    page = session.execute(ordered.offset(start).limit(rows)).all() if rows else []
    pks = [row.pk for row in page]
    if page:
        count = page[0].total
    else:
        count = session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    results = catalogue.package_dicts(session, pks)
    if clean.get("fl"):
        results = _only_fields(results, clean["fl"])

    facets = _facets(session, matching, clean)
    return {
        "count": count,
        "facets": {name: dict(items) for name, items in facets.items()},
        "results": results,
        "sort": sort,
        "search_facets": _search_facets(session, facets, config.license_register),
    }


def _only_fields(results: list[dict[str, Any]], fl: Any) -> list[dict[str, Any]]:
    items = fl if isinstance(fl, list) else [fl]  # a JSON body may send a bare string or number
    names = [name for item in items for name in re.split(r"[\s,]+", str(item)) if name]
    return [{name: pkg[name] for name in names if name in pkg} for pkg in results]


def _order_by(order: list[tuple[str, str]], score: ColumnElement) -> list[ColumnElement]:
    columns: dict[str, ColumnElement] = {
        "score": score,
        "metadata_modified": CkanPackage.metadata_modified,
        "metadata_created": CkanPackage.metadata_created,
        "title_string": CkanPackage.title,
        "name": CkanPackage.name,
        "id": CkanPackage.id,
        "num_resources": CkanPackage.num_resources,
        "num_tags": CkanPackage.num_tags,
        "license_id": CkanPackage.license_id,
        "state": CkanPackage.state,
        "type": CkanPackage.type,
    }
    return [columns[name].desc() if direction == "desc" else columns[name].asc()
            for name, direction in order]


class _Query:
    """Collects free-text words and field filters from q and fq."""

    def __init__(self, session: Session, lexicon: Lexicon) -> None:
        self.session = session
        self.lexicon = lexicon
        self.words: list[str] = []
        self.strict = False  # fielded/quoted syntax: every word is required (no dismax mm)
        self.filters: list[ColumnElement[bool]] = []
        self.excluded_words: list[str] = []
        self.nothing = False
        self.clauses = 0  # over q, fq and fq_list together (each filter costs SQL)

    def add_q(self, q: str) -> None:
        q = q.strip()
        if q in ("", '""', "''"):
            return
        clauses = parse(q)
        if any(c.field is not None or c.negate or c.match_all for c in clauses) or '"' in q:
            self.strict = True
        self._add(clauses)

    def add_fq(self, fq: str) -> None:
        if fq.strip():
            self.strict = True
            self._add(parse(fq))

    def _add(self, clauses: list[Clause]) -> None:
        self.clauses += sum(max(1, len(clause.values)) for clause in clauses)
        if self.clauses > MAX_CLAUSES:
            raise SearchError("SOLR returned an error running query: too many boolean clauses")
        for clause in clauses:
            if clause.match_all:
                if clause.negate:
                    self.nothing = True
                continue
            if clause.field is None or clause.field in TEXT_FIELDS:
                text = " ".join(clause.values)
                (self.excluded_words if clause.negate else self.words).append(text)
                continue
            condition = _field_condition(clause)
            self.filters.append(not_(condition) if clause.negate else condition)

    def _groups(self, texts: list[str]) -> list[Node]:
        groups = query_groups(" ".join(texts), self.lexicon)
        if len(groups) > MAX_QUERY_WORDS:
            raise SearchError("SOLR returned an error running query: too many boolean clauses")
        return groups

    def build(self) -> tuple[Select, ColumnElement]:
        query = select(CkanPackage.pk).where(
            CkanPackage.state == "active", CkanPackage.private.is_(False)
        )
        score: ColumnElement = literal(1.0)
        if self.nothing:
            query = query.where(false())
        if self.words:
            groups = self._groups(self.words)
            if not groups:
                query = query.where(false())  # only stop words or punctuation
            else:
                minimum = len(groups) if self.strict else minimum_should_match(len(groups))
                match = search_index.package_matches(self.session, groups, minimum).subquery()
                query = query.join(match, match.c.pk == CkanPackage.pk)
                score = match.c.score
        if self.excluded_words:
            groups = self._groups(self.excluded_words)
            if groups:
                excluded = search_index.package_matches(self.session, groups, 1).subquery()
                query = query.where(CkanPackage.pk.not_in(select(excluded.c.pk)))
        if self.filters:
            query = query.where(and_(*self.filters))
        return query, score


def _field_condition(clause: Clause) -> ColumnElement[bool]:
    name = clause.field or ""
    if clause.range is not None:
        return _range_condition(name, clause.range)
    values = clause.values
    if name == "tags":
        return CkanPackage.pk.in_(
            select(CkanPackageTag.package_pk).join(CkanTag, CkanTag.pk == CkanPackageTag.tag_pk)
            .where(_matches(CkanTag.name, values))
        )
    if name == "groups":
        return CkanPackage.pk.in_(
            select(CkanPackageGroup.package_pk)
            .join(CkanGroup, CkanGroup.pk == CkanPackageGroup.group_pk)
            .where(_matches(CkanGroup.name, values))
        )
    if name in ("organization", "owner_org"):
        column = CkanGroup.name if name == "organization" else CkanGroup.id
        return CkanPackage.owner_org_pk.in_(
            select(CkanGroup.pk).where(CkanGroup.is_organization.is_(True),
                                       _matches(column, values))
        )
    if name == "res_format":
        return CkanPackage.pk.in_(
            select(CkanResource.package_pk).where(_matches(CkanResource.format, values))
        )
    simple = {
        "name": CkanPackage.name,
        "id": CkanPackage.id,
        "license_id": CkanPackage.license_id,
        "type": CkanPackage.type,
        "state": CkanPackage.state,
        "dataset_type": CkanPackage.type,
    }
    if name in simple:
        return _matches(simple[name], values)
    if name == "capacity":
        wanted = {val.lower() for val in values}
        if "*" in wanted or {"public", "private"} <= wanted:
            return true()
        if "public" in wanted:
            return CkanPackage.private.is_(False)
        if "private" in wanted:
            return CkanPackage.private.is_(True)
        return false()
    if name in ("num_resources", "num_tags"):
        column = CkanPackage.num_resources if name == "num_resources" else CkanPackage.num_tags
        numbers = [int(val) for val in values if val.isdigit()]
        return true() if "*" in values else column.in_(numbers)
    # Solr's catch-all dynamic field: an unknown field simply matches nothing.
    return false()


def _matches(column: Any, values: list[str]) -> ColumnElement[bool]:
    exact = [val for val in values if not val.endswith("*")]
    prefixes = [val[:-1] for val in values if val.endswith("*")]
    conditions: list[ColumnElement[bool]] = []
    if exact:
        conditions.append(column.in_(exact))
    for prefix in prefixes:
        if prefix == "":
            conditions.append(true())
        else:
            escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(column.like(escaped + "%", escape="\\"))
    if not conditions:
        return false()
    return conditions[0] if len(conditions) == 1 else conditions[0].or_(*conditions[1:])


DATE_MATH = re.compile(r"^NOW((?:[+-]\d{1,6}(?:YEARS?|MONTHS?|DAYS?|HOURS?|MINUTES?))*)"
                       r"(?:/(YEAR|MONTH|DAY|HOUR|MINUTE))?$")
STEP = re.compile(r"([+-]\d+)(YEAR|MONTH|DAY|HOUR|MINUTE)S?")


def solr_date(value: str) -> datetime | None:
    """A Solr date (ISO 8601 or NOW date math) as naive UTC; None for `*`."""
    if value == "*":
        return None
    match = DATE_MATH.match(value)
    if match:
        try:
            return _date_math(match)
        except (OverflowError, ValueError):  # beyond year 9999; 29 February plus a year
            raise SearchError(
                f"SOLR returned an error running query: Invalid Date String:'{value[:100]}'"
            ) from None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SearchError(
            f"SOLR returned an error running query: Invalid Date String:'{value[:100]}'"
        ) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _date_math(match: re.Match[str]) -> datetime:
    """NOW with its steps and rounding applied (OverflowError beyond the year 9999)."""
    moment = clock.now().astimezone(timezone.utc).replace(tzinfo=None)
    for amount, unit in STEP.findall(match.group(1)):
        n = int(amount)
        if unit == "YEAR":
            moment = moment.replace(year=max(1, min(9999, moment.year + n)))
        elif unit == "MONTH":
            months = moment.year * 12 + moment.month - 1 + n
            moment = moment.replace(year=max(1, min(9999, months // 12)),
                                    month=months % 12 + 1, day=min(moment.day, 28))
        else:
            seconds = {"DAY": 86400, "HOUR": 3600, "MINUTE": 60}[unit]
            moment += timedelta(seconds=n * seconds)
    rounding = match.group(2)
    if rounding:
        keep = {"YEAR": 1, "MONTH": 2, "DAY": 3, "HOUR": 4, "MINUTE": 5}[rounding]
        parts = [moment.year, moment.month, moment.day, moment.hour, moment.minute]
        defaults = [1, 1, 1, 0, 0]
        moment = datetime(*(parts[:keep] + defaults[keep:]))  # type: ignore[arg-type]
    return moment


def _range_condition(name: str, bounds: tuple[str, str]) -> ColumnElement[bool]:
    if name in ("metadata_modified", "metadata_created"):
        column: Any = getattr(CkanPackage, name)
        low, high = solr_date(bounds[0]), solr_date(bounds[1])
    elif name in ("num_resources", "num_tags"):
        column = getattr(CkanPackage, name)
        try:
            low = None if bounds[0] == "*" else int(bounds[0])
            high = None if bounds[1] == "*" else int(bounds[1])
        except ValueError:
            raise SearchError(
                f"SOLR returned an error running query: Invalid Number: {bounds[0][:50]}"
            ) from None
    else:
        return false()
    conditions: list[ColumnElement[bool]] = []
    if low is not None:
        conditions.append(column >= low)
    if high is not None:
        conditions.append(column <= high)
    return and_(true(), *conditions)


def _facets(
    session: Session, matching: Select, clean: dict[str, Any]
) -> dict[str, list[tuple[str, int]]]:
    fields = clean.get("facet.field") or []
    if str(clean.get("facet", "true")).lower() in ("false", "off", "0", "no") or not fields:
        return {}
    limit = clean.get("facet.limit", FACET_LIMIT)
    mincount = max(clean.get("facet.mincount", 1), 1)
    if abs(limit) > SOLR_INT_MAX or mincount > SOLR_INT_MAX:
        raise SearchError("SOLR returned an error running query: facet parameter out of range")
    pks = select(matching.subquery().c.pk)
    out: dict[str, list[tuple[str, int]]] = {}
    for name in dict.fromkeys(fields):
        if name not in FACETABLE:
            out[name] = []
            continue
        value, source = _facet_source(name)
        count = func.count(CkanPackage.pk.distinct())
        query = (
            select(value, count)
            .select_from(source)
            .where(CkanPackage.pk.in_(pks), value.is_not(None))
            .group_by(value)
            .having(count >= mincount)
            .order_by(count.desc(), value.asc())
        )
        if limit >= 0:
            query = query.limit(limit)
        out[name] = [(str(row[0]), int(row[1])) for row in session.execute(query)]
    return out


def _facet_source(name: str) -> tuple[Any, Any]:
    if name == "organization":
        return CkanGroup.name, join(CkanPackage, CkanGroup,
                                    CkanGroup.pk == CkanPackage.owner_org_pk)
    if name == "groups":
        return CkanGroup.name, join(
            CkanPackage, CkanPackageGroup, CkanPackageGroup.package_pk == CkanPackage.pk
        ).join(CkanGroup, CkanGroup.pk == CkanPackageGroup.group_pk)
    if name == "tags":
        return CkanTag.name, join(
            CkanPackage, CkanPackageTag, CkanPackageTag.package_pk == CkanPackage.pk
        ).join(CkanTag, CkanTag.pk == CkanPackageTag.tag_pk)
    if name == "res_format":
        return CkanResource.format, join(
            CkanPackage, CkanResource, CkanResource.package_pk == CkanPackage.pk
        )
    return CkanPackage.license_id, CkanPackage.__table__


def _search_facets(
    session: Session, facets: dict[str, list[tuple[str, int]]], register: dict[str, Any]
) -> dict[str, Any]:
    """The restructured facets: display names, items sorted by display name descending."""
    names = [value for key in ("groups", "organization") for value, _ in facets.get(key, [])]
    titles = dict(session.execute(
        select(CkanGroup.name, CkanGroup.title).where(CkanGroup.name.in_(names))
    ).all()) if names else {}
    out: dict[str, Any] = {}
    for key, items in facets.items():
        entries = []
        for value, count in items:
            if key in ("groups", "organization"):
                display = titles.get(value) or value
                display = display if display.strip() else value
            elif key == "license_id":
                display = (register.get(value) or {}).get("title") or value
            else:
                display = value
            entries.append({"count": count, "display_name": display, "name": value})
        entries.sort(key=lambda item: item["display_name"], reverse=True)
        out[key] = {"items": entries, "title": key}
    return out
