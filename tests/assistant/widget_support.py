"""Fixtures and helpers for the chat-widget tests (pytest plugin, see test_widget*.py).

Which Rasa the tests talk to (fixture `widget_rasa`, its URL as `rasa_url`):
- STADTLOTSE_WIDGET_RASA_URL=http://host:port  an already running Rasa with the project's channels
  and Rasa's API on (RASA_ENABLE_API=1); set its CLIENT_KEY_SALT and RASA_JWT_SECRET as well, and
  STADTLOTSE_WIDGET_CITY_ORIGIN for the city-page tests;
- STADTLOTSE_WIDGET_TESTBOT=1  a tiny test bot (defined below, trained once and cached in
  .pytest_cache) run by `rasa run` with the project's channel configuration, for working on the
  widget without the whole assistant;
- otherwise (the default, and in CI) the whole assistant: its own Rasa and action server, started
  here from conftest.py's trained model, environment and open-data server, with its own tracker
  database, the API behind a JWT, and one allowed "city page" origin besides its own.
The tests only rely on what the real assistant does: an answer to a parking question ending in
👍/👎 quick replies, a thank-you containing "Danke" for 👍, an answer to `/share_location{...}` and
the deletion question for `/delete_my_data`.

Renderer and connection tests that need markup, custom payloads, small limits or an outage use
`FakeBot`: the project's guarded socket.io channel (connectors/socketio_channel.py) with a scripted
bot behind it, which also serves the widget through the real WidgetAssets blueprint. Run it by hand
with `.venv/bin/python -m tests.assistant.widget_support fake-bot --port 5099` (set
STADTLOTSE_ALLOWED_ORIGINS="http://127.0.0.1:5099" and a CLIENT_KEY_SALT).
`SocketClient` is a python-socketio client for protocol tests.

Browsers: Debian's chromium only (never `playwright install`).
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
NODE_MODULES = ROOT / "node_modules"
# The committed README screenshots are refreshed only on request, so that a test run leaves the
# tree clean: STADTLOTSE_UPDATE_SCREENSHOTS=1 make test.
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("STADTLOTSE_UPDATE_SCREENSHOTS") == "1"
    else ROOT / "build" / "screenshots"
)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDGET = "#stadtlotse-widget"
DUISBURG_HBF = {"latitude": 51.430431, "longitude": 6.778361}  # Parkhaus Hbf / UCI (P2)

# ---------------------------------------------------------------------------------- test bot

BOT_CONFIG = """\
recipe: default.v1
language: de
assistant_id: stadtlotse-widget-testbot
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 2
    max_ngram: 4
  - name: LogisticRegressionClassifier
  - name: FallbackClassifier
    threshold: 0.3
policies:
  - name: RulePolicy
"""

BOT_DOMAIN = """\
version: "3.1"
intents:
  - greet
  - parking_free_spaces
  - parking_nearby
  - share_location
  - feedback
entities:
  - latitude
  - longitude
  - rating
responses:
  utter_greet:
    - text: "Hallo! Ich bin der Testbot des Stadtlotsen. Fragen Sie mich nach freien Parkplätzen."
      buttons:
        - title: "Freie Parkplätze am Hbf"
          payload: "/parking_free_spaces"
        - title: "Parken in meiner Nähe"
          payload: "/parking_nearby"
  utter_parking:
    - text: "Im Parkhaus Duisburg Hbf / Duisburger Freiheit sind gerade 231 von 604 Plätzen frei.\\nℹ️ Quelle: Testdaten des Widget-Testbots · https://www.duisburg.de/"
      buttons:
        - title: "👍"
          payload: '/feedback{{"rating": "positive"}}'
        - title: "👎"
          payload: '/feedback{{"rating": "negative"}}'
  utter_ask_place:
    - text: "Wo möchten Sie parken? Nennen Sie einen Ort oder teilen Sie Ihren Standort."
      custom:
        data:
          request_location: true
  utter_location:
    - text: "Danke, Ihr Standort ist angekommen. Am nächsten liegt das Parkhaus Duisburg Hbf / UCI (P2)."
  utter_feedback_thanks:
    - text: "Danke für Ihre Rückmeldung!"
  utter_default:
    - text: "Das habe ich leider nicht verstanden. Fragen Sie mich zum Beispiel nach freien Parkplätzen."
session_config:
  session_expiration_time: 60
  carry_over_slots_to_new_session: true
