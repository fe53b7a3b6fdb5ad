"""Attacks on the production layout from outside, as an attacker would run them. Each test fails
if its attack works."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import time
import zlib

import httpx
import pytest

from tests.assistant.widget_support import resident_kb
from tests.security.conftest import TELEGRAM_SECRET, Layout, rest

VICTIM = "424242"  # a Telegram chat id as an attacker might know it
EVIL_ORIGIN = "https://evil.example"
ATTACKER_ADDRESS = "127.0.0.2"

# Rasa's HTTP API, with the calls that would read, write or replace what citizens see.
API_CALLS = [
    ("GET", f"/conversations/{VICTIM}/tracker", None),
    ("GET", f"/conversations/telegram-{VICTIM}/tracker", None),
    (
        "POST",
        f"/conversations/{VICTIM}/tracker/events?execute_side_effects=true",
        [{"event": "bot", "text": "Ihr Konto ist gesperrt: https://evil.example"}],
    ),
    ("PUT", f"/conversations/{VICTIM}/tracker/events", []),
    ("POST", f"/conversations/{VICTIM}/execute", {"name": "utter_greet"}),
    ("POST", f"/conversations/{VICTIM}/trigger_intent", {"name": "greet"}),
    ("POST", f"/conversations/{VICTIM}/messages", {"text": "hi", "sender": "user"}),
    ("GET", f"/conversations/{VICTIM}/story", None),
    ("PUT", "/model", {"model_file": "/tmp/evil.tar.gz"}),
    ("DELETE", "/model", None),
    ("POST", "/model/train", {}),
    ("POST", "/model/parse", {"text": "hallo"}),
    ("POST", "/model/test/intents", {}),
    ("GET", "/status", None),
    ("GET", "/version", None),
    ("GET", "/domain", None),
]


def call(base: str, method: str, path: str, body: object, **headers: str) -> httpx.Response:
    return httpx.request(
        method, f"{base}{path}", json=body, headers={"Origin": EVIL_ORIGIN, **headers}, timeout=10
    )


@pytest.mark.parametrize(("method", "path", "body"), API_CALLS)
def test_rasas_api_cannot_be_reached_through_the_proxy(layout: Layout, method, path, body) -> None:
    answer = call(layout.url, method, path, body)
    assert answer.status_code in (403, 404, 405)
    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize(("method", "path", "body"), API_CALLS)
def test_rasas_api_is_off_even_on_loopback(layout: Layout, method, path, body) -> None:
    rasa = f"http://127.0.0.1:{layout.port('RASA_PORT')}"
    answer = call(rasa, method, path, body)
    assert answer.status_code in (404, 405)
    assert '"events"' not in answer.text


def test_every_internal_server_listens_on_loopback_only(layout: Layout) -> None:
    listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
    local = [line.split()[3] for line in listening.splitlines()]
    for name in ("RASA_PORT", "ACTION_SERVER_PORT", "OPENDATA_PORT"):
        port = layout.port(name)
        bound = [address for address in local if address.rsplit(":", 1)[1] == str(port)]
        assert bound == [f"127.0.0.1:{port}"], (name, bound)
    # From another address of this machine, nothing but the proxy answers.
    addresses = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    for address in [a for a in addresses if ":" not in a][:1]:
        for name in ("RASA_PORT", "ACTION_SERVER_PORT", "OPENDATA_PORT"):
            with socket.socket() as sock:
                sock.settimeout(2)
                assert sock.connect_ex((address, layout.port(name))) != 0, name


@pytest.mark.parametrize(
    "path",
    [
        "/api/3/action/package_search?q=kita",
        "/api/public/v3/parking-sites",
        "/standard/XML_DM_REQUEST",
        "/applications/DU-2026-004711/status",
        "/docs",
        "/openapi.json",
        "/health",
        "/webhook",
        "/actions",
        "/webhooks/rest/",
        "/webhooks/telegram/",
        "/../../etc/passwd",
    ],
)
def test_the_proxy_passes_nothing_but_the_channels(layout: Layout, path: str) -> None:
    answer = httpx.get(f"{layout.url}{path}", timeout=10)
    assert answer.status_code in (400, 403, 404, 405)


def test_direct_calls_to_the_action_server_are_refused(layout: Layout) -> None:
    actions = f"http://127.0.0.1:{layout.port('ACTION_SERVER_PORT')}"
    action_call = {
        "next_action": "action_application_status",
        "sender_id": f"telegram-{VICTIM}",
        "tracker": {
            "sender_id": f"telegram-{VICTIM}",
            "slots": {"application_number": "DU-2026-004711", "access_code": "K7M2Q9"},
            "latest_message": {},
            "events": [],
        },
        "domain": {},
        "version": "3.6.2",
    }
    answer = httpx.post(f"{actions}/webhook", json=action_call, timeout=10)
    assert answer.status_code == 403
    assert "Bearbeitung" not in answer.text
    bomb = zlib.compress(b"{" * (256 * 1024 * 1024), 9)  # 256 MB in about 250 KB
    started = time.monotonic()
    answer = httpx.post(
        f"{actions}/webhook",
        content=bomb,
        headers={"Content-Encoding": "deflate", "X-Stadtlotse-Action-Secret": "guess"},
        timeout=10,
    )
    assert answer.status_code in (403, 413)
    assert time.monotonic() - started < 2
    assert httpx.get(f"{actions}/actions", timeout=10).status_code == 404


def test_cross_origin_requests_get_no_cors_grant(layout: Layout) -> None:
    for method, path in (
        ("OPTIONS", "/webhooks/rest/webhook"),
        ("POST", "/webhooks/rest/webhook"),
        ("GET", "/socket.io/?EIO=4&transport=polling"),
    ):
        answer = httpx.request(
            method,
            f"{layout.url}{path}",
            headers={
                "Origin": EVIL_ORIGIN,
                "Access-Control-Request-Method": "POST",
                **layout.rest_headers,
            },
            json={"sender": "x", "message": "hallo"} if method == "POST" else None,
            timeout=10,
        )
        granted = answer.headers.get("access-control-allow-origin")
        # A browser lets the page read an answer only with an Allow-Origin naming the page.
        assert granted in (None, layout.url), (path, granted)


def test_the_socketio_handshake_refuses_a_foreign_origin(layout: Layout) -> None:
    foreign = httpx.get(
        f"{layout.url}/socket.io/?EIO=4&transport=polling",
        headers={"Origin": EVIL_ORIGIN},
        timeout=10,
    )
    assert foreign.status_code >= 400
    own = httpx.get(
        f"{layout.url}/socket.io/?EIO=4&transport=polling",
        headers={"Origin": layout.url},
        timeout=10,
    )
    assert own.status_code == 200


def test_the_rest_channel_needs_its_token(layout: Layout) -> None:
    url = f"{layout.url}/webhooks/rest/webhook"
    body = {"sender": "x", "message": "Hallo"}
    assert httpx.post(url, json=body, timeout=10).status_code == 401
    wrong = {"Authorization": "Bearer " + "x" * 43}
    assert httpx.post(url, json=body, headers=wrong, timeout=10).status_code == 401
    answer = httpx.post(url, json=body, headers=layout.rest_headers, timeout=30)
    assert answer.status_code == 200 and answer.json()


def test_a_rest_sender_cannot_enter_a_telegram_conversation(layout: Layout) -> None:
    """Telegram conversations are keyed: naming a chat id or a Rasa sender id as the REST sender
    opens a new REST conversation, never the Telegram one."""
    from tests.assistant.telegram_double import Updates

    updates = Updates()
    layout.telegram.reset()
    push = httpx.post(
        f"{layout.url}/webhooks/telegram/webhook",
        json=updates.text("Wie viele Plätze sind im Forum frei?", chat_id=int(VICTIM)),
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        timeout=10,
    )
    assert push.status_code == 200
    layout.telegram.wait_for("sendMessage", timeout=30)
    for sender in (VICTIM, f"telegram-{VICTIM}", "telegram", "*"):
        answer = rest(layout, sender, "Und was kostet das?")
        text = " ".join(message.get("text", "") for message in answer.json())
        assert "Forum" not in text, sender  # the victim's context (the car park) is not reachable
    assert not [c for c in layout.telegram.calls("sendMessage") if "evil" in json.dumps(c.params)]


def test_the_telegram_webhook_needs_its_secret(layout: Layout) -> None:
    from tests.assistant.telegram_double import Updates

    layout.telegram.reset()
    update = Updates().text("Hallo", chat_id=int(VICTIM))
    url = f"{layout.url}/webhooks/telegram/webhook"
    assert httpx.post(url, json=update, timeout=10).status_code in (401, 403)
    wrong = {"X-Telegram-Bot-Api-Secret-Token": "guessed"}
    assert httpx.post(url, json=update, headers=wrong, timeout=10).status_code in (401, 403)
    time.sleep(1)
    assert layout.telegram.calls("sendMessage") == []


def rasa_rss_mb(layout: Layout) -> float:
    return resident_kb(layout.pid_listening_on(layout.port("RASA_PORT"))) / 1024


def test_oversize_messages_are_refused_on_every_channel(layout: Layout) -> None:
    before = rasa_rss_mb(layout)
    huge = "Parkhaus " * 35_000  # about 300 KB
    # Over the proxy's body bound: refused before Rasa sees it.
    assert rest(layout, "big", huge).status_code == 413
    telegram = httpx.post(
        f"{layout.url}/webhooks/telegram/webhook",
        content=json.dumps({"update_id": 1, "message": {"text": huge}}),
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        timeout=10,
    )
    assert telegram.status_code == 413
    # Under the proxy's bound but over the message limit: a friendly German answer, no NLU.
    started = time.monotonic()
    answer = rest(layout, "big", "Wo kann ich parken? " * 500)
    assert answer.status_code == 200
    assert "sehr lang" in answer.json()[0]["text"]
    assert time.monotonic() - started < 2
    assert rasa_rss_mb(layout) - before < 100
    assert rest(layout, "big", "Hallo").status_code == 200


def test_ten_thousand_code_guesses_with_rotating_senders_find_nothing(layout: Layout) -> None:
    """An attacker with a REST token (a leaked integration) rotates sender ids and forged
    address headers; the right code is not among the guesses."""

    async def guess(client: httpx.AsyncClient, number: int) -> tuple[int, str]:
        code = f"{number:06d}".translate(str.maketrans("0123456789", "ABCDEFGHJK"))
        payload = json.dumps({"application_number": "DU-2026-004711", "access_code": code})
        try:
            answer = await client.post(
                "/webhooks/rest/webhook",
                json={"sender": f"attacker-{number}", "message": f"/application_status{payload}"},
                headers={
                    **layout.rest_headers,
                    "X-Real-IP": f"10.{number % 250}.{number // 250 % 250}.1",
                    "X-Forwarded-For": f"192.0.2.{number % 250}",
                },
            )
        except httpx.HTTPError:
            return 0, ""
        if answer.status_code != 200:
            return answer.status_code, ""
        return 200, " ".join(message.get("text", "") for message in answer.json())

    async def attack() -> list[tuple[int, str]]:
        limits = httpx.Limits(max_connections=20)
        # The attacker's own address (loopback has all of 127/8): the other attacks keep theirs.
        transport = httpx.AsyncHTTPTransport(local_address=ATTACKER_ADDRESS, limits=limits)
        async with httpx.AsyncClient(
            base_url=layout.url, transport=transport, timeout=30
        ) as client:
            semaphore = asyncio.Semaphore(20)

            async def bounded(number: int) -> tuple[int, str]:
                async with semaphore:
                    return await guess(client, number)

            return await asyncio.gather(*(bounded(n) for n in range(10_000)))

    started = time.monotonic()
    results = asyncio.run(attack())
    elapsed = time.monotonic() - started
    answered = [text for status, text in results if status == 200]
    found = [text for text in answered if "Vorgang DU-2026-004711 (" in text]
    assert found == []
    assert sum(status == 429 for status, _ in results) > 9_000  # the proxy throttles the address
    assert elapsed < 120
    print(f"10,000 guesses in {elapsed:.1f} s: {len(answered)} reached Rasa, 0 found")
