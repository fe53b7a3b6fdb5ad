"""The widget's channels over HTTP and socket.io: what the widget channel serves, with which
headers, and its npm error; the guarded socket.io channel's origins, sessions, isolation and limits
(against the assistant's Rasa, and the rate limits against FakeBot with small limits)."""

from __future__ import annotations

import contextlib
import json
import re
import time
from pathlib import Path

import httpx
import pytest

from connectors.widget_channel import (
    ASSETS,
    WIDGET_DIR,
    MissingNpmPackage,
    WidgetAssets,
    asset_path,
)

# Helper asserts in widget_support get pytest's rich failure messages.
pytest.register_assert_rewrite("tests.assistant.widget_support")

from tests.assistant.widget_support import (  # noqa: E402
    NODE_MODULES,
    ROOT,
    FakeBot,
    SocketClient,
    WidgetRasa,
    jwt_headers,
    resident_kb,
)

pytest_plugins = ["tests.assistant.widget_support"]

EXPECTED_CSP = {
    "default-src": ["'none'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "connect-src": ["'self'", "ws:", "wss:"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'self'"],
    "object-src": ["'none'"],
    "require-trusted-types-for": ["'script'"],
}


def parse_csp(header: str) -> dict[str, list[str]]:
    policy = {}
    for directive in header.split(";"):
        name, *values = directive.split()
        policy[name] = values
    return policy


@pytest.fixture(scope="module")
def widget(rasa_url: str) -> str:
    return f"{rasa_url}/webhooks/widget"


