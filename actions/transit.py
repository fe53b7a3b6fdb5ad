"""Bus and Bahn: next departures, disruptions, direct lines between two stops (VRR EFA)."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import formatting as fmt
from actions.clients.http import Fetched
from actions.clients.transit import Departure, Info, Stop
from actions.common import DataAction, answer_with_source, entity, transit_client
from actions.matching import normalise
from bot.city import get_city

SHOWN_DEPARTURES = 5


def transit_source(fetched: Fetched) -> str:
    source = get_city().source("transit")
    return fmt.source_line(
        source["name"], source["licence"], fmt.now(), fetched.stale_age, fetched.simulated
    )


def normalise_line(text: str) -> str:
    """'U 79', 'u79', 'Linie 903', 'die 903' -> 'U79' / '903'."""
    text = re.sub(r"(?i)\b(linie|die|der|bus|bahn|tram)\b", " ", text)
    return re.sub(r"\s+", "", text).upper()


def is_follow_up(tracker: Tracker) -> bool:
    return tracker.latest_message.get("intent", {}).get("name") == "inform"


async def resolve_stop(
    dispatcher: CollectingDispatcher, name: str, intent: str, slot: str = "stop"
) -> Stop | None:
    """The stop meant by `name`; asks with buttons when ambiguous, says so when unknown."""
    stops = await transit_client().find_stops(name)
    if not stops:
        dispatcher.utter_message(
            text=f"Eine Haltestelle „{fmt.plain(name)}“ finde ich nicht. Bitte prüfen Sie die "
            "Schreibweise, z. B. „König-Heinrich-Platz“ oder „Duisburg Hbf“."
        )
        return None
    best = stops[0]
    if best.is_best or len(stops) == 1:
        return best
    dispatcher.utter_message(
        text=f"Es gibt mehrere Haltestellen zu „{fmt.plain(name)}“. Welche meinen Sie?",
        buttons=[
            {"title": s.name, "payload": f'/{intent}{{"{slot}": "{s.name}"}}'} for s in stops[:5]
        ],
    )
    return None


def departure_line(departure: Departure) -> str:
    minutes = fmt.minutes_until(departure.expected)
    when = "sofort" if minutes == 0 else f"in {minutes} Min."
    delay = departure.delay_minutes
    late = f" (+{delay})" if delay else (" (pünktlich)" if delay == 0 else "")
    return f"• {departure.line} → {departure.destination}: {when}, {fmt.clock_time(departure.planned)}{late}"


def info_lines(infos: list[Info], limit: int = 3) -> list[str]:
    seen: list[str] = []
    for info in infos:
        text = fmt.plain(info.text or info.title, limit=220)
        if text and text not in seen:
            seen.append(text)
    return [f"⚠️ {text}" for text in seen[:limit]]


class ActionNextDepartures(DataAction):
    context = "departures"

    def name(self) -> str:
        return "action_next_departures"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        follow_up = is_follow_up(tracker)
        new_stop = entity(tracker, "stop")
        stop_name = new_stop or tracker.get_slot("stop")
        line = entity(tracker, "line") or (tracker.get_slot("line") if follow_up else None)
        direction = entity(tracker, "direction")
        if not direction and follow_up and not new_stop:
            direction = tracker.get_slot("direction")
        if not stop_name:
            dispatcher.utter_message(response="utter_ask_stop")
            return [SlotSet("line", line)] if line else []
        stop = await resolve_stop(dispatcher, stop_name, "transit_departures")
        if stop is None:
            return []
        board, fetched = await transit_client().departures(stop.id)
        departures = board.departures
        wanted = normalise_line(line) if line else None
        if wanted:
            departures = [d for d in departures if normalise_line(d.line) == wanted]
        if direction:
            target = normalise(direction)
            departures = [d for d in departures if target in normalise(d.destination)] or departures
        now = fmt.now()
        departures = [d for d in departures if d.expected >= now][:SHOWN_DEPARTURES]
        label = stop.short_name or stop.name
        events: list[EventType] = [
            SlotSet("stop", stop.name),
            SlotSet("line", line),
            SlotSet("direction", direction),
        ]
        if not departures:
            what = f"der Linie {wanted}" if wanted else ""
            dispatcher.utter_message(
                text=f"An der Haltestelle {label} finde ich in nächster Zeit keine Abfahrten {what}.".replace(
                    "  ", " "
                ).replace(" .", ".")
            )
            return events
        title = f"Nächste Abfahrten {('der ' + wanted + ' ') if wanted else ''}ab {label}:"
        lines = [departure_line(d) for d in departures]
        notes = info_lines([info for d in departures for info in d.infos], limit=2)
        answer_with_source(dispatcher, "\n".join([title, *lines, *notes]), transit_source(fetched))
        return events


class ActionDisruptions(DataAction):
    context = "disruptions"

    def name(self) -> str:
        return "action_disruptions"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        line = entity(tracker, "line") or (
            tracker.get_slot("line") if is_follow_up(tracker) else None
        )
        stop_name = entity(tracker, "stop")
        if stop_name and not line:
            stop = await resolve_stop(dispatcher, stop_name, "transit_disruptions")
            if stop is None:
                return []
            board, fetched = await transit_client().departures(stop.id)
            notes = info_lines([i for d in board.departures for i in d.infos], limit=4)
            label = stop.short_name or stop.name
            text = (
                f"Aktuelle Meldungen an der Haltestelle {label}:\n" + "\n".join(notes)
                if notes
                else f"An der Haltestelle {label} sind mir keine Störungen bekannt."
            )
            answer_with_source(dispatcher, text, transit_source(fetched))
            return [SlotSet("stop", stop.name)]
        wanted = normalise_line(line) if line else None
        infos, fetched = await transit_client().disruptions(wanted)
        if wanted:
            infos = [
                i for i in infos if not i.lines or wanted in {normalise_line(x) for x in i.lines}
            ]
        notes = info_lines(infos, limit=4)
        if notes:
            head = (
                f"Aktuelle Meldungen zur Linie {wanted}:"
                if wanted
                else "Aktuelle Störungen und Änderungen:"
            )
            text = "\n".join([head, *notes])
        else:
            text = (
                f"Zur Linie {wanted} sind mir keine Störungen bekannt."
                if wanted
                else "Mir sind gerade keine Störungen bekannt."
            )
        answer_with_source(dispatcher, text, transit_source(fetched))
        return [SlotSet("line", line)] if line else []


class ActionConnections(DataAction):
    context = "connection"

    def name(self) -> str:
        return "action_connections"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        origin_name, destination_name = self._ends(tracker)
        if not origin_name or not destination_name:
            dispatcher.utter_message(response="utter_ask_two_stops")
            return []
        origin = await resolve_stop(dispatcher, origin_name, "transit_connection", "origin")
        if origin is None:
            return []
        destination = await resolve_stop(
            dispatcher, destination_name, "transit_connection", "destination"
        )
        if destination is None:
            return [SlotSet("origin", origin.name)]
        journeys, fetched = await transit_client().direct_journeys(origin.id, destination.id)
        a, b = origin.short_name or origin.name, destination.short_name or destination.name
        events: list[EventType] = [
            SlotSet("origin", origin.name),
            SlotSet("destination", destination.name),
        ]
        if not journeys:
            dispatcher.utter_message(
                text=f"Von {a} nach {b} fährt keine Linie direkt. Eine Verbindung mit Umstieg "
                "finden Sie in der Fahrplanauskunft des VRR."
            )
            return events
        by_line: dict[str, Any] = {}
        for journey in sorted(journeys, key=lambda j: j.departure):
            by_line.setdefault(journey.line, journey)
        lines = [
            f"• {j.line} → {j.destination}: nächste Abfahrt {fmt.clock_time(j.departure_estimated or j.departure)}"
            + (f", an {fmt.clock_time(j.arrival)}" if j.arrival else "")
            for j in by_line.values()
        ]
        text = f"Direkt von {a} nach {b}:\n" + "\n".join(lines)
        answer_with_source(dispatcher, text, transit_source(fetched))
        return events

    @staticmethod
    def _ends(tracker: Tracker) -> tuple[str | None, str | None]:
        origin = entity(tracker, "stop", "from")
        destination = entity(tracker, "stop", "to")
        plain = [
            e.get("value")
            for e in tracker.latest_message.get("entities") or []
            if e.get("entity") == "stop" and not e.get("role")
        ]
        for value in plain:
            if not origin:
                origin = value
            elif not destination:
                destination = value
        if (
            is_follow_up(tracker)
            or tracker.latest_message.get("intent", {}).get("name") == "transit_connection"
        ):
            origin = origin or tracker.get_slot("origin")
            destination = destination or tracker.get_slot("destination")
        return origin, destination
