"""How datastore rows are stored, indexed and exported."""

from __future__ import annotations

import csv
import io
from typing import Any

from opendata.ckan.text import index_lexemes


def record_data(fields: list[dict[str, Any]], row: dict[str, Any]) -> dict[str, Any]:
    """A row as stored: field position (as string) -> typed value, NULLs left out.

    Positions rather than field names keep the JSON keys ASCII, so that SQLite's json_extract
    (which compares keys as written, \\u-escapes included) and PostgreSQL's `->` agree.
    """
    return {str(i): row[f["id"]] for i, f in enumerate(fields) if row.get(f["id"]) is not None}


def record_values(fields: list[dict[str, Any]], data: dict[str, Any]) -> dict[str, Any]:
    """The stored form back as field id -> value (missing = None)."""
    return {f["id"]: data.get(str(i)) for i, f in enumerate(fields)}


def record_lexemes(fields: list[dict[str, Any]], data: dict[str, Any]) -> list[str]:
    """Index lexemes of a record: every value's stems, plus stems tagged with the field number.

    The tagged form ("3_neudorf") lets `q={"Ortsteil": "Neudorf"}` search one field.
    """
    out: list[str] = []
    for number, _spec in enumerate(fields):
        value = data.get(str(number))
        if value is None or isinstance(value, bool):
            continue
        stems = index_lexemes(str(value))
        out += stems
        out += [f"{number}_{s}" for s in stems]
    return out


def table_csv(fields: list[dict[str, Any]], rows: list[dict[str, Any]]) -> str:
    """A datastore table as the CSV file it was loaded from (header = field ids)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([f["id"] for f in fields])
    for row in rows:
        writer.writerow([_cell(row.get(f["id"])) for f in fields])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)
