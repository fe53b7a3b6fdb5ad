"""Open data: datasets on a topic, and answers from the data itself (CKAN datastore).

Which table answers which question, and its column names, come from the city profile, so the
same actions run on another city's catalogue.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from cachetools import TTLCache
from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import formatting as fmt
from actions.clients.ckan import Dataset, Table
from actions.common import DataAction, answer_with_source, ckan_client, entity, entity_or_slot
from actions.matching import match
from bot.city import get_city

_datasets: TTLCache[str, Dataset | None] = TTLCache(maxsize=64, ttl=600)
_distinct: TTLCache[str, list[str]] = TTLCache(maxsize=64, ttl=600)
_STOPWORDS = {
    "gibt",
    "es",
    "offene",
    "daten",
    "zu",
    "zum",
    "zur",
    "über",
    "ueber",
    "datensatz",
    "datensätze",
    "datensaetze",
    "habt",
    "ihr",
    "haben",
    "sie",
    "open",
    "data",
    "den",
    "die",
    "der",
    "das",
    "wo",
    "finde",
    "ich",
    "in",
    "duisburg",
    "bitte",
    "welche",
    "gibt's",
}


def table(key: str) -> tuple[str, dict[str, str]]:
    config = get_city().table(key)
    return config["resource"], config["columns"]


async def dataset_source(resource: str, data: Table) -> str:
    if resource not in _datasets:
        _datasets[resource] = await ckan_client().dataset_of_resource(data.resource_id or resource)
    dataset = _datasets[resource]
    title = dataset.title if dataset else resource
    licence = dataset.licence if dataset else ""
    stamp = dataset.modified if dataset else None
    name = f"{title} (Open Data {get_city().name})"
    return fmt.source_line(name, licence, stamp, data.fetched.stale_age, data.fetched.simulated)


async def distinct_values(resource: str, column: str) -> list[str]:
    key = f"{resource}:{column}"
    if key not in _distinct:
        rows = await ckan_client().datastore(resource, limit=32000)
        _distinct[key] = sorted({str(r.get(column)) for r in rows.records if r.get(column)})
    return _distinct[key]


async def resolve_area(
    resource: str, columns: dict[str, str], name: str
) -> tuple[str, str] | list[str] | None:
    """(column, value) for an Ortsteil or Stadtbezirk name; suggestions; or None."""
    aliases = {
        k.casefold(): v for k, v in ((get_city().aliases or {}).get("district") or {}).items()
    }
    name = aliases.get(name.casefold().strip(), name)
    options: list[tuple[str, str]] = []
    for role in ("district", "borough"):
        if role in columns:
            options += [(columns[role], v) for v in await distinct_values(resource, columns[role])]
    found = match(name, options, [[value] for _column, value in options], threshold=84)
    if found.item is not None:
        return found.item
    return [value for _column, value in found.suggestions] or None


def _date(value: Any) -> date | None:
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")[:19]).date()
        except ValueError:
            return None
    return None


def _datetime(value: Any) -> datetime | None:
    if isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=fmt.BERLIN)
    return None


def topic_words(tracker: Tracker) -> str:
    topic = entity_or_slot(tracker, "topic")
    if topic:
        return topic
    words = re.findall(r"[\wäöüÄÖÜß-]+", tracker.latest_message.get("text") or "")
    return " ".join(w for w in words if w.casefold() not in _STOPWORDS)[:100]


class AreaAnswer(DataAction):
    """An answer about one Ortsteil or Stadtbezirk from one datastore table."""

    ask_response = "utter_ask_district"
    intent_name = ""  # for the buttons of an ambiguous district

    async def area(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        resource: str,
        columns: dict[str, str],
    ) -> tuple[str, str] | None:
        name = entity(tracker, "district") or tracker.get_slot("district")
        if not name:
            dispatcher.utter_message(response=self.ask_response)
            return None
        resolved = await resolve_area(resource, columns, name)
        if resolved is None:
            dispatcher.utter_message(
                text=f"Einen Stadtteil „{fmt.plain(name)}“ kenne ich nicht. Nennen Sie z. B. Neudorf, Hochfeld oder Meiderich."
            )
            return None
        if isinstance(resolved, list):
            dispatcher.utter_message(
                text=f"Welchen Stadtteil meinen Sie mit „{fmt.plain(name)}“?",
                buttons=[
                    {"title": v, "payload": f'/{self.intent_name}{{"district": "{v}"}}'}
                    for v in resolved
                ],
            )
            return None
        return resolved

    async def rows(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        resource: str,
        columns: dict[str, str],
    ) -> tuple[str, str, Table] | None:
        """The table's rows for the Ortsteil or Stadtbezirk the citizen named (None: asked back)."""
        area = await self.area(dispatcher, tracker, resource, columns)
        if area is None:
            return None
        column, value = area
        return (
            column,
            value,
            await ckan_client().datastore(resource, filters={column: value}, limit=500),
        )


