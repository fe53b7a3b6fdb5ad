"""The closed doors, unit by unit: message guard, keyed ids, action server, Rasa's API switch,
the production layout's secrets and proxy configuration. Attacks on the running layout are in
tests/security/."""

from __future__ import annotations

import json
import os
import re
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot import production
from bot.action_server import SECRET_HEADER, BodyTooLarge, create_app, inflate
from bot.launcher import VENV, rasa_api_arguments
from bot.rasa_cli import refuse_open_api
from connectors.guard import (
    RATE_LIMITED,
    TOO_LONG,
    Limits,
    MessageGuard,
    SlidingWindow,
    client_address,
    conversation_id,
    response_text,
)

SECRET = "s" * 40


# -- message guard -------------------------------------------------------------------------


def guard(max_chars: int = 2000, conversation: str = "3/60", address: str = "5/60") -> MessageGuard:
    def rate(value: str) -> tuple[int, float]:
        count, seconds = value.split("/")
        return int(count), float(seconds)

    return MessageGuard(Limits(max_chars, rate(conversation), rate(address)))


def test_a_message_over_the_limit_is_refused_before_anything_else() -> None:
    checker = guard(max_chars=10)
    assert checker.refusal("c", None, "x" * 10) is None
    assert checker.refusal("c", None, "x" * 11) == TOO_LONG


def test_the_conversation_rate_limit_holds_and_other_conversations_go_on() -> None:
    checker = guard(conversation="3/60")
    assert [checker.refusal("c", None, "hi") for _ in range(4)] == [None, None, None, RATE_LIMITED]
    assert checker.refusal("other", None, "hi") is None


def test_new_conversation_ids_do_not_bypass_the_address_limit() -> None:
    checker = guard(conversation="100/60", address="5/60")
    answers = [checker.refusal(f"conversation-{n}", "203.0.113.7", "hi") for n in range(8)]
    assert answers[:5] == [None] * 5
    assert answers[5:] == [RATE_LIMITED] * 3
    assert checker.refusal("conversation-x", "203.0.113.8", "hi") is None


def test_the_window_slides() -> None:
    window = SlidingWindow(2, 10)
    assert window.allow("k", now=0) and window.allow("k", now=1)
    assert not window.allow("k", now=5)
    assert window.allow("k", now=10.5)


def test_the_refusals_are_the_domains_german_responses() -> None:
    domain = yaml_responses()
    assert response_text(TOO_LONG) == domain[TOO_LONG][0]["text"]
    assert response_text(RATE_LIMITED) == domain[RATE_LIMITED][0]["text"]
    assert "Moment" in response_text(RATE_LIMITED)


def yaml_responses() -> dict:
    import yaml

    return yaml.safe_load(Path("domain.yml").read_text())["responses"]


def test_conversation_ids_are_namespaced_keyed_and_stable() -> None:
    rest = conversation_id("rest", "12345", salt="a" * 40)
    assert rest == conversation_id("rest", "12345", salt="a" * 40)
    assert re.fullmatch(r"rest-[0-9a-f]{32}", rest)
    assert "12345" not in rest
    assert conversation_id("telegram", "12345", salt="a" * 40) != rest.replace("rest", "telegram")
    assert conversation_id("rest", "12345", salt="b" * 40) != rest


def test_the_client_address_comes_from_the_local_proxy_only() -> None:
    assert client_address("127.0.0.1", {"x-real-ip": "198.51.100.4"}) == "198.51.100.4"
    # A client on the internet cannot choose its address by header.
    assert client_address("198.51.100.9", {"x-real-ip": "10.0.0.1"}) == "198.51.100.9"
    # Local tools without a proxy (shell, tests) have no address limit.
    assert client_address("127.0.0.1", {}) is None


