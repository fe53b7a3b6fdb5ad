"""Attacks on the widget's channel of the production layout, through the proxy: foreign web
origins in real Chromium, another citizen's session, oversize socket.io messages."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from tests.assistant.widget_support import (
    SocketClient,
    StaticServer,
    bot_texts,
    new_context,
    open_widget,
    resident_kb,
    session_id,
)
from tests.security.conftest import Layout

QUESTION = "Wie viele Plätze sind im Forum frei?"


def ask_in_widget(page: Any) -> None:
    open_widget(page)
    page.locator("#stadtlotse-input").fill(QUESTION)
    page.locator("#stadtlotse-input").press("Enter")


def test_the_widget_works_on_its_own_origin_through_the_proxy(browser: Any, layout: Layout) -> None:
    context = new_context(browser)
    try:
        page = context.new_page()
        page.goto(f"{layout.url}/webhooks/widget/demo")
        ask_in_widget(page)
        page.wait_for_function(
            "() => document.querySelectorAll('.sl-message--bot').length > 0", timeout=30000
        )
        assert any("Forum" in text for text in bot_texts(page))
        assert session_id(page)
    finally:
        context.close()


def test_a_foreign_web_page_gets_nothing_through_the_proxy(browser: Any, layout: Layout) -> None:
    """A page on another origin embeds the widget pointing at the assistant, and tries the REST
    channel with the browser's credentials: the browser is refused both."""
    context = new_context(browser)
    try:
        page = context.new_page()
        with StaticServer(layout.url) as foreign:
            page.goto(f"{foreign.url}/widget")
            ask_in_widget(page)
            page.wait_for_timeout(5000)  # the widget keeps retrying; none may get through
            assert bot_texts(page) == []
            assert session_id(page) is None
            outcome = page.evaluate(
                """async (url) => {
                    try {
                        const answer = await fetch(url + '/webhooks/rest/webhook', {
                            method: 'POST', credentials: 'include',
                            headers: {'Content-Type': 'application/json'},
                            body: JSON.stringify({sender: 'x', message: 'Hallo'})});
                        return 'read ' + answer.status + ' ' + (await answer.text());
                    } catch (error) { return 'blocked'; }
                }""",
                layout.url,
            )
            assert outcome == "blocked"
    finally:
        context.close()


def test_nobody_joins_another_citizens_widget_session(layout: Layout) -> None:
    with SocketClient(layout.url) as citizen, SocketClient(layout.url) as attacker:
        victim = citizen.request_session()
        for guess in (victim[:-4] + "beef", victim[:32], victim.upper(), f"socketio-{victim}"):
            assert attacker.request_session(guess) != victim
        attacker.say("Eingeschleust", session=victim)
        citizen.say(QUESTION)
        assert "Forum" in citizen.answer(timeout=30)["text"]
        assert attacker.drain(2) == []  # neither the victim's answer nor its own


def test_a_300_kb_socketio_message_through_the_proxy_is_refused(layout: Layout) -> None:
    rasa = layout.pid_listening_on(layout.port("RASA_PORT"))
    with SocketClient(layout.url) as warm:
        warm.request_session()
        warm.say("Hallo")
        warm.answer(timeout=30)
    before = resident_kb(rasa)
    huge = "Parkplatz " * 30_000
    client = SocketClient(layout.url).connect()  # WebSocket through nginx
    session = client.request_session()
    client.say(huge)
    client.next("disconnect", timeout=10)
    client.close()
    polling = SocketClient(layout.url, transports=("polling",)).connect()
    polling.request_session(session)
    with contextlib.suppress(Exception):  # nginx refuses the 300 KB POST (413)
        polling.say(huge)
    time.sleep(2)
    polling.close()
    growth_mb = (resident_kb(rasa) - before) / 1024
    print(f"\nRasa VmRSS growth after 300 KB socket.io messages: {growth_mb:.1f} MB")
    assert growth_mb < 100
    with SocketClient(layout.url) as again:
        assert again.request_session(session) == session
        again.say("Hallo")
        assert again.answer(timeout=30)["text"]
