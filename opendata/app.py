"""ASGI application: one router per public protocol, seeded database, request logs.

Who may call what:

* The read-only open-data routes (CKAN Action API, ParkAPI, VRR EFA, Zuständigkeitsfinder,
  dataset pages, /health, /docs) are public on purpose: they mirror public portals and serve
  nothing that is not meant for everyone. The CKAN emulation implements no write action; every
  write action (package_create, datastore_upsert, …) answers 403 to everyone, so there is nothing
  for an admin token to unlock.
* The application-status API (opendata.applications) serves personal data: it answers only
  requests with `Authorization: Bearer <APPLICATIONS_API_TOKEN>`, and refuses every request (503)
  when the server has no token configured.
* Every request passes `opendata.limits.RequestLimits` first (sizes of path, query, headers and
  body), so no route ever parses an unbounded input.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opendata import applications, ckan, health, parking, services, transit
from opendata.limits import RequestLimits
from opendata.seed import prepare_database
from opendata.settings import get_settings

log = logging.getLogger("opendata.access")


class AccessLog:
    """Logs method, path, status and duration only: no query string, body or client address,
    because queries can carry application numbers and the body access codes.

    Plain ASGI: Starlette's `@app.middleware("http")` runs every request through an extra task
    and stream, which cost more than the logging.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            log.info(
                "%s %s %s %.1fms",
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
            )


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    if "applications" in settings.domains and not settings.applications_api_token:
        logging.getLogger("opendata").error(
            "application-status API disabled (every request answers 503): "
            "APPLICATIONS_API_TOKEN is not set; set it to a long random value, the same for this "
            "server and the action server"
        )
    prepare_database()
    yield


def create_app() -> FastAPI:
    app = FastAPI(
        title="Stadtlotse open-data server",
        version="1.0.0",
        description=(
            "Embedded stand-in for a city's open-data sources. It speaks the public protocols "
            "(CKAN Action API v3, ParkAPI v3, VRR EFA rapidJSON, NRW Zuständigkeitsfinder) so "
            "that clients work against it or the real services by changing a base URL. "
            "Live values of a demo data package are simulated; every answer carrying them has "
            "the header `X-Stadtlotse-Simulated: true`. The application-status API needs "
            "`Authorization: Bearer <APPLICATIONS_API_TOKEN>`."
        ),
        lifespan=lifespan,
    )

    app.add_middleware(RequestLimits)
    app.add_middleware(AccessLog)  # added last: outermost, so refused requests are logged too

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()
        ]
        return JSONResponse({"error": "validation_error", "detail": errors}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, (dict, list)) else {"error": str(exc.detail)}
        return JSONResponse(detail, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
        logging.getLogger("opendata").exception("unhandled error: %s", type(exc).__name__)
        return JSONResponse({"error": "internal_error"}, status_code=500)

    app.include_router(health.router)
    domains = {
        "ckan": ckan,
        "parking": parking,
        "transit": transit,
        "services": services,
        "applications": applications,
    }
    for name in get_settings().domains:
        app.include_router(domains[name].router)
    return app


app = create_app()
