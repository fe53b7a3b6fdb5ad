"""Costs and opening hours: asked of a car park or of a service, by name or by context."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import formatting as fmt
from actions.common import DataAction, answer_with_source, entity, parking_client
from actions.parking import find_site, parking_source, site_status, suggestion_buttons
from actions.services import answer_service


class ActionAnswerAspect(DataAction):
    def name(self) -> str:
        return "action_answer_aspect"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = tracker.latest_message.get("intent", {}).get("name", "")
        aspect = "cost" if intent == "ask_cost" else "hours"
        car_park, service, office = (
            entity(tracker, "car_park"),
            entity(tracker, "service"),
            entity(tracker, "office"),
        )
        context = tracker.get_slot("context")
        if not (car_park or service or office):
            if context == "parking" and tracker.get_slot("car_park"):
                car_park = tracker.get_slot("car_park")
            elif context == "service" and tracker.get_slot("service"):
                service = tracker.get_slot("service")
        if car_park:
            return await self._car_park(dispatcher, car_park, aspect)
        if service or office:
            events = await answer_service(dispatcher, tracker, aspect, query=service or office)
            return [SlotSet("context", "service"), *events]
        dispatcher.utter_message(
            response="utter_ask_what_cost" if aspect == "cost" else "utter_ask_what_hours"
        )
        return []

    @staticmethod
    async def _car_park(
        dispatcher: CollectingDispatcher, name: str, aspect: str
    ) -> list[EventType]:
        sites, fetched = await parking_client().sites()
        found = find_site(name, sites)
        if found.item is None:
            dispatcher.utter_message(
                text=f"Ein Parkhaus „{fmt.plain(name)}“ kenne ich nicht."
                + (" Meinten Sie …?" if found.suggestions else ""),
                buttons=suggestion_buttons(found.suggestions) or None,
            )
            return []
        site = found.item
        if aspect == "cost":
            text = f"{site.name}: {site.fee_description or 'kein Tarif angegeben'}"
        else:
            text = f"{site.name} – Öffnungszeiten: {site.opening_hours or 'keine Angabe'}\nJetzt: {site_status(site)}."
        answer_with_source(dispatcher, text, parking_source(fetched, [site]))
        return [SlotSet("context", "parking"), SlotSet("car_park", site.name)]
