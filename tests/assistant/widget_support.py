"""Fixtures and helpers for the chat-widget browser tests (pytest plugin, see test_widget*.py).

Which Rasa the tests talk to (fixture `rasa_url`):
- STADTLOTSE_WIDGET_RASA_URL=http://host:port  an already running Rasa with the `socketio` and
  `connectors.widget_channel.WidgetAssets` channels and `--enable-api`;
- STADTLOTSE_WIDGET_TESTBOT=1  a tiny test bot (defined below, trained once and cached in
  .pytest_cache) run by the same `rasa run` with the project's channel configuration, for working
  on the widget without the whole assistant;
- otherwise (the default, and in CI) the whole assistant from conftest.py's `stack` fixture.
The tests only rely on what the real assistant does: an answer to a parking question ending in
👍/👎 quick replies, a thank-you containing "Danke" for 👍, and an answer to `/share_location{...}`.

Renderer and connection tests that need markup, custom payloads or an outage use `FakeBot`: a small
python-socketio server (the same events and rooms as Rasa's socketio.py) that also serves the widget
through the real WidgetAssets blueprint. Run it by hand with
`.venv/bin/python -m tests.assistant.widget_support fake-bot --port 5099`.

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

# The same socket.io configuration as the project's credentials.yml.
BOT_CREDENTIALS = """\
rest:
socketio:
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


@pytest.fixture(scope="session")
def widget_bot_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The tiny test bot served by `rasa run` with the project's socket.io + widget channels."""
    directory = request.config.cache.mkdir("stadtlotse-widget-bot")
    model = train_test_bot(directory)
    port = free_port()
    log_path = directory / "rasa.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(VENV_BIN / "rasa"),
                "run",
                "--model",
                str(model),
                "--port",
                str(port),
                "--credentials",
                "credentials.yml",
                "--enable-api",
                "--cors",
                "*",
            ],
            cwd=directory,
            env=rasa_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(f"{url}/webhooks/widget/", process)
            wait_for_http(f"{url}/status", process)
            yield url
        finally:
            stop(process)


@pytest.fixture(scope="session")
def rasa_url(request: pytest.FixtureRequest) -> str:
    """Base URL of the Rasa server the widget tests talk to (see the module docstring)."""
    external = os.environ.get("STADTLOTSE_WIDGET_RASA_URL", "").strip().rstrip("/")
    if external:
        return external
    if os.environ.get("STADTLOTSE_WIDGET_TESTBOT"):
        return request.getfixturevalue("widget_bot_url")
    return request.getfixturevalue("stack").rasa_url


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
    """A Sanic app: Rasa's socket.io events and rooms with scripted answers, plus the widget."""
    from sanic import Sanic, response
    from socketio import AsyncServer

    from connectors.widget.serve import DEFAULT_NODE_MODULES, assets_blueprint

    app = Sanic(f"stadtlotse_fake_bot_{port}")
    received: list[dict[str, Any]] = []
    # The blueprint WidgetAssets mounts in Rasa (imported without Rasa: starts in a second).
    app.blueprint(
        assets_blueprint(node_modules or DEFAULT_NODE_MODULES), url_prefix="/webhooks/widget"
    )
    sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
    sio.attach(app, "/socket.io")

    @app.route("/received", methods=["GET", "DELETE"])
    async def show_received(request: Any) -> Any:
        if request.method == "DELETE":
            received.clear()
        return response.json(received)

    @sio.on("session_request")
    async def session_request(sid: str, data: dict | None) -> None:
        data = data or {}
        session = data.get("session_id") or hashlib.sha256(sid.encode()).hexdigest()[:32]
        sio.enter_room(sid, session)
        await sio.emit("session_confirm", session, room=sid)

    @sio.on("user_uttered")
    async def user_uttered(sid: str, data: dict) -> None:
        received.append(data)
        session = data.get("session_id")
        if not session:
            return
        message = str(data.get("message", ""))
        if message == "markup":
            answers = MARKUP_MESSAGES
        elif message == "standort":
            answers = [{"text": "Wo sind Sie gerade?"}, {"request_location": True}]
        elif message.startswith("/share_location"):
            answers = [{"text": "Standort empfangen."}]
        else:
            answers = [{"text": f"Echo: {message}"}]
        for answer in answers:
            await sio.emit("bot_uttered", answer, room=session)

    return app


class FakeBot:
    """The fake socket.io bot in a subprocess, so a test can stop and restart it (outage)."""

    def __init__(self, port: int | None = None, node_modules: Path | None = None) -> None:
        self.port = port or free_port()
        self.node_modules = node_modules
        self.url = f"http://127.0.0.1:{self.port}"
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
            env=rasa_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_http(f"{self.url}/webhooks/widget/", self.process, timeout=60)
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def received(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.url}/received", timeout=5).json()

    def forget(self) -> None:
        httpx.delete(f"{self.url}/received", timeout=5)


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


# ---------------------------------------------------------------------------------- rasa-webchat

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


class StaticServer:
    """Test-only HTTP server: a rasa-webchat page plus its UMD bundle from node_modules."""

    def __init__(self, socket_url: str) -> None:
        page = WEBCHAT_PAGE.replace("SOCKET_URL", json.dumps(socket_url)).encode()
        bundle = NODE_MODULES / "rasa-webchat" / "lib" / "index.js"

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/":
                    body, kind = page, "text/html; charset=utf-8"
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

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StaticServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    fake = commands.add_parser("fake-bot", help="run the scripted socket.io bot with the widget")
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