# -- action server -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def action_server() -> Iterator[str]:
    """The real action server process (as `make run` starts it) on a free port."""
    from tests.assistant.conftest import free_port, wait_for

    port = free_port()
    process = subprocess.Popen(
        [str(VENV / "python"), "-m", "bot.action_server", "--port", str(port)],
        env={**os.environ, "ACTION_SERVER_SECRET": SECRET, "CLIENT_KEY_SALT": "k" * 40},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/health", process, timeout=60)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def action_call() -> dict:
    return {
        "next_action": "action_session_start",
        "sender_id": "x",
        "tracker": {"sender_id": "x", "slots": {}, "latest_message": {}, "events": []},
        "domain": {},
        "version": "3.6.2",
    }


def test_the_action_server_refuses_calls_without_the_shared_secret(action_server: str) -> None:
    url = f"{action_server}/webhook"
    assert httpx.post(url, json=action_call()).status_code == 403
    assert httpx.post(url, json=action_call(), headers={SECRET_HEADER: "wrong"}).status_code == 403
    answer = httpx.post(url, json=action_call(), headers={SECRET_HEADER: SECRET}, timeout=10)
    assert answer.status_code == 200
    assert answer.json()["events"][0]["event"] == "session_started"


def test_the_action_server_listens_on_loopback_only(action_server: str) -> None:
    port = action_server.rsplit(":", 1)[1]
    listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
    addresses = [
        line.split()[3] for line in listening.splitlines() if line.split()[3].endswith(f":{port}")
    ]
    assert addresses == [f"127.0.0.1:{port}"]


def test_the_action_server_bounds_compressed_bodies(action_server: str) -> None:
    bomb = zlib.compress(b" " * (64 * 1024 * 1024), 9)  # 64 MB of spaces in ~64 KB
    assert len(bomb) < 100_000
    headers = {SECRET_HEADER: SECRET, "Content-Encoding": "deflate"}
    answer = httpx.post(f"{action_server}/webhook", content=bomb, headers=headers, timeout=10)
    assert answer.status_code == 413
    compressed = zlib.compress(json.dumps(action_call()).encode())
    answer = httpx.post(f"{action_server}/webhook", content=compressed, headers=headers, timeout=10)
    assert answer.status_code == 200


def test_inflate_stops_at_the_bound() -> None:
    with pytest.raises(BodyTooLarge):
        inflate(zlib.compress(b"a" * 2000), limit=1000)
    assert inflate(zlib.compress(b"a" * 1000), limit=1000) == b"a" * 1000


def test_the_action_server_lists_no_actions_and_echoes_no_request(action_server: str) -> None:
    assert httpx.get(f"{action_server}/actions").status_code == 404
    call = action_call() | {"next_action": "no_such_action"}
    answer = httpx.post(f"{action_server}/webhook", json=call, headers={SECRET_HEADER: SECRET})
    assert answer.status_code == 404
    assert "tracker" not in answer.text


def test_the_action_server_does_not_start_without_a_secret() -> None:
    with pytest.raises(SystemExit, match="ACTION_SERVER_SECRET"):
        create_app("")


# -- Rasa's HTTP API -----------------------------------------------------------------------


def test_rasa_api_is_off_unless_enabled_and_then_needs_a_jwt_secret() -> None:
    assert rasa_api_arguments({}) == []
    with pytest.raises(SystemExit):
        rasa_api_arguments({"RASA_ENABLE_API": "1"})
    with pytest.raises(SystemExit):
        rasa_api_arguments({"RASA_ENABLE_API": "1", "RASA_JWT_SECRET": "short"})
    arguments = rasa_api_arguments({"RASA_ENABLE_API": "1", "RASA_JWT_SECRET": SECRET})
    assert arguments[:3] == ["--enable-api", "--jwt-secret", SECRET]


def test_rasa_refuses_an_open_api_and_the_query_string_token() -> None:
    with pytest.raises(SystemExit, match="without authentication"):
        refuse_open_api(["run", "--enable-api"])
    with pytest.raises(SystemExit, match="auth-token"):
        refuse_open_api(["run", "--enable-api", "--auth-token", "x", "--jwt-secret", SECRET])
    refuse_open_api(["run", "--enable-api", "--jwt-secret", SECRET])
    refuse_open_api(["run"])


# -- production layout ---------------------------------------------------------------------


def production_env(**extra: str) -> dict[str, str]:
    return {
        "CLIENT_KEY_SALT": "c" * 40,
        "ACTION_SERVER_SECRET": "a" * 40,
        "APPLICATIONS_API_TOKEN": "t" * 40,
        "RASA_PORT": "5005",
        **extra,
    }


def test_production_refuses_missing_short_and_development_secrets(tmp_path: Path) -> None:
    dev = tmp_path / "secrets.json"
    dev.write_text(json.dumps({"CLIENT_KEY_SALT": "d" * 43}))
    assert production.secret_problems(production_env(), dev) == []
    problems = production.secret_problems(
        production_env(CLIENT_KEY_SALT="d" * 43, ACTION_SERVER_SECRET="short", RASA_JWT_SECRET="x")
        | {"APPLICATIONS_API_TOKEN": ""},
        dev,
    )
    text = "\n".join(problems)
    assert "CLIENT_KEY_SALT is the development value" in text
    assert "ACTION_SERVER_SECRET is shorter" in text
    assert "APPLICATIONS_API_TOKEN is not set" in text
    assert "RASA_JWT_SECRET is shorter" in text
    assert all("Fix:" in problem for problem in problems)


def test_the_proxy_passes_exactly_the_channels(tmp_path: Path) -> None:
    config = production.render_nginx(production_env(), tmp_path).read_text()
    locations = re.findall(r"location\s+(=?\s*\S+)\s*\{", config)
    assert [loc.replace(" ", "") for loc in locations] == [
        "=/webhooks/telegram/webhook",
        "/webhooks/widget/",
        "/socket.io/",
        "=/",
        "/",
    ]
    assert "{{" not in config
    assert "proxy_set_header X-Real-IP $remote_addr" in config
    assert "client_max_body_size 256k" in config
    with_rest = production.render_nginx(production_env(REST_CHANNEL_TOKEN="r" * 40), tmp_path)
    assert "location = /webhooks/rest/webhook" in with_rest.read_text()


def test_the_proxy_terminates_tls_when_given_a_certificate(tmp_path: Path) -> None:
    config = production.render_nginx(
        production_env(STADTLOTSE_TLS_CERT="/etc/ssl/c.pem", STADTLOTSE_TLS_KEY="/etc/ssl/k.pem"),
        tmp_path,
    ).read_text()
    assert "listen 8080 ssl;" in config
    assert "ssl_certificate /etc/ssl/c.pem;" in config
    assert "Strict-Transport-Security" in config


# -- socket.io: holes of the pinned python-socketio / python-engineio ------------------------


def test_binary_socketio_packets_are_refused_and_never_kept() -> None:
    import asyncio

    from connectors.socketio_channel import BoundedAsyncServer

    server = BoundedAsyncServer(async_mode="asgi")
    # A BINARY_EVENT that announces a billion attachments, then one attachment.
    asyncio.run(server._handle_eio_message("eio-1", '51000000000-["user_uttered",{}]'))
    asyncio.run(server._handle_eio_message("eio-1", b"\x00" * 1024))
    assert server._binary_packet == {}


def test_a_pong_flood_keeps_one_pending_heartbeat() -> None:
    import asyncio

    import engineio
    import engineio.asyncio_socket

    import connectors.socketio_channel  # noqa: F401  (installs the heartbeat fix)

    started: list = []
    server = engineio.AsyncServer(async_mode="asgi")
    server.start_background_task = started.append  # type: ignore[method-assign]
    socket = engineio.asyncio_socket.AsyncSocket(server, "sid")
    for _ in range(1000):
        socket.schedule_ping()
    assert len(started) == 1
    server.ping_interval = 0
    asyncio.run(started[0]())  # the heartbeat runs (and sends its PING)...
    socket.schedule_ping()  # ...then the client's PONG schedules exactly the next one
    assert len(started) == 2
