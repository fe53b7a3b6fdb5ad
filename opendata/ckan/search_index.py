"""The dialect-specific full-text indexes: SQLite FTS5 tables or PostgreSQL tsvector + GIN.

Both dialects keep the index in side tables named `ckan_package_fts` / `ckan_datastore_fts`
(keyed by the row's pk), created by migration 0002_ckan and not mapped as models.

Lexemes come from opendata.ckan.text (the same normalisation at index and query time) and are
stored without further parsing: space-joined into FTS5 columns, or as tsvector input text
(packages, with positions and weights) or array_to_tsvector (datastore records). Query
trees are rendered to FTS5 / tsquery syntax; their lexemes are [a-z0-9_] only, and the rendered
expression is still passed as a bound parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Float, Integer, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from opendata.ckan.text import Node, both, either, to_fts5, to_tsquery

# Column weights: title > tags/groups > everything else (CKAN: name^4 title^4 tags^2 groups^2).
FTS5_WEIGHTS = "10.0, 4.0, 1.0"
PG_WEIGHTS = "{0.0, 0.1, 0.4, 1.0}"  # D, C (body), B (tags), A (title)
MATCH_BONUS = 1000.0  # every matched query word outranks any relevance difference


@dataclass(frozen=True)
class PackageLexemes:
    pk: int
    title: Sequence[str]
    tags: Sequence[str]
    body: Sequence[str]


@dataclass(frozen=True)
class RecordLexemes:
    pk: int
    lexemes: Sequence[str]


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def clear(session: Session) -> None:
    """Forget all index entries (the seeder deletes the rows they belong to)."""
    session.execute(text("DELETE FROM ckan_package_fts"))
    session.execute(text("DELETE FROM ckan_datastore_fts"))


def finish(session: Session) -> None:
    """After a bulk load: merge FTS5 segments, or give PostgreSQL's planner statistics."""
    if dialect(session) == "sqlite":
        session.execute(text("INSERT INTO ckan_package_fts (ckan_package_fts) VALUES ('optimize')"))
        session.execute(
            text("INSERT INTO ckan_datastore_fts (ckan_datastore_fts) VALUES ('optimize')")
        )
        return
    for table in ("ckan_package_fts", "ckan_datastore_fts", "ckan_package", "ckan_package_dict",
                  "ckan_resource",
                  "ckan_package_tag", "ckan_package_group", "ckan_tag", "ckan_group",
                  "ckan_datastore_record", "ckan_datastore_table"):
        session.execute(text(f"ANALYZE {table}"))


def write_packages(session: Session, rows: Sequence[PackageLexemes]) -> None:
    if not rows:
        return
    if dialect(session) == "sqlite":
        session.execute(
            text(
                "INSERT INTO ckan_package_fts (rowid, title, tags, body) "
                "VALUES (:pk, :title, :tags, :body)"
            ),
            [
                {"pk": r.pk, "title": " ".join(r.title), "tags": " ".join(r.tags),
                 "body": " ".join(r.body)}
                for r in rows
            ],
        )
        return
    session.execute(
        text("INSERT INTO ckan_package_fts (pk, search_vector) "
             "VALUES (:pk, CAST(:vector AS tsvector))"),
        [{"pk": r.pk, "vector": tsvector_literal(r)} for r in rows],
    )


def tsvector_literal(row: PackageLexemes) -> str:
    """tsvector input with positions and weights (A title, B tags, C body), no parser involved.

    Weights need positions (setweight ignores position-less lexemes), so every lexeme gets
    its running position; lexemes are [a-z0-9]+ and need no escaping.
    """
    entries = []
    position = 0
    for weight, lexemes in (("A", row.title), ("B", row.tags), ("C", row.body)):
        for lexeme in lexemes:
            position = min(position + 1, 16383)
            entries.append(f"'{lexeme}':{position}{weight}")
    return " ".join(entries)


