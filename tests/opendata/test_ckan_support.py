"""Shared helpers for the CKAN tests: action calls and the data package as an oracle."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "opendata" / "data" / "duisburg" / "catalogue"
TIMESTAMP = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$"


def get(http: httpx.Client, action: str, **params: Any) -> httpx.Response:
    """GET an action; dict/list values are sent JSON-encoded as CKAN clients do."""
    query = {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in params.items()}
    return http.get(f"/api/3/action/{action}", params=query)


def ok(http: httpx.Client, action: str, **params: Any) -> Any:
    response = get(http, action, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    return body["result"]


def error(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"]["__type"] == kind
    assert body["help"].endswith("/api/3/action/help_show?name=" + response.url.path.rsplit(
        "/", 1)[-1])
    return body["error"]


def csv_rows(alias: str) -> list[dict[str, str]]:
    with (CATALOGUE / "datastore" / f"{alias}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
