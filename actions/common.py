"""What every data action shares: API clients, error handling, context and the source line."""

from __future__ import annotations

import abc
import logging
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.applications import ApplicationsClient
from actions.clients.ckan import CkanClient
from actions.clients.http import ApiError, JsonApi
from actions.clients.parking import ParkingClient
from actions.clients.services import ServicesClient
from actions.clients.transit import TransitClient
from bot.city import get_city
from bot.settings import get_settings

log = logging.getLogger(__name__)

FEEDBACK_BUTTONS = [
    {"title": "👍", "payload": '/feedback{"rating": "positive"}'},
    {"title": "👎", "payload": '/feedback{"rating": "negative"}'},
]


def _api(base_url: str) -> JsonApi:
    settings = get_settings()
    return JsonApi(base_url, timeout=settings.http_timeout, retries=settings.http_retries)


@lru_cache(maxsize=1)
def parking_client() -> ParkingClient:
    return ParkingClient(_api(get_settings().parkapi_url))


@lru_cache(maxsize=1)
def transit_client() -> TransitClient:
    return TransitClient(_api(get_settings().efa_url), place=get_city().efa_place)


@lru_cache(maxsize=1)
def ckan_client() -> CkanClient:
    return CkanClient(_api(get_settings().ckan_url))


@lru_cache(maxsize=1)
def services_client() -> ServicesClient:
    return ServicesClient(_api(get_settings().zufi_url), get_city().regional_key)


@lru_cache(maxsize=1)
def applications_client() -> ApplicationsClient:
    settings = get_settings()
    return ApplicationsClient(_api(settings.applications_url), settings.applications_api_token)


def entity(tracker: Tracker, name: str, role: str | None = None) -> str | None:
    """The entity of this very message (not an older slot value)."""
    for item in tracker.latest_message.get("entities") or []:
        if item.get("entity") == name and (role is None or item.get("role") == role):
            value = item.get("value")
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def entity_or_slot(tracker: Tracker, name: str) -> str | None:
    value = entity(tracker, name)
    if value:
        return value
    slot = tracker.get_slot(name)
    return slot.strip() if isinstance(slot, str) and slot.strip() else None


def unavailable_response(error: ApiError) -> str:
    """The domain response that explains a failed source (texts live in domain.yml)."""
    return {
        "timeout": "utter_api_slow",
        "bad_response": "utter_api_garbage",
    }.get(error.kind, "utter_api_unavailable")


class DataAction(Action, abc.ABC):
    """An action that answers from an open-data API. Failures become a friendly German answer."""

    context: str | None = None  # value of the `context` slot after a successful answer

    @abc.abstractmethod
    def name(self) -> str: ...

    @abc.abstractmethod
    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Utter the answer; return extra events. Raise ApiError when a source fails."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            events = await self.answer(dispatcher, tracker, domain)
        except ApiError as error:
            log.warning("%s: source failed (%s)", self.name(), error.kind)
            dispatcher.utter_message(response=unavailable_response(error))
            return []
        except Exception:  # never let a bug end the conversation without an answer
            log.exception("%s failed", self.name())
            dispatcher.utter_message(response="utter_internal_error")
            return []
        if self.context:
            events = [SlotSet("context", self.context), *events]
        return events


def answer_with_source(
    dispatcher: CollectingDispatcher,
    text: str,
    source: str,
    buttons: list[dict[str, Any]] | None = None,
    feedback: bool = True,
) -> None:
    """Send an answer whose last line is its source line, with optional buttons and 👍/👎."""
    all_buttons = list(buttons or [])
    if feedback:
        all_buttons += FEEDBACK_BUTTONS
    dispatcher.utter_message(text=f"{text}\n{source}", buttons=all_buttons or None)