@pytest.mark.parametrize("page", ["demo", "datenschutz"])
def test_pages_carry_a_csp_that_allows_exactly_the_widget(widget: str, page: str) -> None:
    response = httpx.get(f"{widget}/{page}", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert parse_csp(response.headers["content-security-policy"]) == EXPECTED_CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    html = response.text
    assert '<html lang="de">' in html
    scripts = re.findall(r"<script\b[^>]*>", html)
    # One tag embeds the widget; nothing inline (no script body, no handlers, no style attributes).
    assert scripts == ['<script src="stadtlotse-widget.js" data-server="/" defer>']
    assert re.search(r"<script[^>]*>\s*[^<\s]", html) is None
    assert re.search(r"\son[a-z]+\s*=", html) is None
    assert " style=" not in html


def test_demo_page_looks_like_a_city_page(widget: str) -> None:
    html = httpx.get(f"{widget}/demo", timeout=10).text
    for landmark in ("<header", "<main", "<nav", "<footer", "<h1>"):
        assert landmark in html
    assert "Stadt Duisburg" in html
    assert 'href="datenschutz"' in html  # the privacy page the widget's notice links to


@pytest.mark.parametrize(
    ("name", "content_type", "marker"),
    [
        ("stadtlotse-widget.js", "text/javascript; charset=utf-8", "window.Stadtlotse"),
        ("stadtlotse-widget.css", "text/css; charset=utf-8", ".sl-root"),
        ("socket.io.min.js", "text/javascript; charset=utf-8", "Socket.IO v4"),
        ("site.css", "text/css; charset=utf-8", ".site-header"),
        ("favicon.svg", "image/svg+xml", "<svg"),
    ],
)
def test_assets_are_served_with_type_and_caching(
    widget: str, name: str, content_type: str, marker: str
) -> None:
    response = httpx.get(f"{widget}/{name}", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert marker in response.text
    etag = response.headers["etag"]
    again = httpx.get(f"{widget}/{name}", headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304
    assert again.content == b""


def test_socket_io_client_is_the_pinned_npm_version(widget: str) -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["socket.io-client"]
    installed = json.loads((NODE_MODULES / "socket.io-client" / "package.json").read_text())
    assert installed["version"] == pinned
    assert pinned.startswith("4.")
    served = httpx.get(f"{widget}/socket.io.min.js", timeout=10).text
    assert f"Socket.IO v{pinned}" in served


@pytest.mark.parametrize(
    "path",
    [
        "nope",
        "demo.html",
        "..%2Fwidget_channel.py",
        "%2e%2e%2f%2e%2e%2fpackage.json",
        "stadtlotse-widget.js%00.css",
        "DEMO",
    ],
)
def test_only_listed_names_are_served(widget: str, path: str) -> None:
    response = httpx.get(f"{widget}/{path}", timeout=10)
    assert response.status_code == 404
    assert "Nicht gefunden" in response.text


def test_health_route(widget: str) -> None:
    for url in (widget, f"{widget}/"):
        response = httpx.get(url, timeout=10)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


def test_every_listed_asset_exists() -> None:
    for asset in ASSETS.values():
        assert asset_path(asset, NODE_MODULES).is_file(), asset
    assert {p.name for p in WIDGET_DIR.iterdir()} >= {
        a.file for a in ASSETS.values() if not a.from_npm
    }


def test_missing_npm_install_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MissingNpmPackage, match="npm ci"):
        asset_path(ASSETS["socket.io.min.js"], tmp_path)
    channel = WidgetAssets.from_credentials({"node_modules": str(tmp_path)})
    assert isinstance(channel, WidgetAssets)
    assert channel.node_modules == tmp_path
    assert WidgetAssets.from_credentials(None).node_modules == NODE_MODULES


def test_missing_npm_install_answers_503_and_says_how_to_fix(tmp_path: Path) -> None:
    bot = FakeBot(node_modules=tmp_path).start()
    try:
        response = httpx.get(f"{bot.url}/webhooks/widget/socket.io.min.js", timeout=10)
        assert response.status_code == 503
        assert "npm ci" in response.text
        # The widget itself is still served, so the page shows its "unreachable" state.
        assert httpx.get(f"{bot.url}/webhooks/widget/stadtlotse-widget.js").status_code == 200
    finally:
        bot.stop()


def test_package_json_lists_exactly_what_is_needed() -> None:
    package = json.loads((ROOT / "package.json").read_text())
    assert package["dependencies"] == {
        "socket.io-client": package["dependencies"]["socket.io-client"]
    }
    assert set(package["devDependencies"]) == {"axe-core", "rasa-webchat"}
    versions = {**package["dependencies"], **package["devDependencies"]}
    for name, version in versions.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned: {version}"
    assert versions["axe-core"].startswith("4.")
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"][""]["dependencies"] == package["dependencies"]
    assert lock["packages"][""]["devDependencies"] == package["devDependencies"]
    for name, version in versions.items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version


def test_widget_source_has_no_html_sinks() -> None:
    """The renderer builds DOM nodes only: no HTML strings, no eval (the browser tests prove it)."""
    source = (WIDGET_DIR / "stadtlotse-widget.js").read_text()
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        'setAttribute("on',
        "srcdoc",
    ):
        assert sink not in source, sink


# ------------------------------------------------------------------ the guarded socket.io channel

FOREIGN_ORIGIN = "http://127.0.0.1:1"  # a port no allowed origin uses


def handshake(url: str, origin: str | None) -> httpx.Response:
    """engine.io's first long-polling request, as a browser on `origin` sends it."""
    headers = {"Origin": origin} if origin else {}
    return httpx.get(f"{url}/socket.io/?EIO=4&transport=polling", headers=headers, timeout=10)


def allowed(widget_rasa: WidgetRasa) -> list[str]:
    port = widget_rasa.url.rsplit(":", 1)[1]
    origins = [widget_rasa.url, f"http://localhost:{port}"]
    return [*origins, widget_rasa.city_origin] if widget_rasa.city_origin else origins


def test_only_allowed_origins_may_open_a_socket(widget_rasa: WidgetRasa) -> None:
    refused = handshake(widget_rasa.url, FOREIGN_ORIGIN)
    assert refused.status_code == 400
    assert "not an accepted origin" in refused.text
    assert "access-control-allow-origin" not in refused.headers
    for origin in allowed(widget_rasa):
        response = handshake(widget_rasa.url, origin)
        assert response.status_code == 200, origin
        assert response.text.startswith("0{")  # engine.io OPEN packet
        # exactly one header (two, from engine.io and Rasa's CORS, would break long-polling)
        assert response.headers.get_list("access-control-allow-origin") == [origin]
    assert handshake(widget_rasa.url, None).status_code == 200  # no browser, no Origin


def test_websocket_from_a_foreign_origin_is_refused(widget_rasa: WidgetRasa) -> None:
    import socketio

    client = SocketClient(widget_rasa.url, headers={"Origin": FOREIGN_ORIGIN})
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect()
    finally:
        client.close()
    with SocketClient(widget_rasa.url, headers={"Origin": widget_rasa.url}) as client:
        assert SESSION.fullmatch(client.request_session())


SESSION = re.compile(r"[0-9a-f]{64}")


def test_session_ids_are_issued_and_signed_by_the_server(widget_rasa: WidgetRasa) -> None:
    import uuid

    from connectors.socketio_channel import SessionIds

    with SocketClient(widget_rasa.url) as first:
        issued = first.request_session(None)
        assert SESSION.fullmatch(issued)
        tampered = issued[:-1] + ("0" if issued[-1] != "0" else "1")
        other_key = SessionIds("another installation").issue()
        for forged in (
            uuid.uuid4().hex,  # what Rasa's own channel accepts from any client
            "a" * 64,
            tampered,
            other_key,
            widget_rasa.sender_id(issued),  # the Rasa sender id is no session id
            "../" + issued,
            {"session_id": issued},
            12345,
        ):
            with SocketClient(widget_rasa.url) as client:
                confirmed = client.request_session(forged)  # type: ignore[arg-type]
                assert SESSION.fullmatch(confirmed)
                assert confirmed not in (forged, issued), forged
        with SocketClient(widget_rasa.url) as again:  # a reload: the valid id continues
            assert again.request_session(issued) == issued


def test_sender_id_is_keyed_from_the_signed_session(widget_rasa: WidgetRasa) -> None:
    with SocketClient(widget_rasa.url) as client:
        session = client.request_session()
        client.say("Hallo")
        client.answer()
    sender = widget_rasa.sender_id(session)
    assert sender.startswith("socketio-") and session not in sender
    assert [e["text"] for e in widget_rasa.user_events(session)] == ["Hallo"]
    raw = httpx.get(
        f"{widget_rasa.url}/conversations/{session}/tracker",
        headers=jwt_headers(widget_rasa.jwt_secret),
        timeout=10,
    ).json()
    assert [e for e in raw["events"] if e["event"] == "user"] == []


def test_no_socket_can_write_into_or_listen_to_another_session(widget_rasa: WidgetRasa) -> None:
    with SocketClient(widget_rasa.url) as alice, SocketClient(widget_rasa.url) as mallory:
        victim = alice.request_session()
        own = mallory.request_session(victim[:-4] + "beef")  # a guess is not a key
        assert own != victim
        mallory.say("Eingeschleust", session=victim)  # user_uttered into another session
        alice.say("Hallo")
        assert alice.answer()["text"]
        assert mallory.drain(2) == []  # neither her own refusal nor Alice's answer
        assert [e["text"] for e in widget_rasa.user_events(victim)] == ["Hallo"]
        assert widget_rasa.user_events(own) == []


def test_too_long_message_is_answered_before_the_nlu(widget_rasa: WidgetRasa) -> None:
    from connectors.guard import response_text

    text = "Parkplatz am Hauptbahnhof " * 200  # 5,200 characters, under the 16 KB packet limit
    with SocketClient(widget_rasa.url) as client:
        session = client.request_session()
        client.say(text)
        assert client.answer() == {"text": response_text("utter_message_too_long")}
        assert widget_rasa.user_events(session) == []  # never reached Rasa
        client.say("Hallo")  # the same connection goes on
        assert client.answer()["text"]
    assert [e["text"] for e in widget_rasa.user_events(session)] == ["Hallo"]


def test_300_kb_message_leaves_rasa_memory_and_service_intact(widget_rasa: WidgetRasa) -> None:
    if widget_rasa.pid is None:
        pytest.skip("needs the Rasa process these tests started (not an external server)")
    huge = "Parkplatz " * 30_000  # 300,000 characters
    with SocketClient(widget_rasa.url) as warm:  # load whatever a first message loads
        warm.request_session()
        warm.say("Hallo")
        warm.answer()
    before = resident_kb(widget_rasa.pid)

    client = SocketClient(widget_rasa.url).connect()  # WebSocket
    session = client.request_session()
    client.say(huge)
    client.next("disconnect", timeout=10)  # the server drops the oversized frame's connection
    client.close()
    polling = SocketClient(widget_rasa.url, transports=("polling",)).connect()
    assert polling.request_session(session) == session
    with contextlib.suppress(Exception):  # the POST is refused; the client may notice or not
        polling.say(huge)
    time.sleep(2)
    polling.close()

    after = resident_kb(widget_rasa.pid)
    growth_mb = (after - before) / 1024
    print(
        f"\nRasa VmRSS before {before / 1024:.0f} MB, after {after / 1024:.0f} MB, "
        f"growth {growth_mb:.1f} MB"
    )
    assert growth_mb < 100
    assert widget_rasa.user_events(session) == []
    with SocketClient(widget_rasa.url) as again:  # the session and the server go on
        assert again.request_session(session) == session
        again.say("Hallo")
        assert again.answer()["text"]
    assert [e["text"] for e in widget_rasa.user_events(session)] == ["Hallo"]


def test_rate_limits_per_session_and_per_client_address() -> None:
    from connectors.guard import response_text

    limited = {"text": response_text("utter_rate_limited")}
    limits = {"STADTLOTSE_RATE_CONVERSATION": "3/60", "STADTLOTSE_RATE_ADDRESS": "5/60"}
    citizen = {"X-Real-IP": "203.0.113.7"}  # as nginx in front of Rasa sets it
    with FakeBot(env=limits) as bot:
        with SocketClient(bot.url, headers=citizen) as first:
            first.request_session()
            for number in range(3):
                first.say(f"Frage {number}")
                assert first.answer() == {"text": f"Echo: Frage {number}"}
            first.say("Frage 4")
            assert first.answer() == limited  # the session's limit
        with SocketClient(bot.url, headers=citizen) as second:  # a new session, same address
            second.request_session()
            second.say("noch eine")
            assert second.answer() == {"text": "Echo: noch eine"}
            second.say("und noch eine")
            assert second.answer() == limited  # the address's limit
        with SocketClient(bot.url, headers={"X-Real-IP": "198.51.100.2"}) as neighbour:
            neighbour.request_session()
            neighbour.say("Hallo")
            assert neighbour.answer() == {"text": "Echo: Hallo"}
        assert [m["message"] for m in bot.received()] == [
            "Frage 0",
            "Frage 1",
            "Frage 2",
            "noch eine",
            "Hallo",
        ]