"""

BOT_NLU = """\
version: "3.1"
nlu:
  - intent: greet
    examples: |
      - hallo
      - hi
      - guten tag
      - guten morgen
      - moin
      - servus
      - hallo zusammen
  - intent: parking_free_spaces
    examples: |
      - Wo ist am Hauptbahnhof noch frei?
      - Wo finde ich einen freien Parkplatz?
      - freie Parkplätze am Hbf
      - Wie viele Plätze sind im Forum frei?
      - Parkhaus Hauptbahnhof
      - Wo kann ich in der City parken?
      - parken am hauptbahnhof
      - gibt es noch freie parkplätze
      - ist das parkhaus voll
  - intent: parking_nearby
    examples: |
      - Parkplatz in meiner Nähe
      - wo kann ich hier in der Nähe parken
      - nächstes Parkhaus zu mir
      - Parkhaus in meiner Umgebung
      - parken in der nähe
"""

BOT_RULES = """\
version: "3.1"
rules:
  - rule: greet
    steps:
      - intent: greet
      - action: utter_greet
  - rule: parking
    steps:
      - intent: parking_free_spaces
      - action: utter_parking
  - rule: parking nearby
    steps:
      - intent: parking_nearby
      - action: utter_ask_place
  - rule: location
    steps:
      - intent: share_location
      - action: utter_location
  - rule: feedback
    steps:
      - intent: feedback
      - action: utter_feedback_thanks
  - rule: fallback
    steps:
      - intent: nlu_fallback
      - action: utter_default
"""

# The same socket.io configuration as the project's credentials.yml (the guarded channel).
BOT_CREDENTIALS = """\
connectors.socketio_channel.GuardedSocketIOInput:
  user_message_evt: user_uttered
  bot_message_evt: bot_uttered
  session_persistence: true
connectors.widget_channel.WidgetAssets: {}
"""

BOT_FILES = {
    "config.yml": BOT_CONFIG,
    "domain.yml": BOT_DOMAIN,
    "data/nlu.yml": BOT_NLU,
    "data/rules.yml": BOT_RULES,
    "credentials.yml": BOT_CREDENTIALS,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="3",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
    )
    return env


def train_test_bot(directory: Path) -> Path:
    """Write the test bot into `directory` and train it unless an identical model exists."""
    digest = hashlib.sha256(json.dumps(BOT_FILES, sort_keys=True).encode()).hexdigest()[:16]
    model = directory / "models" / f"widgetbot-{digest}.tar.gz"
    for name, content in BOT_FILES.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    if model.exists():
        return model
    shutil.rmtree(directory / "models", ignore_errors=True)
    result = subprocess.run(
        [
            str(VENV_BIN / "rasa"),
            "train",
            "--config",
            "config.yml",
            "--domain",
            "domain.yml",
            "--data",
            "data",
            "--out",
            "models",
            "--fixed-model-name",
            model.name.removesuffix(".tar.gz"),
        ],
        cwd=directory,
        env=rasa_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0 or not model.exists():
        raise RuntimeError(
            f"training the widget test bot failed:\n{result.stdout}\n{result.stderr}"
        )
    return model


def wait_for_http(url: str, process: subprocess.Popen | None = None, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# ---------------------------------------------------------------------------------- Rasa

# Secrets of the Rasa servers these tests start themselves (never used anywhere else).
JWT_SECRET = "stadtlotse-widget-tests-jwt-secret-0123456789abcdef"
TEST_SALT = "stadtlotse-widget-tests-client-key-salt"


def jwt_headers(secret: str) -> dict[str, str]:
    """Authorization for Rasa's HTTP API (HS256 JWT, admin role)."""
    import jwt

    token = jwt.encode({"user": {"username": "widget-tests", "role": "admin"}}, secret, "HS256")
    return {"Authorization": f"Bearer {token}"}


