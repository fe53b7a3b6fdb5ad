"""Application status ("Vorgangsauskunft"): number + access code, never in a URL or a log.

The API serves personal data and answers only with `Authorization: Bearer <token>`
(APPLICATIONS_API_TOKEN, the same value on both sides); a wrong or missing token is a 401, a
server without a token a 503: both end as ApiError, never as "not found".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from actions.clients.http import ApiError, JsonApi

STATUS_PATH = "/api/v1/antraege/status"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApplicationStatus:
    number: str
    service: str
    status: str
    status_text: str
    last_step: str
    last_step_date: str
    next_step: str
    office: str
    office_phone: str = ""
    timeline: list[dict[str, Any]] = field(default_factory=list)


class ApplicationsClient:
    def __init__(self, api: JsonApi, token: str = "") -> None:
        self.api = api
        self.token = token

    async def status(self, number: str, code: str, client_key: str) -> ApplicationStatus | None:
        """The status, or None when number and code do not match (the API says no more)."""
        try:
            body = await self.api.post(
                STATUS_PATH,
                {"vorgangsnummer": number, "zugangscode": code},
                headers={"X-Client-Key": client_key, **self._authorization()},
            )
        except ApiError as error:
            if error.kind == "not_found":
                return None
            if error.status in (401, 403):
                # Our configuration, not the citizen's input: never answer "not found" for it.
                log.error("application-status API refused the request (%s): check that "
                          "APPLICATIONS_API_TOKEN is the same here and on the server", error.status)
                raise ApiError("unavailable", f"application status -> {error.status}") from error
            raise
        try:
            timeline = body.get("verlauf") or []
            last = timeline[-1] if timeline else {}
            office = body.get("zustaendige_stelle") or {}
            return ApplicationStatus(
                number=str(body["vorgangsnummer"]),
                service=str((body.get("leistung") or {}).get("bezeichnung", "")),
                status=str(body["status"]),
                status_text=str(body.get("status_text") or body["status"]),
                last_step=str(last.get("schritt") or last.get("text") or ""),
                last_step_date=str(last.get("datum") or body.get("letzte_aenderung") or ""),
                next_step=str(body.get("naechster_schritt") or ""),
                office=str(office.get("name", "")),
                office_phone=str(office.get("telefon", "")),
                timeline=timeline,
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ApiError("bad_response", f"application status: {exc}") from exc

    def _authorization(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}