def write_records(session: Session, rows: Sequence[RecordLexemes]) -> None:
    if not rows:
        return
    if dialect(session) == "sqlite":
        session.execute(
            text("INSERT INTO ckan_datastore_fts (rowid, body) VALUES (:pk, :body)"),
            [{"pk": r.pk, "body": " ".join(r.lexemes)} for r in rows],
        )
        return
    session.execute(
        text("INSERT INTO ckan_datastore_fts (pk, search_vector) "
             "VALUES (:pk, array_to_tsvector(CAST(:lexemes AS text[])))"),
        [{"pk": r.pk, "lexemes": list(r.lexemes)} for r in rows],
    )


def package_matches(session: Session, groups: list[Node], minimum: int) -> TextClause:
    """Packages matching at least `minimum` of the query groups: columns (pk, score)."""
    all_required = minimum >= len(groups)
    params: dict[str, object] = {}
    if dialect(session) == "sqlite":
        if all_required:
            params["q"] = to_fts5(both(groups))
            sql = (
                f"SELECT rowid AS pk, -bm25(ckan_package_fts, {FTS5_WEIGHTS}) AS score "
                "FROM ckan_package_fts WHERE ckan_package_fts MATCH :q"
            )
        else:
            params["q"] = to_fts5(either(groups))
            params["minimum"] = minimum
            parts = []
            for i, group in enumerate(groups):
                params[f"g{i}"] = to_fts5(group)
                parts.append(
                    f"SELECT rowid AS pk FROM ckan_package_fts WHERE ckan_package_fts MATCH :g{i}"
                )
            sql = (
                f"SELECT ckan_package_fts.rowid AS pk, "
                f"m.matched * {MATCH_BONUS} - bm25(ckan_package_fts, {FTS5_WEIGHTS}) AS score "
                "FROM ckan_package_fts JOIN (SELECT pk, count(*) AS matched FROM ("
                + " UNION ALL ".join(parts)
                + ") AS u GROUP BY pk HAVING count(*) >= :minimum) AS m "
                "ON m.pk = ckan_package_fts.rowid WHERE ckan_package_fts MATCH :q"
            )
    else:
        if all_required:
            params["q"] = to_tsquery(both(groups))
            sql = (
                f"SELECT pk, ts_rank('{PG_WEIGHTS}', search_vector, CAST(:q AS tsquery)) "
                "AS score FROM ckan_package_fts WHERE search_vector @@ CAST(:q AS tsquery)"
            )
        else:
            params["q"] = to_tsquery(either(groups))
            params["minimum"] = minimum
            matched = []
            for i, group in enumerate(groups):
                params[f"g{i}"] = to_tsquery(group)
                matched.append(f"(search_vector @@ CAST(:g{i} AS tsquery))::int")
            count = " + ".join(matched)
            sql = (
                f"SELECT pk, ({count}) * {MATCH_BONUS} + "
                f"ts_rank('{PG_WEIGHTS}', search_vector, CAST(:q AS tsquery)) AS score "
                f"FROM ckan_package_fts WHERE search_vector @@ CAST(:q AS tsquery) "
                f"AND ({count}) >= :minimum"
            )
    return text(sql).bindparams(**params).columns(pk=Integer, score=Float)


def record_matches(session: Session, table_pk: int, query: Node, tag: str = "") -> TextClause:
    """Records of one datastore table matching a query: columns (pk, rank), rank in [0, 1)."""
    if dialect(session) == "sqlite":
        sql = (
            "SELECT r.pk AS pk, (-bm25(ckan_datastore_fts)) / (1.0 - bm25(ckan_datastore_fts)) "
            "AS rank FROM ckan_datastore_fts JOIN ckan_datastore_record AS r "
            "ON r.pk = ckan_datastore_fts.rowid "
            "WHERE ckan_datastore_fts MATCH :q AND r.table_pk = :table_pk"
        )
        rendered = to_fts5(query, tag)
    else:
        sql = (
            "SELECT f.pk AS pk, ts_rank(f.search_vector, CAST(:q AS tsquery), 32) AS rank "
            "FROM ckan_datastore_fts AS f JOIN ckan_datastore_record AS r ON r.pk = f.pk "
            "WHERE r.table_pk = :table_pk AND f.search_vector @@ CAST(:q AS tsquery)"
        )
        rendered = to_tsquery(query, tag)
    return (
        text(sql)
        .bindparams(q=rendered, table_pk=table_pk)
        .columns(pk=Integer, rank=Float)
    )