@dataclass
class WidgetRasa:
    """The Rasa server the widget tests talk to, and what they need to read its trackers."""

    url: str
    salt: str  # CLIENT_KEY_SALT of that server: session ids and sender ids depend on it
    jwt_secret: str
    process: subprocess.Popen | None = None  # None for an external server
    # An allowed web origin other than the assistant's own (a city page), if the server has one.
    city_origin: str | None = None
    testbot: bool = False  # the tiny test bot: no "Meine Daten löschen", no data answers

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def sender_id(self, session: str) -> str:
        """The Rasa sender id of a socket.io session (derived and keyed by the channel)."""
        from connectors.socketio_channel import SessionIds

        return SessionIds(self.salt).sender_id(session)

    def tracker(self, session: str) -> dict[str, Any]:
        response = httpx.get(
            f"{self.url}/conversations/{self.sender_id(session)}/tracker",
            headers=jwt_headers(self.jwt_secret),
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def user_events(self, session: str) -> list[dict[str, Any]]:
        return [e for e in self.tracker(session)["events"] if e["event"] == "user"]


def origins_for(port: int, *extra: str) -> str:
    return " ".join([f"http://127.0.0.1:{port}", f"http://localhost:{port}", *extra])


@pytest.fixture(scope="session")
def widget_bot(request: pytest.FixtureRequest) -> Iterator[WidgetRasa]:
    """The tiny test bot served by `rasa run` with the project's socket.io + widget channels."""
    directory = request.config.cache.mkdir("stadtlotse-widget-bot")
    model = train_test_bot(directory)
    port, city = free_port(), free_port()
    city_origin = f"http://127.0.0.1:{city}"
    env = rasa_env()
    env.update(
        CLIENT_KEY_SALT=TEST_SALT,
        RASA_PORT=str(port),
        STADTLOTSE_ALLOWED_ORIGINS=origins_for(port, city_origin),
    )
    log_path = directory / "rasa.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(VENV_BIN / "rasa"),
                "run",
                "--interface",
                "127.0.0.1",
                "--model",
                str(model),
                "--port",
                str(port),
                "--credentials",
                "credentials.yml",
                "--enable-api",
                "--jwt-secret",
                JWT_SECRET,
                "--jwt-method",
                "HS256",
                "--cors",
                *env["STADTLOTSE_ALLOWED_ORIGINS"].split(),
            ],
            cwd=directory,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(f"{url}/webhooks/widget/", process)
            yield WidgetRasa(url, TEST_SALT, JWT_SECRET, process, city_origin, testbot=True)
        finally:
            stop(process)


@pytest.fixture(scope="session")
def widget_assistant(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WidgetRasa]:
    """The whole assistant's Rasa and action server, started for the widget tests with their own
    origins (the assistant's own plus one city page origin), tracker database and API secret.
    The open-data server and the trained model come from conftest.py's fixtures."""
    from bot.launcher import server_commands

    model = request.getfixturevalue("trained_model")
    base = request.getfixturevalue("stack_env")
    request.getfixturevalue("opendata_url")  # started once, shared with the other tests
    tmp = tmp_path_factory.mktemp("widget-stack")
    port, actions, city = free_port(), free_port(), free_port()
    city_origin = f"http://127.0.0.1:{city}"
    env = dict(base)
    env.update(
        RASA_PORT=str(port),
        ACTION_SERVER_PORT=str(actions),
        TRACKER_DB=str(tmp / "tracker.sqlite"),
        FEEDBACK_DB_URL=f"sqlite:///{tmp / 'feedback.sqlite'}",
        STADTLOTSE_ALLOWED_ORIGINS=origins_for(port, city_origin),
        RASA_ENABLE_API="1",
        RASA_JWT_SECRET=JWT_SECRET,
    )
    commands = server_commands(env, model)
    processes: dict[str, subprocess.Popen] = {}
    logs = {name: (tmp / f"{name}.log").open("w") for name in ("actions", "rasa")}
    try:
        for name in ("actions", "rasa"):
            processes[name] = subprocess.Popen(
                commands[name], cwd=ROOT, env=env, stdout=logs[name], stderr=subprocess.STDOUT
            )
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"http://127.0.0.1:{actions}/health", processes["actions"])
        wait_for_http(f"{url}/webhooks/widget/", processes["rasa"])
        yield WidgetRasa(url, env["CLIENT_KEY_SALT"], JWT_SECRET, processes["rasa"], city_origin)
    finally:
        for process in processes.values():
            stop(process)
        for handle in logs.values():
            handle.close()
        if os.environ.get("STADTLOTSE_KEEP_LOGS"):
            print(f"widget stack logs in {tmp}", file=sys.stderr)


