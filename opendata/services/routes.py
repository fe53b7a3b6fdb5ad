"""HTTP routes: NRW Zuständigkeitsfinder (`/zustaendigkeiten`) and LeiKa-style service search.

Decisions where the public API is not documented (all [U]):

* Malformed or missing `leistungsSchluessel` (not 14 digits), malformed `regionalSchluessel` (not
  12 digits) or `plz` (not 5 digits), `sprache` other than DE → 400. Values are taken as sent
  (no trimming), like the documented patterns say. Without `regionalSchluessel` and `plz` the
  server's own region is meant (a leniency of this stand-in).
* A well-formed but unknown `leistungsSchluessel` → 200 with an empty `daten` list and no
  `leistungStammtext`, as the real API answers a service without content; a known service in a
  region this server does not cover → 200 with the base text and empty `daten` (the base text does
  not depend on the region). `/services/{schluessel}` of an unknown key → 404.
* Errors use one small German shape: `{"status", "fehler", "nachricht", "parameter"?}`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from opendata.db import get_session
from opendata.services import index, zufi
from opendata.services.models import Postleitzahl, Region, Stelle, Zustaendigkeit

router = APIRouter(tags=["services (NRW ZuFi / LeiKa)"])

KEY = re.compile(r"^[0-9]{14}$")
ARS = re.compile(r"^[0-9]{12}$")
PLZ = re.compile(r"^[0-9]{5}$")
LIMIT = re.compile(r"^([1-9]|[1-4][0-9]|50)$")
MAX_QUERY_CHARS = 200
MAX_LIMIT = 50

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Ungültiger Parameter: `{status, fehler, nachricht, parameter}`"},
    404: {"description": "Unbekannte Leistung: `{status, fehler, nachricht}`"},
}


def error(status: int, code: str, message: str, parameter: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"status": status, "fehler": code, "nachricht": message}
    if parameter:
        body["parameter"] = parameter
    return JSONResponse(body, status_code=status)


def _param(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", **schema},
        **extra,
    }


# Query parameters are read by hand (not declared as FastAPI parameters) so that every problem is
# answered in this protocol's own error shape; this is their documentation for the OpenAPI file.
ZUFI_PARAMETERS = [
    _param(
        "leistungsSchluessel",
        "14-stelliger LeiKa-Schlüssel",
        {"pattern": KEY.pattern},
        required=True,
        example="99050012104000",
    ),
    _param(
        "regionalSchluessel",
        "12-stelliger Regionalschlüssel (ARS); ohne ihn und ohne plz gilt die Region dieses Servers",
        {"pattern": ARS.pattern},
    ),
    _param("plz", "Postleitzahl (statt regionalSchluessel)", {"pattern": PLZ.pattern}),
    _param("sprache", "Sprache der Texte; nur DE", {"enum": ["DE", "de"]}),
]
SEARCH_PARAMETERS = [
    _param(
        "q",
        "Suchbegriff, z. B. „Perso“ oder „Sperrmüll abholen“",
        {"minLength": 1, "maxLength": MAX_QUERY_CHARS, "pattern": "\\S"},
        required=True,
        example="Anwohnerparkausweis",
    ),
    _param(
        "limit",
        f"Höchstzahl der Treffer (1–{MAX_LIMIT}, Standard 10)",
        {"pattern": LIMIT.pattern},
    ),
]


def _clean(value: str) -> str:
    """Text without control characters (NUL and friends never reach the index or database)."""
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in value)
    return " ".join(text.split())


def _regions(session: Session, ars: str | None, plz: str | None) -> list[Region]:
    if ars is not None:
        region = session.get(Region, ars)
        return [region] if region else []
    query = select(Region).order_by(Region.regionalschluessel)
    if plz is not None:
        query = query.join(
            Postleitzahl, Postleitzahl.regionalschluessel == Region.regionalschluessel
        ).where(Postleitzahl.plz == plz)
    return list(session.scalars(query))


def _offices(session: Session, key: str, regions: list[Region]) -> tuple[list[dict], str]:
    """The offices responsible for service `key` in `regions` (ordered), and the mandant."""
    if not regions:
        return [], ""
    rows = session.execute(
        select(Stelle.daten)
        .join(Zustaendigkeit, Zustaendigkeit.stelle_id == Stelle.id)
        .where(
            Zustaendigkeit.leistung_schluessel == key,
            Zustaendigkeit.regionalschluessel.in_([r.regionalschluessel for r in regions]),
        )
        .order_by(Zustaendigkeit.regionalschluessel, Zustaendigkeit.position)
    ).scalars()
    return list(rows), regions[0].mandant


@router.get(
    "/zustaendigkeiten",
    summary="Zuständigkeiten für eine Leistung in einer Region (NRW ZuFi-API)",
    responses=ERRORS,
    openapi_extra={"parameters": ZUFI_PARAMETERS},
)
def zustaendigkeiten(request: Request, session: Session = Depends(get_session)) -> Any:
    params = request.query_params
    key, ars, plz = (params.get(n) for n in ("leistungsSchluessel", "regionalSchluessel", "plz"))
    if key is None or not KEY.fullmatch(key):
        message = "leistungsSchluessel muss aus 14 Ziffern bestehen."
        return error(400, "ungueltiger_parameter", message, "leistungsSchluessel")
    if ars is not None and not ARS.fullmatch(ars):
        message = "regionalSchluessel muss aus 12 Ziffern bestehen."
        return error(400, "ungueltiger_parameter", message, "regionalSchluessel")
    if plz is not None and not PLZ.fullmatch(plz):
        return error(400, "ungueltiger_parameter", "plz muss aus 5 Ziffern bestehen.", "plz")
    language = params.get("sprache")
    if language is not None and language not in ("DE", "de"):
        return error(400, "ungueltiger_parameter", "Es wird nur sprache=DE unterstützt.", "sprache")
    text = index.current(session).texts.get(key)
    if text is None:
        return zufi.envelope(None, [], "")
    offices, mandant = _offices(session, key, _regions(session, ars, plz))
    return zufi.envelope(text, offices, mandant)


@router.get(
    "/services",
    summary="Stichwortsuche über Verwaltungsleistungen (wie LeiKa services?q=)",
    responses=ERRORS,
    openapi_extra={"parameters": SEARCH_PARAMETERS},
)
def search_services(request: Request, session: Session = Depends(get_session)) -> Any:
    raw, limit = request.query_params.get("q"), request.query_params.get("limit")
    if raw is None or not raw.strip():
        return error(400, "fehlender_parameter", "q (Suchbegriff) ist erforderlich.", "q")
    if len(raw) > MAX_QUERY_CHARS:
        message = f"q darf höchstens {MAX_QUERY_CHARS} Zeichen haben."
        return error(400, "ungueltiger_parameter", message, "q")
    if limit is not None and not LIMIT.fullmatch(limit):
        message = f"limit muss eine Zahl von 1 bis {MAX_LIMIT} sein."
        return error(400, "ungueltiger_parameter", message, "limit")
    snapshot = index.current(session)
    return [
        zufi.leika_item(snapshot.texts[hit.key], confidence=hit.score)
        for hit in snapshot.index.search(_clean(raw), limit=int(limit or 10))
    ]


@router.get(
    "/services/{schluessel}",
    summary="Eine Leistung mit Stammtext und zuständigen Stellen der Stadt",
    responses=ERRORS,
)
def service_detail(
    schluessel: str = Path(
        description="14-stelliger LeiKa-Schlüssel",
        json_schema_extra={"pattern": KEY.pattern},
        examples=["99050012104000"],
    ),
    session: Session = Depends(get_session),
) -> Any:
    key = schluessel
    if not KEY.fullmatch(key):
        return error(
            400,
            "ungueltiger_parameter",
            "Der Leistungsschlüssel muss aus 14 Ziffern bestehen.",
            "schluessel",
        )
    text = index.current(session).texts.get(key)
    if text is None:
        return error(404, "nicht_gefunden", "Zu diesem Leistungsschlüssel gibt es keine Leistung.")
    regions = list(session.scalars(select(Region).order_by(Region.regionalschluessel)))
    offices, _ = _offices(session, key, regions)
    return {
        **zufi.leika_item(text),
        "leistungStammtext": text,
        "organisationseinheit": offices,
        "regionalSchluessel": regions[0].regionalschluessel if regions else None,
    }