class ActionDatasetSearch(DataAction):
    context = "dataset_search"

    def name(self) -> str:
        return "action_dataset_search"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        query = topic_words(tracker)
        if not query:
            dispatcher.utter_message(response="utter_ask_topic")
            return []
        datasets, count, fetched = await ckan_client().search_datasets(query, rows=3)
        city = get_city()
        if not datasets:
            dispatcher.utter_message(
                text=f"Zu „{fmt.plain(query)}“ habe ich keine offenen Daten gefunden. "
                f"Alle Datensätze finden Sie unter {city.opendata_portal_url}."
            )
            return [SlotSet("topic", query)]
        lines = [f"Offene Daten zu „{fmt.plain(query)}“ ({count} Treffer):"]
        for dataset in datasets:
            description = fmt.plain(dataset.notes, limit=110)
            formats = ", ".join(dataset.formats[:4]) or "–"
            lines.append(
                f"• {dataset.title}: {description}\n  Formate: {formats} · Lizenz: {dataset.licence or 'k. A.'}\n  {dataset.url}"
            )
        stamp = max((d.modified for d in datasets if d.modified), default=None)
        catalogue = f"Open-Data-Katalog {city.name} (CKAN)"
        source = fmt.source_line(catalogue, "", stamp, fetched.stale_age, fetched.simulated)
        answer_with_source(dispatcher, "\n".join(lines), source)
        return [SlotSet("topic", query)]


class ActionKitaPlaces(AreaAnswer):
    context = "kita_places"
    intent_name = "kita_places"

    def name(self) -> str:
        return "action_kita_places"

    async def answer(self, dispatcher, tracker, domain):
        resource, columns = table("kitas")
        found = await self.rows(dispatcher, tracker, resource, columns)
        if found is None:
            return []
        _column, value, data = found
        free = [r for r in data.records if int(r.get(columns["free"]) or 0) > 0]
        free.sort(key=lambda r: -int(r.get(columns["free"]) or 0))
        if not free:
            text = f"In {value} sind laut Kita-Daten zurzeit keine Plätze frei ({len(data.records)} Kitas)."
        else:
            lines = [
                f"• {r.get(columns['name'])} ({r.get(columns['address'], '')}): {r.get(columns['free'])} frei"
                for r in free[:5]
            ]
            text = f"Kitas mit freien Plätzen in {value}:\n" + "\n".join(lines)
        answer_with_source(dispatcher, text, await dataset_source(resource, data))
        return [SlotSet("district", value)]