@pytest.fixture(scope="session")
def widget_rasa(request: pytest.FixtureRequest) -> WidgetRasa:
    """The Rasa server the widget tests talk to (see the module docstring)."""
    external = os.environ.get("STADTLOTSE_WIDGET_RASA_URL", "").strip().rstrip("/")
    if external:
        missing = [n for n in ("CLIENT_KEY_SALT", "RASA_JWT_SECRET") if not os.environ.get(n)]
        if missing:
            pytest.fail(f"STADTLOTSE_WIDGET_RASA_URL needs the server's {' and '.join(missing)}")
        return WidgetRasa(
            external,
            os.environ["CLIENT_KEY_SALT"],
            os.environ["RASA_JWT_SECRET"],
            city_origin=os.environ.get("STADTLOTSE_WIDGET_CITY_ORIGIN") or None,
        )
    if os.environ.get("STADTLOTSE_WIDGET_TESTBOT"):
        return request.getfixturevalue("widget_bot")
    return request.getfixturevalue("widget_assistant")


@pytest.fixture(scope="session")
def rasa_url(widget_rasa: WidgetRasa) -> str:
    """Base URL of the Rasa server the widget tests talk to."""
    return widget_rasa.url


# ---------------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: apt-get install -y chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_context(browser: Any, **options: Any) -> Any:
    """A fresh browser profile (empty storage) with German locale."""
    defaults: dict[str, Any] = {"locale": "de-DE", "viewport": {"width": 1280, "height": 800}}
    defaults.update(options)
    return browser.new_context(**defaults)


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = new_context(browser)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def demo_url(base: str) -> str:
    return f"{base}/webhooks/widget/demo"


def open_widget(page: Any, acknowledge: bool = True) -> None:
    """Open the panel with the launcher; optionally close the privacy notice."""
    page.locator(".sl-launcher").click()
    page.locator(".sl-panel").wait_for(state="visible")
    if acknowledge and page.locator(".sl-notice").is_visible():
        page.get_by_role("button", name="Verstanden").click()


def bot_texts(page: Any) -> list[str]:
    return page.locator(".sl-message--bot .sl-bubble").all_inner_texts()


def user_texts(page: Any) -> list[str]:
    return page.locator(".sl-message--user .sl-bubble").all_inner_texts()


def wait_for_bot_count(page: Any, count: int, timeout: float = 20000) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('.sl-message--bot').length >= n", arg=count, timeout=timeout
    )


def ask(page: Any, text: str) -> None:
    """Type a question, press Enter and wait for at least one new bot message."""
    before = page.locator(".sl-message--bot").count()
    page.locator("#stadtlotse-input").fill(text)
    page.locator("#stadtlotse-input").press("Enter")
    wait_for_bot_count(page, before + 1)


def wait_online(page: Any, timeout: float = 20000) -> None:
    page.wait_for_function(
        "() => document.querySelector('#stadtlotse-widget')?.dataset.state === 'online'",
        timeout=timeout,
    )


def session_id(page: Any) -> str | None:
    raw = page.evaluate("() => sessionStorage.getItem('stadtlotse.v1')")
    return json.loads(raw)["sessionId"] if raw else None


def run_axe(page: Any) -> list[dict[str, Any]]:
    """Inject axe-core from node_modules and return the WCAG 2.0/2.1 A+AA violations.

    Waits until CSS transitions and animations have finished first: mid-fade colours would be
    measured as too little contrast (seen on a loaded machine).
    """
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running')", timeout=10000
    )
    source = (NODE_MODULES / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
    page.evaluate(source + "\n;undefined")
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]],
        }
        for violation in result["violations"]
    ]


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path))
    return path


# ---------------------------------------------------------------------------------- fake bot

MARKUP_MESSAGES: list[dict[str, Any]] = [
    {"text": '<img src=x onerror="window.__xss=(window.__xss||0)+1">Bildtext'},
    {"text": "<script>window.__xss=(window.__xss||0)+1</script>Skripttext"},
    {
        "text": "Mehr unter https://www.duisburg.de/parken. Nicht klickbar: "
        "javascript:window.__xss=1 und [Klick](javascript:window.__xss=1) "
        "und [Stadtportal](https://www.duisburg.de/)"
    },
    {
        "text": "Wählen Sie:",
        "quick_replies": [
            {
                "content_type": "text",
                "title": '<b onmouseover="window.__xss=1">fett</b>',
                "payload": "/markup_reply",
            }
        ],
    },
    {"attachment": {"type": "image", "payload": {"src": "javascript:window.__xss=1"}}},
    {"attachment": {"type": "image", "payload": {"src": "https://www.duisburg.de/bild.png"}}},
    {"text": '<svg onload="window.__xss=1"></svg><a href="javascript:window.__xss=1">a</a>'},
]


