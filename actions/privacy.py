"""„Meine Daten löschen“: delete this conversation and its feedback (DSGVO Art. 17).

The rules ask first (utter_confirm_delete_data); on „Ja“ this action deletes the conversation's
feedback rows and answers utter_data_deleted with what is gone. The conversation itself is deleted
by the tracker store (bot/tracker_store.py) when it saves a turn in which this action confirmed the
deletion: every stored event of the sender id, and nothing of that turn is written, so the next
message starts a new conversation. When the feedback cannot be deleted, the citizen is told that
something went wrong and nothing is deleted (no confirmation, so the store keeps the conversation).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import feedback_engine, feedback_key, feedback_table
from bot.log_redaction import install_log_redaction

log = logging.getLogger(__name__)

# rasa-sdk imports every module of the actions package when the action server starts: from here
# on, no log record of the action server carries an access code (bot/log_redaction.py).
install_log_redaction()


def delete_feedback(sender_id: str) -> int:
    """Delete the conversation's 👍/👎 rows; returns how many there were."""
    with feedback_engine().begin() as conn:
        result = conn.execute(
            feedback_table.delete().where(feedback_table.c.conversation == feedback_key(sender_id))
        )
        return int(result.rowcount or 0)


class ActionDeleteConversation(Action):
    def name(self) -> str:
        return "action_delete_conversation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # The citizen's messages of this conversation, „Meine Daten löschen“ and „Ja“ included;
        # a message Rasa logs twice (the fallback rewinds and replays it) counts once.
        messages = len(
            {
                event.get("message_id") or f"event-{index}"
                for index, event in enumerate(tracker.events)
                if event.get("event") == "user"
            }
        )
        try:
            ratings = delete_feedback(tracker.sender_id)
        except sa.exc.SQLAlchemyError:
            log.exception("feedback could not be deleted; the conversation is kept")
            dispatcher.utter_message(response="utter_internal_error")
            return []
        dispatcher.utter_message(response="utter_data_deleted", messages=messages, ratings=ratings)
        return []
