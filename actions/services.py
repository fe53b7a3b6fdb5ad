"""Administrative services: documents, costs, office and hours, duration, online service."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import formatting as fmt
from actions.clients.http import Fetched
from actions.clients.services import Service
from actions.common import DataAction, answer_with_source, entity, services_client
from bot.city import get_city

ASPECT_OF_INTENT = {
    "service_overview": "overview",
    "service_documents": "documents",
    "service_location": "location",
    "service_duration": "duration",
    "service_online": "online",
    "ask_cost": "cost",
    "ask_opening_hours": "hours",
}


def services_source(fetched: Fetched) -> str:
    source = get_city().source("services")
    return fmt.source_line(
        source["name"], source["licence"], None, fetched.stale_age, fetched.simulated
    )


def office_text(service: Service, with_hours: bool = True) -> str:
    if not service.offices:
        return f"Zuständig ist die Stadtverwaltung; Auskunft gibt {get_city().hotline}."
    office = service.offices[0]
    parts = [f"Zuständig: {office.name}"]
    if office.address:
        parts.append(f"Adresse: {office.address}")
    if with_hours and office.opening_hours:
        parts.append(f"Öffnungszeiten: {office.opening_hours}")
    if office.phone:
        parts.append(f"Telefon: {office.phone}")
    return "\n".join(parts)


def online_text(service: Service) -> str:
    if service.online_url:
        return f"Das geht auch online: {service.online_url}"
    return (
        "Dafür gibt es leider keinen Online-Dienst; bitte wenden Sie sich an die zuständige Stelle."
    )


def aspect_text(service: Service, aspect: str) -> str:
    name = service.name
    if aspect == "documents":
        if not service.documents:
            return f"Für „{name}“ sind keine besonderen Unterlagen angegeben.\n{office_text(service, False)}"
        items = "\n".join(f"• {doc}" for doc in service.documents)
        return f"Für „{name}“ brauchen Sie:\n{items}"
    if aspect == "cost":
        return f"Kosten für „{name}“: {service.costs or 'keine Angabe'}"
    if aspect == "duration":
        return f"Bearbeitungsdauer für „{name}“: {service.duration or 'keine Angabe'}" + (
            f"\nFristen: {service.deadlines}" if service.deadlines else ""
        )
    if aspect == "online":
        return f"„{name}“: {online_text(service)}"
    if aspect in ("location", "hours"):
        return f"„{name}“\n{office_text(service)}"
    summary = fmt.plain(service.summary, limit=300)
    lines = [f"„{name}“: {summary}" if summary else f"„{name}“"]
    if service.costs:
        lines.append(f"Kosten: {service.costs}")
    lines.append(online_text(service))
    return "\n".join(lines)


def aspect_buttons(service: Service, shown: str) -> list[dict[str, str]]:
    labels = {
        "documents": "Unterlagen",
        "cost": "Kosten",
        "location": "Wo und wann?",
        "duration": "Dauer",
        "online": "Online?",
    }
    intents = {v: k for k, v in ASPECT_OF_INTENT.items()}
    return [
        {"title": title, "payload": f'/{intents[aspect]}{{"service": "{service.name}"}}'}
        for aspect, title in labels.items()
        if aspect != shown
    ][:3]


class ActionServiceInfo(DataAction):
    context = "service"

    def name(self) -> str:
        return "action_service_info"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = tracker.latest_message.get("intent", {}).get("name", "")
        aspect = ASPECT_OF_INTENT.get(intent) or tracker.get_slot("service_aspect") or "overview"
        return await answer_service(dispatcher, tracker, aspect)


async def answer_service(
    dispatcher: CollectingDispatcher, tracker: Tracker, aspect: str, query: str | None = None
) -> list[EventType]:
    query = query or entity(tracker, "service") or tracker.get_slot("service")
    if not query:
        dispatcher.utter_message(response="utter_ask_service")
        return [SlotSet("service_aspect", aspect)]
    client = services_client()
    candidates = await client.search(query)
    if not candidates:
        dispatcher.utter_message(
            text=f"Zu „{fmt.plain(query)}“ habe ich keine Dienstleistung gefunden. Versuchen Sie es "
            f"mit einem anderen Wort oder fragen Sie {get_city().hotline}.",
            buttons=[
                {
                    "title": "Personalausweis",
                    "payload": '/service_overview{"service": "Personalausweis"}',
                },
                {
                    "title": "Gewerbeanmeldung",
                    "payload": '/service_overview{"service": "Gewerbeanmeldung"}',
                },
            ],
        )
        return []
    key, _name = candidates[0]
    service, fetched = await client.details(key)
    answer_with_source(
        dispatcher,
        aspect_text(service, aspect),
        services_source(fetched),
        aspect_buttons(service, aspect),
    )
    return [SlotSet("service", service.name), SlotSet("service_aspect", aspect)]
