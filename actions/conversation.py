"""Session start with the city profile, "Meinten Sie …?" affirmation, and 👍/👎 feedback."""

from __future__ import annotations

import hashlib
import logging
import os
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.city import get_city
from bot.redaction import code_spans, redact_text
from bot.settings import get_settings

log = logging.getLogger(__name__)

# German labels of the intents offered as "Meinten Sie …?" buttons.
INTENT_LABELS = {
    "parking_free_spaces": "Freie Parkplätze",
    "parking_most_space": "Parkhaus mit den meisten freien Plätzen",
    "ask_cost": "Kosten",
    "ask_opening_hours": "Öffnungszeiten",
    "service_overview": "Infos zu einer Dienstleistung",
    "service_documents": "Benötigte Unterlagen",
    "service_location": "Zuständige Stelle",
    "service_duration": "Bearbeitungsdauer",
    "service_online": "Online-Antrag",
    "transit_departures": "Abfahrten",
    "transit_disruptions": "Störungen bei Bus und Bahn",
    "transit_connection": "Direkte Verbindung",
    "application_status": "Stand meines Antrags",
    "opendata_search": "Offene Daten suchen",
    "kita_places": "Freie Kita-Plätze",
    "roadworks": "Baustellen",
    "bathing_water": "Badewasserqualität",
    "population": "Einwohnerzahlen",
    "pharmacy_duty": "Notdienst-Apotheken",
    "charging_stations": "Ladestationen",
    "flats_offered": "Wohnungsangebote",
    "help": "Was können Sie?",
}
MAX_UNDERSTOOD_LENGTH = 1000

metadata = sa.MetaData()
feedback_table = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    # Salted hash of the sender id (not the id itself): "Meine Daten löschen" finds the rows.
    sa.Column("conversation", sa.String(64), nullable=False),
    sa.Column("rating", sa.String(16), nullable=False),
    sa.Column("intent", sa.String(64)),
    sa.Column("answer", sa.Text),
)


@lru_cache(maxsize=1)
def feedback_engine() -> sa.engine.Engine:
    url = get_settings().feedback_db_url
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _secure_delete(connection: Any, _record: Any) -> None:
            # Deleted rows are overwritten with zeros, not left in the file (DSGVO deletion).
            connection.execute("PRAGMA secure_delete=ON")

    metadata.create_all(engine)
    return engine


def feedback_key(sender_id: str) -> str:
    """The `conversation` value of a conversation's feedback rows."""
    salt = get_settings().client_key_salt.encode()
    return hashlib.sha256(salt + sender_id.encode()).hexdigest()


def retention_days() -> str:
    """How long conversations are kept (bot.retention), for the privacy notice."""
    value = os.environ.get("CONVERSATION_RETENTION_DAYS", "").strip() or "30"
    return str(int(value))


def chat_is_private(session_metadata: Any) -> bool:
    """False in a group chat: the channel's session metadata names the chat type (Telegram:
    "private", "group", "supergroup", "channel"); without one (REST, widget) the chat is private."""
    if not isinstance(session_metadata, dict) or session_metadata.get("chat_type") is None:
        return True
    return session_metadata.get("chat_type") == "private"


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        city = get_city()
        return [
            SessionStarted(),
            SlotSet("city_name", city.name),
            SlotSet("assistant_name", city.assistant_name),
            SlotSet("hotline", city.hotline),
            SlotSet("service_portal_url", city.service_portal_url),
            SlotSet("chat_private", chat_is_private(tracker.get_slot("session_started_metadata"))),
            SlotSet("retention_days", retention_days()),
            ActionExecuted("action_listen"),
        ]


def _has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


class ActionDefaultAskAffirmation(Action):
    """First stage of the two-stage fallback: offer the likeliest intents as buttons."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        if not _has_words(text):
            dispatcher.utter_message(response="utter_message_empty")
            return []
        if len(text) > MAX_UNDERSTOOD_LENGTH:
            dispatcher.utter_message(response="utter_message_too_long")
            return []
        ranking = tracker.latest_message.get("intent_ranking") or []
        # Entities go back into the buttons' payloads: never an access code (it would be shown,
        # sent back and stored as the button's payload).
        entities = {
            e["entity"]: e["value"]
            for e in tracker.latest_message.get("entities") or []
            if isinstance(e.get("value"), str)
            and not e.get("role")
            and e["entity"] != "access_code"
            and not code_spans(e["value"])
        }
        import json

        suffix = json.dumps(entities, ensure_ascii=False) if entities else ""
        buttons = []
        for candidate in ranking:
            name = candidate.get("name")
            if name in INTENT_LABELS and len(buttons) < 3:
                buttons.append({"title": INTENT_LABELS[name], "payload": f"/{name}{suffix}"})
        if not buttons:
            dispatcher.utter_message(response="utter_default")
            return []
        buttons.append({"title": "Etwas anderes", "payload": "/deny"})
        dispatcher.utter_message(text="Meinten Sie …?", buttons=buttons)
        return []


class ActionFeedback(Action):
    """Store 👍/👎 for the city's editors: rating, the answer it refers to, no personal data."""

    def name(self) -> str:
        return "action_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        rating = next(
            (
                e.get("value")
                for e in tracker.latest_message.get("entities") or []
                if e.get("entity") == "rating"
            ),
            None,
        )
        if rating not in ("positive", "negative"):
            dispatcher.utter_message(response="utter_feedback_thanks")
            return []
        answer, intent = self._answered(tracker)
        row: dict[str, Any] = {
            "created_at": datetime.now(timezone.utc).replace(tzinfo=None),
            "conversation": feedback_key(tracker.sender_id),
            "rating": rating,
            "intent": intent,
            "answer": redact_text(answer[:4000]) if answer else None,
        }
        try:
            with feedback_engine().begin() as conn:
                conn.execute(feedback_table.insert().values(**row))
        except sa.exc.SQLAlchemyError:
            log.exception("feedback could not be stored")
        dispatcher.utter_message(response="utter_feedback_thanks")
        return []

    @staticmethod
    def _answered(tracker: Tracker) -> tuple[str | None, str | None]:
        answer = intent = None
        for event in reversed(tracker.events):
            if event.get("event") == "bot" and answer is None and event.get("text"):
                answer = event["text"]
            if event.get("event") == "user" and answer is not None:
                parsed = (event.get("parse_data") or {}).get("intent") or {}
                if parsed.get("name") != "feedback":
                    intent = parsed.get("name")
                    break
        return answer, intent