def fake_bot_app(port: int, node_modules: Path | None = None) -> Any:
    """A Sanic app: the project's guarded socket.io channel with a scripted bot behind it, plus
    the widget. Origins and keys come from the environment `FakeBot` starts it with."""
    from rasa.shared.core.domain import Domain
    from sanic import Sanic, response

    from connectors.socketio_channel import GuardedSocketIOInput
    from connectors.widget.serve import DEFAULT_NODE_MODULES, assets_blueprint

    app = Sanic(f"stadtlotse_fake_bot_{port}")
    received: list[dict[str, Any]] = []
    # The blueprint WidgetAssets mounts in Rasa.
    app.blueprint(
        assets_blueprint(node_modules or DEFAULT_NODE_MODULES), url_prefix="/webhooks/widget"
    )
    responses = Domain.load(str(ROOT / "domain.yml")).responses
    confirm = responses["utter_confirm_delete_data"][0]
    deleted = responses["utter_data_deleted"][0]["text"].format(messages=2, ratings=0)
    channel = GuardedSocketIOInput(session_persistence=True)

    @app.route("/received", methods=["GET", "DELETE"])
    async def show_received(request: Any) -> Any:
        if request.method == "DELETE":
            received.clear()
        return response.json(received)

    async def on_new_message(message: Any) -> None:
        received.append({"message": message.text, "sender_id": message.sender_id})
        text, room, output = message.text or "", message.sender_id, message.output_channel
        sio = channel.sio
        if text == "markup":
            for answer in MARKUP_MESSAGES:
                await sio.emit("bot_uttered", answer, room=room)
        elif text == "standort":
            await sio.emit("bot_uttered", {"text": "Wo sind Sie gerade?"}, room=room)
            await sio.emit("bot_uttered", {"request_location": True}, room=room)
        elif text.startswith("/share_location"):
            await sio.emit("bot_uttered", {"text": "Standort empfangen."}, room=room)
        elif text == "/delete_my_data":
            await output.send_response(
                room, {"text": confirm["text"], "buttons": confirm["buttons"]}
            )
        elif text == "/affirm":
            # As Rasa sends the response of action_delete_conversation: with its name.
            await output.send_response(
                room, {"text": deleted, "utter_action": "utter_data_deleted"}
            )
        else:
            await sio.emit("bot_uttered", {"text": f"Echo: {text}"}, room=room)

    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/socketio")
    return app


FAKE_BOT_SALT = "stadtlotse-fake-bot-client-key-salt"


