"""Application status ("Vorgangsauskunft"): number + access code, never in a URL or a log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from actions.clients.http import ApiError, JsonApi

STATUS_PATH = "/api/v1/antraege/status"


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
    def __init__(self, api: JsonApi) -> None:
        self.api = api

    async def status(self, number: str, code: str, client_key: str) -> ApplicationStatus | None:
        """The status, or None when number and code do not match (the API says no more)."""
        try:
            body = await self.api.post(
                STATUS_PATH,
                {"vorgangsnummer": number, "zugangscode": code},
                headers={"X-Client-Key": client_key},
            )
        except ApiError as error:
            if error.kind == "not_found":
                return None
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
