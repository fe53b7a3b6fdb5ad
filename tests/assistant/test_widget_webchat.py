"""The community client rasa-webchat (npm, UMD bundle) holds a conversation on the same channel.

This guards the socket.io server side (python-socketio/engineio pins, session persistence) for
any client, not only our widget. The page is served by a test-only static server on another
origin, as a city page would be.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

# Helper asserts in widget_support get pytest's rich failure messages.
pytest.register_assert_rewrite("tests.assistant.widget_support")

from tests.assistant.widget_support import StaticServer  # noqa: E402

pytest_plugins = ["tests.assistant.widget_support"]

QUESTION = "Wo ist am Hauptbahnhof noch frei?"


def answer_in_tracker(rasa_url: str, sender: str, timeout: float = 20) -> str:
    """The first bot text Rasa logged after QUESTION in this conversation."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = httpx.get(f"{rasa_url}/conversations/{sender}/tracker", timeout=10).json()[
            "events"
        ]
        asked = [i for i, e in enumerate(events) if e["event"] == "user" and e["text"] == QUESTION]
        if asked:
            for event in events[asked[0] :]:
                if event["event"] == "bot" and event.get("text"):
                    return event["text"]
        time.sleep(0.3)
    raise AssertionError(f"Rasa logged no answer to {QUESTION!r} for {sender}")


def test_rasa_webchat_holds_a_conversation(page: Any, rasa_url: str) -> None:
    with StaticServer(socket_url=rasa_url) as server:
        page.goto(server.url)
        page.locator(".rw-launcher").click()
        page.wait_for_function(
            "() => (JSON.parse(sessionStorage.getItem('chat_session') || '{}')).session_id",
            timeout=20000,
        )
        sender = json.loads(page.evaluate("() => sessionStorage.getItem('chat_session')"))[
            "session_id"
        ]
        field = page.locator(".rw-new-message")
        field.fill(QUESTION)
        field.press("Enter")
        assert page.locator(".rw-client").last.inner_text() == QUESTION
        answer = answer_in_tracker(rasa_url, sender)
        first_line = answer.split("\n")[0]
        page.wait_for_function(
            "text => [...document.querySelectorAll('.rw-response')].some(r => r.innerText.includes(text))",
            arg=first_line,
            timeout=20000,
        )
