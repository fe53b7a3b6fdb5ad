"""The server starts, migrates, seeds and reports health; migrations match the models."""

from __future__ import annotations

import httpx
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine


def test_health_reports_ok_and_pinned_time(http: httpx.Client) -> None:
    response = http.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["time"] == "2026-11-23T07:15:00Z"


def test_openapi_document_lists_every_protocol(http: httpx.Client) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    for expected in (
        "/api/3/action/package_search",
        "/api/public/v3/parking-sites",
        "/standard/XML_DM_REQUEST",
        "/zustaendigkeiten",
        "/health",
    ):
        assert expected in paths, expected


def test_migrations_match_models(engine: Engine) -> None:
    from opendata import models  # noqa: F401
    from opendata.db import Base

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # Full-text search tables/columns are dialect-specific and created by raw SQL: ignore those.
    relevant = [d for d in diff if "fts" not in repr(d) and "search_vector" not in repr(d)]
    assert relevant == []


def test_every_domain_has_tables(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {"seed_state"} <= tables
    assert len(tables) > 8