class FakeBot:
    """The fake bot in a subprocess, so a test can stop and restart it (outage). `env` adds
    variables (e.g. rate limits); its origins are its own unless `env` says otherwise."""

    def __init__(
        self,
        port: int | None = None,
        node_modules: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.node_modules = node_modules
        self.url = f"http://127.0.0.1:{self.port}"
        self.salt = FAKE_BOT_SALT
        self.env = {
            "CLIENT_KEY_SALT": self.salt,
            "STADTLOTSE_ALLOWED_ORIGINS": origins_for(self.port),
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> FakeBot:
        command = [
            str(VENV_BIN / "python"),
            "-m",
            "tests.assistant.widget_support",
            "fake-bot",
            "--port",
            str(self.port),
        ]
        if self.node_modules is not None:
            command += ["--node-modules", str(self.node_modules)]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**rasa_env(), **self.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_http(f"{self.url}/webhooks/widget/", self.process, timeout=90)
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def __enter__(self) -> FakeBot:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def received(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.url}/received", timeout=5).json()

    def forget(self) -> None:
        httpx.delete(f"{self.url}/received", timeout=5)

    def sender_id(self, session: str) -> str:
        from connectors.socketio_channel import SessionIds

        return SessionIds(self.salt).sender_id(session)


@pytest.fixture(scope="session")
def fake_bot_server() -> Iterator[FakeBot]:
    bot = FakeBot()
    try:
        yield bot
    finally:
        bot.stop()


@pytest.fixture
def fake_bot(fake_bot_server: FakeBot) -> FakeBot:
    """The shared FakeBot, running and with an empty message log (tests may stop/start it)."""
    if not fake_bot_server.running:
        fake_bot_server.start()
    fake_bot_server.forget()
    return fake_bot_server


# ---------------------------------------------------------------------------------- city pages

WEBCHAT_PAGE = """<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>rasa-webchat Kompatibilitätstest</title></head>
<body><div id="webchat"></div>
<script src="/rasa-webchat.js"></script>
<script>
  window.WebChat.default({
    socketUrl: SOCKET_URL,
    socketPath: "/socket.io/",
    title: "Stadtlotse",
    inputTextFieldHint: "Ihre Frage …",
    params: {storage: "session"}
  }, null);
</script></body></html>
"""

# A city page on its own origin that embeds the widget from the assistant with the one tag.
CITY_PAGE = """<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>Stadtseite mit Chat (Test)</title></head>
<body><main><h1>Stadtseite</h1><p>Eine Seite der Stadt auf ihrem eigenen Server.</p></main>
<script src="SERVER/webhooks/widget/stadtlotse-widget.js" data-server="SERVER" defer></script>
</body></html>
"""

HTML = "text/html; charset=utf-8"


class StaticServer:
    """Test-only HTTP server for pages on another origin than the assistant's: `/` is the
    rasa-webchat page (plus its UMD bundle from node_modules), `/widget` a city page embedding
    the Stadtlotse widget. Both talk to `socket_url`. `port=0` picks a free port."""

    def __init__(self, socket_url: str, port: int = 0) -> None:
        webchat = WEBCHAT_PAGE.replace("SOCKET_URL", json.dumps(socket_url)).encode()
        city = CITY_PAGE.replace("SERVER", socket_url).encode()
        bundle = NODE_MODULES / "rasa-webchat" / "lib" / "index.js"

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/":
                    body, kind = webchat, HTML
                elif self.path == "/widget":
                    body, kind = city, HTML
                elif self.path == "/rasa-webchat.js":
                    body, kind = bundle.read_bytes(), "text/javascript; charset=utf-8"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StaticServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def port_of(origin: str) -> int:
    return int(origin.rsplit(":", 1)[1])


# ---------------------------------------------------------------------------------- socket client


class SocketClient:
    """A socket.io client (python-socketio's AsyncClient on its own thread and event loop, so it
    works beside Playwright's sync API) with a blocking API for protocol tests."""

    def __init__(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        transports: tuple[str, ...] = ("websocket",),
    ) -> None:
        import asyncio
        import queue

        import socketio

        self.url, self.headers, self.transports = url, headers or {}, list(transports)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.session: str | None = None
        for name in ("session_confirm", "bot_uttered", "conversation_deleted", "disconnect"):
            self.client.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Any:
        async def record(*args: Any) -> None:
            self.events.put((name, args[0] if args else None))

        return record

    def _run(self, coroutine: Any, timeout: float = 20) -> Any:
        import asyncio

        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def connect(self) -> SocketClient:
        self._run(
            self.client.connect(
                self.url,
                headers=self.headers,
                transports=self.transports,
                socketio_path="socket.io",
                wait_timeout=10,
            )
        )
        return self

    def next(self, name: str, timeout: float = 20) -> Any:
        """The payload of the next `name` event; other events before it are dropped."""
        import queue

        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {name} within {timeout} s")
            try:
                event, payload = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            if event == name:
                return payload

    def drain(self, seconds: float) -> list[tuple[str, Any]]:
        """Every event within `seconds`."""
        import queue

        seen, deadline = [], time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                seen.append(self.events.get(timeout=remaining))
            except queue.Empty:
                break
        return seen

    def request_session(self, session: str | None = None) -> str:
        self._run(self.client.emit("session_request", {"session_id": session}))
        confirmed = self.next("session_confirm")
        self.session = confirmed
        return confirmed

    def say(self, text: str, session: str | None = None) -> None:
        message = {"message": text, "session_id": session or self.session}
        self._run(self.client.emit("user_uttered", message))

    def answer(self, timeout: float = 20) -> dict[str, Any]:
        return self.next("bot_uttered", timeout)

    @property
    def connected(self) -> bool:
        return bool(self.client.connected)

    def close(self) -> None:
        try:
            if self.client.connected:
                self._run(self.client.disconnect(), timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=5)

    def __enter__(self) -> SocketClient:
        return self.connect()

    def __exit__(self, *exc: object) -> None:
        self.close()


def resident_kb(pid: int) -> int:
    """VmRSS of a process in kB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    fake = commands.add_parser(
        "fake-bot", help="run the guarded socket.io channel with a scripted bot and the widget"
    )
    fake.add_argument("--port", type=int, default=5099)
    fake.add_argument("--node-modules", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.command == "fake-bot":
        sys.path.insert(0, str(ROOT))
        fake_bot_app(args.port, args.node_modules).run(
            host="127.0.0.1", port=args.port, access_log=False, motd=False
        )


if __name__ == "__main__":
    main()
