"""Parking: free spaces in a car park, near a place or location, the emptiest in a zone."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import formatting as fmt
from actions.clients.http import Fetched
from actions.clients.parking import ParkingSite
from actions.common import (
    DataAction,
    answer_with_source,
    entity,
    entity_or_slot,
    parking_client,
    transit_client,
)
from actions.matching import match
from bot.city import get_city

NEARBY_RADIUS_M = 2500
ZONES = {
    "city": "City",
    "innenstadt": "City",
    "innenhafen": "Innenhafen",
    "randbereich": "Randbereich",
}


def parking_source(fetched: Fetched, sites: list[ParkingSite]) -> str:
    source = get_city().source("parking")
    stamps = [s.updated_at for s in sites if s.updated_at is not None]
    stamp = max(stamps) if stamps else None
    return fmt.source_line(
        source["name"], source["licence"], stamp, fetched.stale_age, fetched.simulated
    )


def site_status(site: ParkingSite) -> str:
    """'212 von 600 Plätzen frei' or an honest note when closed or without live data."""
    if site.status == "CLOSED":
        hours = f" (Öffnungszeiten: {site.opening_hours})" if site.opening_hours else ""
        return f"zurzeit geschlossen{hours}"
    if site.free is None:
        capacity = f" ({site.capacity} Plätze)" if site.capacity else ""
        return f"keine aktuellen Live-Daten{capacity}"
    if site.free == 0:
        return "voll belegt"
    of = f" von {site.capacity}" if site.capacity else ""
    return f"{site.free}{of} Plätzen frei"


def site_names(site: ParkingSite) -> list[str]:
    names = [site.name]
    if site.address:
        names.append(site.address.split(",")[0])
    return names


def find_site(query: str, sites: list[ParkingSite]):
    return match(query, sites, [site_names(s) for s in sites])


def suggestion_buttons(sites: list[ParkingSite]) -> list[dict[str, Any]]:
    return [
        {"title": s.name, "payload": f'/parking_free_spaces{{"car_park": "{s.name}"}}'}
        for s in sites
    ]


async def place_coordinates(name: str) -> tuple[str, float, float] | list[str] | None:
    """Coordinates of a stop, landmark or district name via the stop finder.

    Returns (resolved name, lat, lon), or a list of candidate names when the name is ambiguous,
    or None when nothing matches.
    """
    stops = await transit_client().find_stops(name)
    stops = [s for s in stops if s.lat is not None and s.lon is not None]
    if not stops:
        return None
    best = stops[0]
    clear = best.is_best or len(stops) == 1
    if not clear:
        return [s.name for s in stops[:4]]
    return best.short_name or best.name, best.lat, best.lon  # type: ignore[return-value]


def nearby_lines(sites: list[ParkingSite], lat: float, lon: float, count: int = 3) -> list[str]:
    ranked = sorted(sites, key=lambda s: fmt.haversine_m(lat, lon, s.lat, s.lon))
    near = [s for s in ranked if fmt.haversine_m(lat, lon, s.lat, s.lon) <= NEARBY_RADIUS_M]
    useful = [s for s in near if s.status != "CLOSED" and (s.free is None or s.free > 0)]
    chosen = (useful or near)[:count]
    return [
        f"• {s.name} ({fmt.distance(fmt.haversine_m(lat, lon, s.lat, s.lon))}): {site_status(s)}"
        for s in chosen
    ]


class ActionParkingFreeSpaces(DataAction):
    context = "parking"

    def name(self) -> str:
        return "action_parking_free_spaces"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        follow_up = tracker.latest_message.get("intent", {}).get("name") == "inform"
        car_park = entity(tracker, "car_park")
        place = entity(tracker, "stop") or entity(tracker, "district")
        if not car_park and not place and follow_up:
            car_park = tracker.get_slot("car_park")
        sites, fetched = await parking_client().sites()
        if car_park:
            found = find_site(car_park, sites)
            if found.item is not None:
                site = found.item
                text = f"{site.name}: {site_status(site)}."
                if site.fee_description:
                    text += f"\nTarif: {site.fee_description}"
                answer_with_source(dispatcher, text, parking_source(fetched, [site]))
                return [SlotSet("car_park", site.name)]
            if not place:
                if found.suggestions:
                    dispatcher.utter_message(
                        text=f"Ein Parkhaus „{fmt.plain(car_park)}“ kenne ich nicht. Meinten Sie …?",
                        buttons=suggestion_buttons(found.suggestions),
                    )
                    return []
                place = car_park  # perhaps a place name: look for car parks near it
        if not place:
            lat, lon = tracker.get_slot("latitude"), tracker.get_slot("longitude")
            if lat is not None and lon is not None and not follow_up:
                return self._near(dispatcher, sites, fetched, "Ihrem Standort", lat, lon)
            place = tracker.get_slot("stop") if follow_up else None
        if not place:
            dispatcher.utter_message(response="utter_ask_car_park_or_place")
            return []
        resolved = await place_coordinates(place)
        if resolved is None:
            dispatcher.utter_message(
                text=f"Den Ort „{fmt.plain(place)}“ finde ich nicht. Nennen Sie eine Haltestelle, "
                "einen Stadtteil oder ein Parkhaus – oder teilen Sie Ihren Standort.",
                custom={"data": {"request_location": True}},
            )
            return []
        if isinstance(resolved, list):
            dispatcher.utter_message(
                text=f"Welchen Ort meinen Sie mit „{fmt.plain(place)}“?",
                buttons=[
                    {"title": n, "payload": f'/parking_free_spaces{{"stop": "{n}"}}'}
                    for n in resolved
                ],
            )
            return []
        name, lat, lon = resolved
        return [*self._near(dispatcher, sites, fetched, name, lat, lon), SlotSet("stop", name)]

    @staticmethod
    def _near(
        dispatcher: CollectingDispatcher,
        sites: list[ParkingSite],
        fetched: Fetched,
        place: str,
        lat: float,
        lon: float,
    ) -> list[EventType]:
        lines = nearby_lines(sites, lat, lon)
        if not lines:
            dispatcher.utter_message(
                text=f"In der Nähe von {place} kenne ich kein Parkhaus (Umkreis {fmt.distance(NEARBY_RADIUS_M)})."
            )
            return []
        text = f"Parken in der Nähe von {place}, nächstgelegene zuerst:\n" + "\n".join(lines)
        answer_with_source(dispatcher, text, parking_source(fetched, sites))
        return []


class ActionParkingMostSpace(DataAction):
    context = "parking"

    def name(self) -> str:
        return "action_parking_most_space"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        zone_text = entity_or_slot(tracker, "zone")
        sites, fetched = await parking_client().sites()
        zone = ZONES.get((zone_text or "").casefold().strip())
        if zone_text and zone is None:
            known = sorted({s.zone for s in sites if s.zone})
            found = match(zone_text, known, [[z] for z in known], threshold=80)
            zone = found.item
        pool = [s for s in sites if zone is None or (s.zone or "").casefold() == zone.casefold()]
        live = sorted(
            (s for s in pool if s.free is not None and s.status != "CLOSED"),
            key=lambda s: -(s.free or 0),
        )
        where = f"in der Zone {zone}" if zone else "in der Stadt"
        if not live:
            dispatcher.utter_message(text=f"Für {where} liegen gerade keine Live-Daten vor.")
            return []
        lines = [f"• {s.name}: {site_status(s)}" for s in live[:3]]
        text = f"Am meisten frei {where}:\n" + "\n".join(lines)
        answer_with_source(dispatcher, text, parking_source(fetched, live[:3]))
        return [SlotSet("car_park", live[0].name)] + ([SlotSet("zone", zone)] if zone else [])


class ActionNearby(DataAction):
    """A shared location: nearest car parks and nearest stops."""

    def name(self) -> str:
        return "action_nearby"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        lat, lon = tracker.get_slot("latitude"), tracker.get_slot("longitude")
        if lat is None or lon is None:
            dispatcher.utter_message(response="utter_ask_car_park_or_place")
            return []
        sites, fetched = await parking_client().sites()
        parts = []
        lines = nearby_lines(sites, lat, lon)
        if lines:
            parts.append("Parken in Ihrer Nähe:\n" + "\n".join(lines))
        stops = (await transit_client().nearby_stops(lat, lon))[:3]
        buttons = []
        if stops:
            stop_lines = [
                f"• {s.short_name}"
                + (f" ({fmt.distance(s.distance_m)})" if s.distance_m is not None else "")
                for s in stops
            ]
            parts.append("Haltestellen in Ihrer Nähe:\n" + "\n".join(stop_lines))
            buttons = [
                {
                    "title": f"Abfahrten {s.short_name}",
                    "payload": f'/transit_departures{{"stop": "{s.name}"}}',
                }
                for s in stops[:2]
            ]
        if not parts:
            dispatcher.utter_message(
                text="In Ihrer Nähe habe ich weder Parkhäuser noch Haltestellen gefunden."
            )
            return []
        answer_with_source(dispatcher, "\n\n".join(parts), parking_source(fetched, sites), buttons)
        return []