class ActionRoadworks(AreaAnswer):
    context = "roadworks"
    intent_name = "roadworks"

    def name(self) -> str:
        return "action_roadworks"

    async def answer(self, dispatcher, tracker, domain):
        resource, columns = table("roadworks")
        street = entity(tracker, "street")
        today = fmt.local(fmt.now()).date()
        if street:
            streets = await distinct_values(resource, columns["street"])
            found = match(street, streets, [[s] for s in streets], threshold=84)
            if found.item is None:
                dispatcher.utter_message(
                    text=f"Auf der {fmt.plain(street)} ist mir keine Baustelle bekannt."
                )
                return []
            where, filters = f"auf der {found.item}", {columns["street"]: found.item}
        else:
            area = await self.area(dispatcher, tracker, resource, columns)
            if area is None:
                return []
            where, filters = f"in {area[1]}", {area[0]: area[1]}
        data = await ckan_client().datastore(resource, filters=filters, limit=500)
        current = [
            r
            for r in data.records
            if (_date(r.get(columns["start"])) or date.min)
            <= today
            <= (_date(r.get(columns["end"])) or date.max)
        ]
        if not current:
            text = f"Zurzeit ist mir keine Baustelle {where} bekannt."
        else:
            lines = []
            for r in current[:5]:
                end = _date(r.get(columns["end"]))
                until = f" bis {end:%d.%m.%Y}" if end else ""
                detour = r.get(columns.get("detour", ""), "")
                lines.append(
                    f"• {r.get(columns['street'])}: {r.get(columns['restriction'], '')}{until}"
                    + (f" (Umleitung: {detour})" if detour else "")
                )
            text = f"Aktuelle Baustellen {where}:\n" + "\n".join(lines)
        answer_with_source(dispatcher, text, await dataset_source(resource, data))
        return []


class ActionBathingWater(DataAction):
    context = "bathing_water"

    def name(self) -> str:
        return "action_bathing_water"

    async def answer(self, dispatcher, tracker, domain):
        resource, columns = table("bathing_water")
        spot = entity_or_slot(tracker, "bathing_spot")
        spots = await distinct_values(resource, columns["spot"])
        if not spot:
            dispatcher.utter_message(
                text="Für welche Badestelle? " + ", ".join(spots[:6]),
                buttons=[
                    {"title": s, "payload": f'/bathing_water{{"bathing_spot": "{s}"}}'}
                    for s in spots[:4]
                ],
            )
            return []
        found = match(spot, spots, [[s] for s in spots], threshold=80)
        if found.item is None:
            options = found.suggestions or spots[:4]
            dispatcher.utter_message(
                text=f"Eine Badestelle „{fmt.plain(spot)}“ kenne ich nicht. Meinten Sie …?",
                buttons=[
                    {"title": s, "payload": f'/bathing_water{{"bathing_spot": "{s}"}}'}
                    for s in options
                ],
            )
            return []
        data = await ckan_client().datastore(
            resource,
            filters={columns["spot"]: found.item},
            sort=f'"{columns["date"]}" desc',
            limit=1,
        )
        if not data.records:
            dispatcher.utter_message(text=f"Für {found.item} liegen keine Messwerte vor.")
            return []
        row = data.records[0]
        measured = _date(row.get(columns["date"]))
        text = f"{found.item}: Wasserqualität „{row.get(columns['rating'])}“" + (
            f" (Messung vom {measured:%d.%m.%Y})" if measured else ""
        )
        if row.get(columns.get("note", "")):
            text += f"\n{row.get(columns['note'])}"
        answer_with_source(dispatcher, text, await dataset_source(resource, data))
        return [SlotSet("bathing_spot", found.item)]


class ActionPopulation(AreaAnswer):
    context = "population"
    intent_name = "population"

    def name(self) -> str:
        return "action_population"

    async def answer(self, dispatcher, tracker, domain):
        resource, columns = table("population")
        area = await self.area(dispatcher, tracker, resource, columns)
        if area is None:
            return []
        column, value = area
        data = await ckan_client().datastore(resource, filters={column: value}, limit=100)
        total = sum(int(r.get(columns["inhabitants"]) or 0) for r in data.records)
        kind = "der Stadtbezirk" if column == columns.get("borough") else "der Ortsteil"
        stamp = data.records[0].get(columns["date"]) if data.records else ""
        text = f"{value} ({kind}) hat {fmt.number(total)} Einwohnerinnen und Einwohner" + (
            f" (Stichtag {_date(stamp):%d.%m.%Y})." if _date(stamp) else "."
        )
        answer_with_source(dispatcher, text, await dataset_source(resource, data))
        return [SlotSet("district", value)]


