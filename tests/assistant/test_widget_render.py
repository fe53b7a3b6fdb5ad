"""Safe rendering, custom payloads, CSP, outages and "Meine Daten löschen", against FakeBot.

FakeBot is the project's guarded socket.io channel (connectors/socketio_channel.py: signed
sessions, origins, limits) with a scripted bot behind it instead of Rasa's NLU, and serves the
widget through the real WidgetAssets blueprint, so these tests can send markup, custom payloads,
end a session as a deletion does, and go offline on purpose.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

# Helper asserts in widget_support get pytest's rich failure messages.
pytest.register_assert_rewrite("tests.assistant.widget_support")

from tests.assistant.widget_support import (  # noqa: E402
    DUISBURG_HBF,
    MARKUP_MESSAGES,
    ROOT,
    FakeBot,
    SocketClient,
    ask,
    bot_texts,
    demo_url,
    new_context,
    open_widget,
    session_id,
    user_texts,
    wait_for_bot_count,
    wait_online,
)

pytest_plugins = ["tests.assistant.widget_support"]

# Every markup message is rendered as one bubble, except the image with a javascript: source,
# which is dropped (nothing left to show).
MARKUP_RENDERED = len(MARKUP_MESSAGES) - 1

CONSOLE_ERRORS_INIT = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def assert_nothing_executed(page: Any) -> None:
    page.wait_for_timeout(300)  # give an onerror/onload a chance to fire
    assert page.evaluate("() => window.__xss") is None
    messages = page.locator(".sl-messages")
    assert messages.locator("img, script, b, iframe, object").count() == 0
    assert messages.locator("svg:not(.sl-icon)").count() == 0
    hrefs = messages.locator("a").evaluate_all("links => links.map(a => a.href)")
    assert all(href.startswith("https://") for href in hrefs), hrefs


def test_markup_from_the_bot_is_shown_as_text_and_never_executed(
    browser: Any, fake_bot: FakeBot
) -> None:
    # No CSP here: the renderer alone must be safe (city pages may have no CSP at all).
    context = new_context(browser, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(demo_url(fake_bot.url))
        open_widget(page)
        page.locator("#stadtlotse-input").fill("markup")
        page.locator("#stadtlotse-input").press("Enter")
        wait_for_bot_count(page, MARKUP_RENDERED)
        page.locator(".sl-reply").hover()  # would fire an onmouseover if it were markup

        texts = bot_texts(page)
        assert texts[0] == '<img src=x onerror="window.__xss=(window.__xss||0)+1">Bildtext'
        assert texts[1] == "<script>window.__xss=(window.__xss||0)+1</script>Skripttext"
        assert (
            texts[-1]
            == '<svg onload="window.__xss=1"></svg><a href="javascript:window.__xss=1">a</a>'
        )
        assert page.locator(".sl-reply").inner_text() == '<b onmouseover="window.__xss=1">fett</b>'
        assert_nothing_executed(page)

        links = page.locator(".sl-messages a")
        assert links.evaluate_all("ls => ls.map(a => a.getAttribute('href'))") == [
            "https://www.duisburg.de/parken",  # the full stop after it stays text
            "https://www.duisburg.de/",
            "https://www.duisburg.de/bild.png",  # an image arrives as a link, never as <img>
        ]
        for link in links.all():
            assert link.get_attribute("target") == "_blank"
            assert "noopener" in link.get_attribute("rel")
        third = texts[2]
        assert "javascript:window.__xss=1 und [Klick](javascript:window.__xss=1)" in third
        assert "[Stadtportal]" not in third and "Stadtportal" in third

        # A quick reply shows its (literal) title and sends its payload.
        page.locator(".sl-reply").click()
        page.wait_for_function("() => document.querySelectorAll('.sl-message--user').length === 2")
        assert user_texts(page)[-1] == '<b onmouseover="window.__xss=1">fett</b>'
        wait_for_bot_count(page, MARKUP_RENDERED + 1)
        assert fake_bot.received()[-1]["message"] == "/markup_reply"

        # The stored history is rendered by the same safe code after a reload.
        page.reload()
        page.locator(".sl-panel").wait_for(state="visible")
        assert bot_texts(page)[:2] == texts[:2]
        assert_nothing_executed(page)

        # The public render entry point is just as safe.
        assert page.evaluate(
            "() => Stadtlotse.receive({text: '<img src=x onerror=window.__xss=1>'})"
        )
        assert bot_texts(page)[-1] == "<img src=x onerror=window.__xss=1>"
        assert page.evaluate("() => Stadtlotse.receive({nonsense: 1})") is False
        assert_nothing_executed(page)
    finally:
        context.close()


def test_demo_page_csp_and_trusted_types_allow_exactly_the_widget(
    browser: Any, fake_bot: FakeBot
) -> None:
    context = new_context(browser)  # the page's CSP (incl. Trusted Types) is enforced
    try:
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.add_init_script(CONSOLE_ERRORS_INIT)
        page.goto(demo_url(fake_bot.url))
        open_widget(page)
        ask(page, "hallo")
        assert bot_texts(page) == ["Echo: hallo"]
        page.locator("#stadtlotse-input").fill("markup")
        page.locator("#stadtlotse-input").press("Enter")
        wait_for_bot_count(page, 1 + MARKUP_RENDERED)
        assert_nothing_executed(page)
        assert page.evaluate("() => window.__violations") == []
        assert problems == []
        assert page.evaluate("() => typeof io") == "function"  # socket.io loaded from 'self'
    finally:
        context.close()


def test_bot_can_ask_for_the_location(browser: Any, fake_bot: FakeBot) -> None:
    context = new_context(browser, geolocation=DUISBURG_HBF, permissions=["geolocation"])
    try:
        page = context.new_page()
        page.goto(demo_url(fake_bot.url))
        open_widget(page)
        ask(page, "standort")
        share = page.locator(".sl-replies").get_by_role("button", name="Standort teilen")
        share.wait_for()
        share.click()
        page.wait_for_function("() => document.querySelectorAll('.sl-message--user').length === 2")
        assert user_texts(page) == ["standort", "Standort geteilt"]
        wait_for_bot_count(page, 2)
        assert fake_bot.received()[-1]["message"] == (
            '/share_location{"latitude":51.4304,"longitude":6.7784}'
        )
    finally:
        context.close()


def test_denied_location_sends_nothing_and_says_so(page: Any, fake_bot: FakeBot) -> None:
    page.goto(demo_url(fake_bot.url))
    open_widget(page)
    ask(page, "hallo")
    page.get_by_role("button", name="Standort teilen").click()
    status = page.locator(".sl-status")
    page.wait_for_function(
        "() => document.querySelector('.sl-status').innerText.includes('nicht freigegeben')"
    )
    assert status.get_attribute("role") == "status"  # visible and announced
    assert status.is_visible()
    assert "eintippen" in status.inner_text()
    assert page.evaluate("() => document.activeElement.id") == "stadtlotse-input"
    assert [m["message"] for m in fake_bot.received()] == ["hallo"]


def test_unreachable_bot_shows_a_banner_queues_and_recovers(page: Any, fake_bot: FakeBot) -> None:
    page.goto(demo_url(fake_bot.url))
    open_widget(page)
    ask(page, "hallo")
    banner = page.locator(".sl-banner")
    assert banner.inner_text() == ""

    fake_bot.stop()
    page.wait_for_function(
        "() => document.querySelector('.sl-banner').innerText.includes('nicht erreichbar')"
    )
    assert banner.get_attribute("role") == "status"
    assert banner.inner_text().startswith("Der Assistent ist gerade nicht erreichbar")
    assert page.locator("#stadtlotse-widget").get_attribute("data-state") == "offline"

    page.locator("#stadtlotse-input").fill("noch da?")
    page.locator("#stadtlotse-input").press("Enter")
    assert page.locator(".sl-message--pending").count() == 1
    assert user_texts(page)[-1] == "noch da?"

    fake_bot.start()  # the same server is back on the same port
    wait_online(page, timeout=30000)
    wait_for_bot_count(page, 2, timeout=30000)
    assert bot_texts(page)[-1] == "Echo: noch da?"
    assert banner.inner_text() == ""
    assert page.locator(".sl-message--pending").count() == 0


def test_unreachable_before_the_first_open(page: Any, fake_bot: FakeBot) -> None:
    page.goto(demo_url(fake_bot.url))
    fake_bot.stop()  # the page is there, the assistant is not
    open_widget(page)
    page.wait_for_function(
        "() => document.querySelector('.sl-banner').innerText.includes('nicht erreichbar')"
    )
    fake_bot.start()
    wait_online(page, timeout=40000)  # the widget keeps retrying to load socket.io
    assert page.locator(".sl-banner").inner_text() == ""
    ask(page, "wieder da")
    assert bot_texts(page) == ["Echo: wieder da"]


def focus_backwards(page: Any, label: str, presses: int = 12) -> None:
    """Shift+Tab until the control labelled `label` has focus; fail if the keyboard cannot."""
    for _ in range(presses):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("() => document.activeElement.innerText") == label:
            return
    pytest.fail(f"'{label}' is not reachable with Shift+Tab")


def test_meine_daten_loeschen_by_keyboard_then_the_widget_forgets_the_session(
    page: Any, fake_bot: FakeBot
) -> None:
    page.goto(demo_url(fake_bot.url))
    open_widget(page)
    ask(page, "hallo")
    old = session_id(page)
    focus_backwards(page, "Meine Daten löschen")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Ja, löschen").wait_for()
    assert fake_bot.received()[-1]["message"] == "/delete_my_data"
    focus_backwards(page, "Ja, löschen")
    page.keyboard.press("Enter")

    page.wait_for_function(
        "s => { const v = JSON.parse(sessionStorage.getItem('stadtlotse.v1') || 'null');"
        " return v && v.sessionId && v.sessionId !== s; }",
        arg=old,
    )
    new = session_id(page)
    assert bot_texts(page) == [fake_bot_deleted_text(fake_bot)]  # only the confirmation stays
    assert user_texts(page) == []
    stored = json.loads(page.evaluate("() => sessionStorage.getItem('stadtlotse.v1')"))
    assert [m["text"] for m in stored["history"]] == bot_texts(page)
    live = page.locator("#stadtlotse-widget [aria-live='polite']").inner_text()
    assert "Verlauf in diesem Browser wurde gelöscht" in live
    assert page.evaluate("() => document.activeElement.id") == "stadtlotse-input"

    fake_bot.forget()
    ask(page, "neu")  # the conversation goes on under the new session, not the deleted one
    assert fake_bot.received() == [{"message": "neu", "sender_id": fake_bot.sender_id(new)}]
    page.reload()
    page.locator(".sl-panel").wait_for(state="visible")
    assert user_texts(page) == ["neu"]
    with SocketClient(fake_bot.url) as client:  # the deleted session's id is refused from now on
        assert client.request_session(old) != old


def fake_bot_deleted_text(bot: FakeBot) -> str:
    from rasa.shared.core.domain import Domain

    template = Domain.load(str(ROOT / "domain.yml")).responses["utter_data_deleted"][0]["text"]
    return template.format(messages=2, ratings=0)


def test_restored_session_continues_after_a_server_restart(page: Any, fake_bot: FakeBot) -> None:
    """The signed session id stays valid across a restart (same CLIENT_KEY_SALT)."""
    page.goto(demo_url(fake_bot.url))
    open_widget(page)
    ask(page, "hallo")
    before = session_id(page)
    fake_bot.stop()
    fake_bot.start()
    page.reload()
    wait_online(page, timeout=30000)
    assert session_id(page) == before
    ask(page, "wieder da")
    assert fake_bot.received()[-1] == {
        "message": "wieder da",
        "sender_id": fake_bot.sender_id(before),
    }
