"""Telegram end to end: real updates to Rasa's webhook, real trained assistant, answers at the
local Bot API double (python-telegram-bot talks to it over HTTP via TELEGRAM_API_BASE_URL)."""

from __future__ import annotations

import json
import random

import httpx

from tests.assistant.conftest import TELEGRAM_SECRET, Stack
from tests.assistant.telegram_double import Updates


def post_update(stack: Stack, update: dict, secret: str = TELEGRAM_SECRET) -> httpx.Response:
    return httpx.post(
        f"{stack.rasa_url}/webhooks/telegram/webhook",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": secret},
        timeout=10,
    )


def test_parking_question_answered_with_inline_feedback_buttons(stack: Stack) -> None:
    chat = random.randint(10_000, 99_999)
    update = Updates().text("Wie viele Plätze sind im Forum frei?", chat_id=chat)
    assert post_update(stack, update).status_code == 200
    calls = stack.telegram.wait_for(
        "sendMessage", timeout=30, where=lambda c: str(c.params.get("chat_id")) == str(chat)
    )
    text = calls[0].params["text"]
    assert "Parkhaus Forum" in text and "Quelle:" in text
    markup = calls[0].params.get("reply_markup")
    markup = json.loads(markup) if isinstance(markup, str) else markup
    titles = [b["text"] for row in markup["inline_keyboard"] for b in row]
    assert "👍" in titles and "👎" in titles


def test_pressed_button_and_shared_location(stack: Stack) -> None:
    chat = random.randint(100_000, 999_999)
    updates = Updates()
    post_update(stack, updates.callback('/feedback{"rating": "positive"}', chat_id=chat))
    stack.telegram.wait_for("answerCallbackQuery", timeout=30)
    post_update(stack, updates.location(51.4306, 6.7750, chat_id=chat))
    calls = stack.telegram.wait_for(
        "sendMessage",
        count=2,
        timeout=30,
        where=lambda c: str(c.params.get("chat_id")) == str(chat),
    )
    texts = "\n".join(c.params["text"] for c in calls)
    assert "Danke" in texts
    assert "Parken in Ihrer Nähe" in texts


def test_webhook_refuses_a_wrong_secret(stack: Stack) -> None:
    update = Updates().text("Hallo", chat_id=4242)
    assert post_update(stack, update, secret="wrong").status_code == 403