class ActionPharmacyDuty(DataAction):
    context = "pharmacy_duty"

    def name(self) -> str:
        return "action_pharmacy_duty"

    async def answer(self, dispatcher, tracker, domain):
        resource, columns = table("pharmacies")
        now = fmt.now()
        data = await ckan_client().datastore(resource, limit=32000)
        on_duty = []
        for row in data.records:
            start, end = _datetime(row.get(columns["start"])), _datetime(row.get(columns["end"]))
            if start and end and start <= now < end:
                on_duty.append((row, end))
        district = entity(tracker, "district")
        if district and on_duty:
            found = match(
                district,
                on_duty,
                [[str(r.get(columns["district"], ""))] for r, _ in on_duty],
                threshold=80,
            )
            on_duty = [found.item] if found.item else on_duty
        if not on_duty:
            text = "Für jetzt finde ich keine Notdienst-Apotheke in den Daten. Die aktuelle Liste gibt es unter aponet.de oder 0800 00 22 8 33."
        else:
            lines = [
                f"• {r.get(columns['name'])}, {r.get(columns['address'])}, Tel. {r.get(columns['phone'])} (bis {fmt.clock_time(end)} Uhr)"
                for r, end in on_duty[:4]
            ]
            text = "Notdienst-Apotheken jetzt:\n" + "\n".join(lines)
        answer_with_source(dispatcher, text, await dataset_source(resource, data))
        return []


class ActionChargingStations(AreaAnswer):
    context = "charging_stations"
    intent_name = "charging_stations"

    def name(self) -> str:
        return "action_charging_stations"

    async def answer(self, dispatcher, tracker, domain):
        resource, columns = table("charging")
        found = await self.rows(dispatcher, tracker, resource, columns)
        if found is None:
            return []
        _column, value, data = found
        if not data.records:
            text = f"In {value} sind keine Ladestationen verzeichnet."
        else:
            lines = [
                f"• {r.get(columns['name'])}, {r.get(columns['address'])}: {r.get(columns['points'])} Ladepunkte, {r.get(columns['power'])} kW"
                for r in data.records[:5]
            ]
            more = f"\n… und {len(data.records) - 5} weitere." if len(data.records) > 5 else ""
            text = f"Ladestationen in {value}:\n" + "\n".join(lines) + more
        answer_with_source(dispatcher, text, await dataset_source(resource, data))
        return [SlotSet("district", value)]


class ActionFlatsOffered(AreaAnswer):
    context = "flats_offered"
    intent_name = "flats_offered"

    def name(self) -> str:
        return "action_flats_offered"

    async def answer(self, dispatcher, tracker, domain):
        resource, columns = table("flats")
        found = await self.rows(dispatcher, tracker, resource, columns)
        if found is None:
            return []
        _column, value, data = found
        rooms = re.search(
            r"(\d)\s*[- ]?(?:zimmer|zi\b|raum)", (tracker.latest_message.get("text") or "").lower()
        )
        records = data.records
        if rooms:
            wanted = int(rooms.group(1))
            records = [r for r in records if int(float(r.get(columns["rooms"]) or 0)) == wanted]
        if not records:
            text = f"In {value} finde ich zurzeit keine passenden Wohnungsangebote."
        else:
            lines = [
                f"• {r.get(columns['rooms'])} Zimmer, {r.get(columns['area'])} m², {r.get(columns['rent'])} € kalt ({r.get(columns['provider'])})"
                for r in records[:5]
            ]
            text = f"Wohnungsangebote in {value}:\n" + "\n".join(lines)
        answer_with_source(dispatcher, text, await dataset_source(resource, data))
        return [SlotSet("district", value)]
