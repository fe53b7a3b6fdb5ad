"""Administrative services: keyword search and the NRW Zuständigkeitsfinder (ZuFi) shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from actions.clients.http import ApiError, Fetched, JsonApi


@dataclass(frozen=True)
class Office:
    name: str
    address: str
    phone: str
    email: str
    opening_hours: str


@dataclass(frozen=True)
class Service:
    key: str
    name: str
    summary: str
    documents: list[str] = field(default_factory=list)
    costs: str = ""
    duration: str = ""
    deadlines: str = ""
    online_url: str = ""
    offices: list[Office] = field(default_factory=list)


def _text_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str):
        parts = [line.strip(" -•\t") for line in value.splitlines()]
        return [p for p in parts if p]
    return []


def _address(office: dict[str, Any]) -> str:
    for entry in office.get("anschrift") or []:
        street = " ".join(str(entry.get(k) or "") for k in ("strasse", "hausnummer")).strip()
        town = " ".join(str(entry.get(k) or "") for k in ("postleitzahl", "ort")).strip()
        return ", ".join(part for part in (street, town) if part)
    return ""


def _contact(office: dict[str, Any], channel: str) -> str:
    for entry in office.get("kommunikation") or []:
        if str(entry.get("kanal", "")).lower() == channel:
            return str(entry.get("kennung") or "")
    return ""


def _opening_hours(office: dict[str, Any]) -> str:
    hours = office.get("oeffnungszeiten")
    if isinstance(hours, list):
        return "; ".join(str(h) for h in hours)
    return str(hours or "")


def parse_zustaendigkeit(item: dict[str, Any]) -> Service:
    text = item.get("leistungStammtext") or {}
    kosten = text.get("kosten")
    if isinstance(kosten, dict):
        kosten = kosten.get("text") or ""
    dauer = text.get("bearbeitungsdauer")
    if isinstance(dauer, dict):
        dauer = dauer.get("text") or ""
    offices = [
        Office(
            name=str(o.get("name", "")),
            address=_address(o),
            phone=_contact(o, "telefon"),
            email=_contact(o, "email"),
            opening_hours=_opening_hours(o),
        )
        for o in item.get("organisationseinheit") or []
    ]
    return Service(
        key=str(text.get("schluessel", "")),
        name=str(text.get("bezeichnung", "")),
        summary=str(text.get("kurztext") or text.get("teaser") or ""),
        documents=_text_list(text.get("erforderliche_unterlagen")),
        costs=str(kosten or ""),
        duration=str(dauer or ""),
        deadlines=str(text.get("fristen") or ""),
        online_url=str(text.get("urlOnlineDienst") or ""),
        offices=offices,
    )


class ServicesClient:
    def __init__(self, api: JsonApi, regional_key: str) -> None:
        self.api = api
        self.regional_key = regional_key

    async def search(self, query: str) -> list[tuple[str, str]]:
        """(leistungsschluessel, name) candidates, best first."""
        fetched = await self.api.get("/services", {"q": query})
        items = (
            fetched.data if isinstance(fetched.data, list) else (fetched.data or {}).get("items")
        )
        if not isinstance(items, list):
            raise ApiError("bad_response", "services search without a list")
        results = []
        for item in items:
            key = (
                item.get("schluessel") or item.get("Schluessel") or item.get("leistungsschluessel")
            )
            name = item.get("bezeichnung") or item.get("Bezeichnung") or item.get("name")
            if key and name:
                results.append((str(key), str(name)))
        return results

    async def details(self, key: str) -> tuple[Service, Fetched]:
        fetched = await self.api.get(
            "/zustaendigkeiten",
            {"leistungsSchluessel": key, "regionalSchluessel": self.regional_key, "sprache": "DE"},
        )
        data = fetched.data
        if isinstance(data, list):  # some ZuFi versions answer a bare list of Zuständigkeiten
            data = data[0] if data else {}
        if not isinstance(data, dict) or not data.get("leistungStammtext"):
            raise ApiError("not_found", key)
        daten = data.get("daten") or []
        offices = data.get("organisationseinheit") or (
            daten[0].get("organisationseinheit") if daten and isinstance(daten[0], dict) else []
        )
        item = {
            "leistungStammtext": data["leistungStammtext"],
            "organisationseinheit": offices or [],
        }
        return parse_zustaendigkeit(item), fetched
