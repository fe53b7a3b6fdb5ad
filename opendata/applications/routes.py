"""Application status lookup ("Vorgangsauskunft") – a small own API; no public standard exists.

``POST /api/v1/antraege/status`` with a JSON body (never query parameters, so numbers and codes
stay out of URLs and access logs) and ``Authorization: Bearer <token>``::

    {"vorgangsnummer": "DU-2026-004711", "zugangscode": "K7M2Q9"}   (Duisburg demo data)

Input is normalised first (upper case, whitespace removed, typographic dashes → "-"), then checked:
the number must look like ``XX-YYYY-NNNNNN`` (2–3 letters, year, six digits), the code must be six
characters A–Z/0–9. Optional header ``X-Client-Key``: an opaque caller-chosen id (the assistant
sends a hash of the conversation id), at most 128 characters.

Only the assistant may ask: every request needs ``Authorization: Bearer <token>`` with the token
the server got in ``APPLICATIONS_API_TOKEN`` (compared in constant time). Without it: 401. A server
without a configured token refuses every request with 503 and says so in its log at start; it never
serves this domain open.

Answers (all JSON, all with ``Cache-Control: no-store``):

* 200 ``{vorgangsnummer, leistung {schluessel, bezeichnung}, status, status_text, eingang_am,
  letzte_aenderung, verlauf [{datum, schritt, text}], naechster_schritt,
  zustaendige_stelle {name, telefon, email}}``; ``status`` is one of eingegangen, in_bearbeitung,
  nachforderung, genehmigt, abgelehnt, abgeschlossen. No personal data.
* 404 ``{status, fehler: "nicht_gefunden", nachricht}`` – byte-identical for an unknown number and
  for a wrong code, and both paths run exactly one scrypt verification, so neither the body nor
  the timing tells whether a number exists.
* 400 ``{status, fehler: "ungueltige_eingabe", nachricht, feld}`` – malformed JSON or fields
  (not counted as a failed attempt: it reveals nothing).
* 413 body larger than 4 KiB.
* 429 ``{status, fehler: "zu_viele_versuche", nachricht, retry_after}`` plus ``Retry-After``
  header – see `throttle` for the budgets (5 failures per number and 20 per client in 15 minutes,
  30 failures per minute in all). A throttled request runs no scrypt.
* 401 ``{status, fehler: "nicht_autorisiert", nachricht}`` – missing or wrong bearer token.
* 503 ``{status, fehler: "nicht_konfiguriert", nachricht}`` – the server has no token configured.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from opendata import clock
from opendata.applications import codes, status, throttle
from opendata.applications.models import Antrag, Schritt
from opendata.db import get_sessionmaker
from opendata.settings import get_settings

router = APIRouter(tags=["applications (Vorgangsauskunft)"])

MAX_BODY = 4096
MAX_CLIENT_KEY = 128
NO_STORE = {"Cache-Control": "no-store"}
NOT_FOUND = {
    "status": 404,
    "fehler": "nicht_gefunden",
    "nachricht": (
        "Zu dieser Vorgangsnummer und diesem Zugangscode wurde kein Vorgang gefunden. "
        "Bitte prüfen Sie beide Angaben."
    ),
}

REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["vorgangsnummer", "zugangscode"],
                "properties": {
                    "vorgangsnummer": {
                        "type": "string",
                        "pattern": "^[A-Z]{2,3}-[0-9]{4}-[0-9]{6}$",
                        "example": "AB-2026-000123",
                    },
                    "zugangscode": {
                        "type": "string",
                        "pattern": "^[A-Z0-9]{6}$",
                        "example": "ABC123",
                    },
                },
            }
        }
    },
}


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def _refused(request: Request) -> JSONResponse | None:
    """503 without a configured token, 401 without the right bearer token, else None."""
    token = get_settings().applications_api_token
    if not token:
        body = {
            "status": 503,
            "fehler": "nicht_konfiguriert",
            "nachricht": "application-status API disabled: the server has no "
            "APPLICATIONS_API_TOKEN",
        }
        return _reply(503, body)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # Compare digests: constant time, and independent of the lengths of both values.
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        _digest(given.strip()), _digest(token)
    ):
        body = {
            "status": 401,
            "fehler": "nicht_autorisiert",
            "nachricht": "Authorization: Bearer <APPLICATIONS_API_TOKEN> required",
        }
        return _reply(401, body, **{"WWW-Authenticate": 'Bearer realm="applications"'})
    return None


def _throttled(blocked: throttle.Blocked) -> JSONResponse:
    minutes = max(1, round(blocked.retry_after / 60))
    body = {
        "status": 429,
        "fehler": "zu_viele_versuche",
        "nachricht": (
            "Zu viele fehlgeschlagene Versuche. Bitte versuchen Sie es in etwa "
            f"{minutes} Minuten erneut."
        ),
        "retry_after": blocked.retry_after,
    }
    return _reply(429, body, **{"Retry-After": str(blocked.retry_after)})


def _reply(status_code: int, body: dict[str, Any], **headers: str) -> JSONResponse:
    return JSONResponse(body, status_code=status_code, headers={**NO_STORE, **headers})


def _invalid(message: str, field: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"status": 400, "fehler": "ungueltige_eingabe", "nachricht": message}
    if field:
        body["feld"] = field
    return _reply(400, body)


async def _read_body(request: Request) -> bytes | None:
    """The body, or None when it exceeds MAX_BODY (checked before and while reading)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _lookup(number: str, code: str, client: str) -> JSONResponse:
    """Throttle, verify, answer. Runs in a worker thread: scrypt takes ~0.1 s of CPU."""
    number_key = throttle.digest("nummer", number)
    now = clock.now().replace(tzinfo=None)
    limits = throttle.Limits.from_settings()
    sessions = get_sessionmaker()
    with sessions() as session:  # read-only and cheap: a throttled guess costs no scrypt
        blocked = throttle.precheck(session, number_key, client, now, limits)
    if blocked is not None:
        return _throttled(blocked)
    with sessions() as session, session.begin():
        outcome = throttle.reserve(session, number_key, client, now, limits)
        stored = None
        if isinstance(outcome, throttle.Attempt):
            stored = session.scalar(
                select(Antrag.zugangscode_hash).where(Antrag.vorgangsnummer == number)
            )
    if isinstance(outcome, throttle.Blocked):
        return _throttled(outcome)
    # Outside the transaction: the reservation already counts, no lock is held while hashing.
    matches = codes.verify(code, stored or codes.DUMMY) and stored is not None
    if not matches:
        return _reply(404, NOT_FOUND)
    with sessions() as session, session.begin():
        throttle.succeeded(session, outcome)
        application = session.get(Antrag, number)
        if application is None:  # removed by a reload in between
            return _reply(404, NOT_FOUND)
        steps = list(session.scalars(select(Schritt).where(Schritt.vorgangsnummer == number)))
        return _reply(200, status.answer(application, steps))


