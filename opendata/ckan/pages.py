"""Dataset landing pages (small German HTML) and CSV downloads of datastore tables.

These are the pages that package `url` and resource `url` point at, like the dataset and
resource pages and `/dataset/<id>/resource/<id>/download/<file>` of a CKAN portal.
"""

from __future__ import annotations

import json
from datetime import datetime
from html import escape
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from opendata import demo
from opendata.ckan import catalogue
from opendata.ckan.models import CkanDatastoreRecord
from opendata.ckan.records import record_values, table_csv
from opendata.db import get_sessionmaker

router = APIRouter(tags=["ckan"])


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    site = ""
    with get_sessionmaker()() as session:
        site = str(catalogue.settings(session).site.get("site_title", ""))
    html = (
        "<!DOCTYPE html>\n<html lang=\"de\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(title)} – {escape(site)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;"
        "padding:0 1rem;line-height:1.5;color:#1a1a1a}dt{font-weight:600}"
        "table{border-collapse:collapse}td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;"
        "text-align:left}.muted{color:#555}</style></head><body>"
        f"<p class=\"muted\">{escape(site)}</p>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status)


def _not_found(what: str) -> HTMLResponse:
    return _page("Nicht gefunden", f"<h1>Nicht gefunden</h1><p>{escape(what)}</p>", 404)


def _german_date(value: str | None) -> str:
    if not value:
        return "–"
    try:
        return datetime.fromisoformat(value).strftime("%d.%m.%Y")
    except ValueError:
        return escape(value)


def _paragraphs(text: str) -> str:
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return "".join(f"<p>{escape(b)}</p>" for b in blocks)


def _find(id_or_name: str) -> dict[str, Any] | None:
    with get_sessionmaker()() as session:
        found = catalogue.find_package(session, id_or_name[:200])
    return None if found is None else found[1]


def _alias(resource_id: str) -> str | None:
    with get_sessionmaker()() as session:
        table = catalogue.find_datastore_table(session, resource_id)
        return None if table is None else (table.alias or table.resource_id)


NOT_FOUND = {404: {"description": "Unknown dataset or resource (HTML page)",
                   "content": {"text/html": {}}}}


@router.get("/dataset/{id}", response_class=HTMLResponse, summary="Dataset landing page",
            responses=NOT_FOUND)
def dataset_page(id: str) -> HTMLResponse:
    package = _find(id)
    if package is None:
        return _not_found("Diesen Datensatz gibt es nicht.")
    base = catalogue.base_url()
    org = package.get("organization") or {}
    licence = escape(package.get("license_title") or package.get("license_id") or "–")
    if package.get("license_url"):
        licence = f"<a href=\"{escape(package['license_url'])}\">{licence}</a>"
    tags = ", ".join(escape(t["display_name"]) for t in package.get("tags", [])) or "–"
    groups = ", ".join(escape(g["display_name"]) for g in package.get("groups", [])) or "–"
    rows = []
    for resource in package.get("resources", []):
        page = f"{base}/dataset/{package['name']}/resource/{resource['id']}"
        rows.append(
            f"<tr><td><a href=\"{escape(page)}\">{escape(resource['name'] or '')}</a></td>"
            f"<td>{escape(resource.get('format') or '')}</td>"
            f"<td><a href=\"{escape(resource['url'])}\">Öffnen</a></td></tr>"
        )
    api = f"{base}/api/3/action/package_show?id={package['name']}"
    body = (
        f"<h1>{escape(package['title'])}</h1>{_paragraphs(package.get('notes') or '')}"
        "<dl>"
        f"<dt>Herausgeber</dt><dd>{escape(org.get('title') or '–')}</dd>"
        f"<dt>Lizenz</dt><dd>{licence}</dd>"
        f"<dt>Zuletzt geändert</dt><dd>{_german_date(package.get('metadata_modified'))}</dd>"
        f"<dt>Kategorien</dt><dd>{groups}</dd>"
        f"<dt>Schlagworte</dt><dd>{tags}</dd>"
        "</dl><h2>Ressourcen</h2>"
        f"<table><tr><th>Name</th><th>Format</th><th></th></tr>{''.join(rows)}</table>"
        f"<p class=\"muted\">Metadaten als JSON: <a href=\"{escape(api)}\">{escape(api)}</a></p>"
    )
    return _page(package["title"], body)


@router.get(
    "/dataset/{id}/resource/{resource_id}",
    response_class=HTMLResponse,
    summary="Resource landing page",
    responses=NOT_FOUND,
)
def resource_page(id: str, resource_id: str) -> HTMLResponse:
    package = _find(id)
    resource = next((r for r in (package or {}).get("resources", [])
                     if r["id"] == resource_id), None)
    if package is None or resource is None:
        return _not_found("Diese Ressource gibt es nicht.")
    base = catalogue.base_url()
    details = ""
    if resource.get("datastore_active"):
        alias = _alias(resource_id) or resource_id
        api = f"{base}/api/3/action/datastore_search?resource_id={alias}"
        details = (
            f"<p><a href=\"{escape(resource['url'])}\">CSV herunterladen</a></p>"
            f"<p class=\"muted\">Datenabfrage (CKAN DataStore API): "
            f"<a href=\"{escape(api)}\">{escape(api)}</a></p>"
        )
    elif not str(resource.get("url", "")).startswith(f"{base}/dataset/"):
        details = f"<p><a href=\"{escape(resource['url'])}\">Zur Ressource</a></p>"
    else:
        details = (
            "<p>Diese Ressource ist in dieser Instanz nur als Metadatensatz hinterlegt; "
            "die Datei selbst stellt das Fachamt bereit.</p>"
        )
    body = (
        f"<p><a href=\"{escape(package['url'])}\">{escape(package['title'])}</a></p>"
        f"<h1>{escape(resource.get('name') or '')}</h1>"
        f"{_paragraphs(resource.get('description') or '')}"
        f"<dl><dt>Format</dt><dd>{escape(resource.get('format') or '–')}</dd>"
        f"<dt>Zuletzt geändert</dt><dd>{_german_date(resource.get('last_modified'))}</dd>"
        f"<dt>Lizenz</dt><dd>{escape(package.get('license_title') or '–')}</dd></dl>"
        f"{details}"
    )
    return _page(resource.get("name") or package["title"], body)


def _download(id: str, resource_id: str) -> Response:
    package = _find(id)
    if package is None or not any(r["id"] == resource_id for r in package.get("resources", [])):
        return _not_found("Diese Ressource gibt es nicht.")
    with get_sessionmaker()() as session:
        table = catalogue.find_datastore_table(session, resource_id)
        if table is None:
            return _not_found("Für diese Ressource ist keine Datei hinterlegt.")
        fields = json.loads(table.fields)
        rows = [record_values(fields, data) for data in session.scalars(
            select(CkanDatastoreRecord.data)
            .where(CkanDatastoreRecord.table_pk == table.pk)
            .order_by(CkanDatastoreRecord.row_id)
        )]
        filename = f"{table.alias or table.resource_id}.csv"
    return Response(
        table_csv(fields, rows).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=\"{filename}\"",
                 **demo.headers("ckan")},
    )


CSV_DOWNLOAD = {200: {"description": "The table as CSV", "content": {"text/csv": {}}},
                **NOT_FOUND}


@router.get("/dataset/{id}/resource/{resource_id}/download", summary="Download (CSV)",
            response_class=Response, responses=CSV_DOWNLOAD)
def download(id: str, resource_id: str) -> Response:
    return _download(id, resource_id)


@router.get(
    "/dataset/{id}/resource/{resource_id}/download/{filename}", summary="Download (CSV)",
    response_class=Response, responses=CSV_DOWNLOAD,
)
def download_file(id: str, resource_id: str, filename: str) -> Response:
    return _download(id, resource_id)
