"""The community client rasa-webchat (npm, UMD bundle) holds a conversation on the same channel.

This guards the socket.io server side (python-socketio/engineio pins, session persistence, the
guarded channel's server-issued session ids and Origin check) for any client, not only our widget.
The page is served by a test-only static server on the allowed city origin, as a city page would
be; rasa-webchat adopts the session id the server confirms.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

# Helper asserts in widget_support get pytest's rich failure messages.
pytest.register_assert_rewrite("tests.assistant.widget_support")

from tests.assistant.widget_support import StaticServer, WidgetRasa, port_of  # noqa: E402

pytest_plugins = ["tests.assistant.widget_support"]

QUESTION = "Wo ist am Hauptbahnhof noch frei?"
SESSION = re.compile(r"[0-9a-f]{64}")


def answer_in_tracker(widget_rasa: WidgetRasa, session: str, timeout: float = 20) -> str:
    """The first bot text Rasa logged after QUESTION in this conversation."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = widget_rasa.tracker(session)["events"]
        asked = [i for i, e in enumerate(events) if e["event"] == "user" and e["text"] == QUESTION]
        if asked:
            for event in events[asked[0] :]:
                if event["event"] == "bot" and event.get("text"):
                    return event["text"]
        time.sleep(0.3)
    raise AssertionError(f"Rasa logged no answer to {QUESTION!r} for {session}")


def stored_session(page: Any) -> str | None:
    raw = page.evaluate("() => sessionStorage.getItem('chat_session')")
    return json.loads(raw).get("session_id") if raw else None


def ask_webchat(page: Any) -> None:
    field = page.locator(".rw-new-message")
    field.fill(QUESTION)
    field.press("Enter")
    assert page.locator(".rw-client").last.inner_text() == QUESTION


def test_rasa_webchat_holds_a_conversation_and_adopts_server_ids(
    page: Any, widget_rasa: WidgetRasa
) -> None:
    if widget_rasa.city_origin is None:
        pytest.skip("this Rasa has no city origin (set STADTLOTSE_WIDGET_CITY_ORIGIN)")
    with StaticServer(widget_rasa.url, port=port_of(widget_rasa.city_origin)) as server:
        page.goto(server.url)
        page.locator(".rw-launcher").click()
        page.wait_for_function(
            "() => (JSON.parse(sessionStorage.getItem('chat_session') || '{}')).session_id",
            timeout=20000,
        )
        session = stored_session(page)
        assert SESSION.fullmatch(session)  # issued by the server
        ask_webchat(page)
        answer = answer_in_tracker(widget_rasa, session)
        first_line = answer.split("\n")[0]
        page.wait_for_function(
            "text => [...document.querySelectorAll('.rw-response')].some(r => r.innerText.includes(text))",
            arg=first_line,
            timeout=20000,
        )

        # A forged id in the client's storage: the server confirms a new one, the client adopts it.
        forged = "f" * 64
        page.evaluate(
            """forged => {
                const stored = JSON.parse(sessionStorage.getItem('chat_session'));
                stored.session_id = forged;
                sessionStorage.setItem('chat_session', JSON.stringify(stored));
            }""",
            forged,
        )
        page.reload()
        page.wait_for_function(
            "forged => { const s = JSON.parse(sessionStorage.getItem('chat_session') || '{}');"
            " return s.session_id && s.session_id !== forged; }",
            arg=forged,
            timeout=20000,
        )
        adopted = stored_session(page)
        assert SESSION.fullmatch(adopted) and adopted != session
        if not page.locator(".rw-new-message").is_visible():
            page.locator(".rw-launcher").click()
        ask_webchat(page)
        assert answer_in_tracker(widget_rasa, adopted)