@router.post(
    "/api/v1/antraege/status",
    summary="Bearbeitungsstand eines Antrags (Vorgangsnummer + Zugangscode)",
    openapi_extra={"requestBody": REQUEST_BODY},
    # Documents the bearer scheme in the OpenAPI file; `_refused` does the actual check.
    dependencies=[Depends(HTTPBearer(auto_error=False, scheme_name="bearerAuth"))],
    responses={
        400: {"description": "Ungültige Eingabe"},
        401: {"description": "Bearer-Token fehlt oder ist falsch"},
        404: {"description": "Kein Vorgang zu Nummer und Code (gleiche Antwort für beides)"},
        413: {"description": "Anfrage zu groß"},
        429: {"description": "Zu viele Fehlversuche; Retry-After in Sekunden"},
        503: {"description": "Server ohne APPLICATIONS_API_TOKEN: Dienst abgeschaltet"},
    },
)
async def application_status(request: Request) -> JSONResponse:
    refused = _refused(request)
    if refused is not None:
        return refused
    raw = await _read_body(request)
    if raw is None:
        body = {"status": 413, "fehler": "zu_gross", "nachricht": "Die Anfrage ist zu groß."}
        return _reply(413, body)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return _invalid("Die Anfrage muss ein JSON-Objekt sein.")
    if not isinstance(data, dict):
        return _invalid("Die Anfrage muss ein JSON-Objekt sein.")
    number, code = data.get("vorgangsnummer"), data.get("zugangscode")
    if not isinstance(number, str) or not codes.is_valid_number(codes.normalize_number(number)):
        return _invalid(
            "Die Vorgangsnummer hat das Format XX-JJJJ-NNNNNN: zwei oder drei Buchstaben, "
            "das Jahr und sechs Ziffern.",
            "vorgangsnummer",
        )
    if not isinstance(code, str) or not codes.is_valid_code(codes.normalize_code(code)):
        return _invalid("Der Zugangscode besteht aus 6 Buchstaben oder Ziffern.", "zugangscode")
    client_key = request.headers.get("x-client-key")
    if client_key is not None and len(client_key) > MAX_CLIENT_KEY:
        return _invalid(f"X-Client-Key darf höchstens {MAX_CLIENT_KEY} Zeichen haben.")
    address = request.client.host if request.client else "unbekannt"
    client = throttle.client_digest(address, client_key)
    return await run_in_threadpool(
        _lookup, codes.normalize_number(number), codes.normalize_code(code), client
    )
