"""Start the whole assistant: open-data server, action server and Rasa, under honcho.

    python -m bot.launcher          build + train when needed, start everything, print where to talk
    python -m bot.launcher production   the same behind nginx, with the secrets from the environment
    python -m bot.launcher build    only build the spaCy pipeline and train when needed
    python -m bot.launcher shell    Rasa shell for staff (needs `make run` in another terminal)

Ctrl-C stops every process cleanly (honcho forwards the signal and waits).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from bot.settings import ROOT, get_settings

VENV = ROOT / ".venv" / "bin"
OPENDATA_PYTHON = ROOT / ".venv-opendata" / "bin" / "python"
MODELS = ROOT / "models"
MODEL = MODELS / "stadtlotse.tar.gz"
# Rasa's command line with the runtime fixes of bot/rasa_cli.py: every Rasa process starts so.
RASA = [str(VENV / "python"), "-m", "bot.rasa_cli"]
BUILD = ROOT / "build"
TRAINING_INPUTS = ["config.yml", "domain.yml", "nlu_data", "build/nlu"]


def step(text: str) -> None:
    print(f"\033[1m==> {text}\033[0m", flush=True)


def fail(cause: str, fix: str) -> None:
    print(f"\033[31mERROR: {cause}. Fix: {fix}\033[0m", file=sys.stderr, flush=True)
    raise SystemExit(1)


# Secrets the processes share. Unset, `make run` creates random ones once per installation in
# var/secrets.json (mode 600), so no public development value ever protects anything; the
# production layout refuses to start without its own (bot.production).
GENERATED_SECRETS = ("CLIENT_KEY_SALT", "ACTION_SERVER_SECRET", "APPLICATIONS_API_TOKEN")
SECRETS_FILE = ROOT / "var" / "secrets.json"


def local_secrets() -> dict[str, str]:
    """This installation's generated secrets, created on first use."""
    SECRETS_FILE.parent.mkdir(exist_ok=True)
    known: dict[str, str] = {}
    if SECRETS_FILE.exists():
        known = json.loads(SECRETS_FILE.read_text())
    missing = [name for name in GENERATED_SECRETS if not known.get(name)]
    if missing:
        known.update({name: secrets.token_urlsafe(32) for name in missing})
        fd = os.open(SECRETS_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(known, handle, indent=1)
    return known


def allowed_origins(env: Mapping[str, str]) -> str:
    """Web origins allowed to use the assistant (CORS and the socket.io Origin check): the
    configured ones, else the assistant's own (the proxy's in production). City pages that
    embed the widget must be added to STADTLOTSE_ALLOWED_ORIGINS."""
    configured = env.get("STADTLOTSE_ALLOWED_ORIGINS", "").strip()
    if configured:
        return configured
    if env.get("STADTLOTSE_PRODUCTION") == "1":
        return public_url(env)
    port = env.get("RASA_PORT", "").strip() or "5005"
    return f"http://localhost:{port} http://127.0.0.1:{port}"


def environment(production: bool = False) -> dict[str, str]:
    """Every variable the processes and endpoints.yml/credentials.yml need, with defaults.
    In production the secrets must come from the environment (bot.production checks them)."""
    if production:
        os.environ["STADTLOTSE_PRODUCTION"] = "1"
    else:
        for name, value in local_secrets().items():
            if not os.environ.get(name):
                os.environ[name] = value  # before the settings are read: this process too
    settings = get_settings()
    env = dict(os.environ)
    defaults = {
        "OPENDATA_PORT": str(settings.opendata_port),
        "ACTION_SERVER_PORT": str(settings.action_port),
        "RASA_PORT": str(settings.rasa_port),
        "OPENDATA_URL": settings.opendata_url,
        "TRACKER_DB_DIALECT": "sqlite",
        "TRACKER_DB": str(ROOT / "var" / "tracker.sqlite"),
        "TRACKER_DB_HOST": "",
        "TRACKER_DB_PORT": "",
        "TRACKER_DB_USER": "",
        "TRACKER_DB_PASSWORD": "",
        "TELEGRAM_TOKEN": "",
        "TELEGRAM_SECRET_TOKEN": "",
        "TELEGRAM_WEBHOOK_URL": "",
        "TELEGRAM_API_BASE_URL": "",
        "REST_CHANNEL_TOKEN": "",
        # Sanic's request bound for Rasa (its default is 100 MB); Telegram's channel bounds
        # updates to 256 KB, the guard bounds every message to 2,000 characters.
        "SANIC_REQUEST_MAX_SIZE": str(256 * 1024),
        "PYTHONPATH": str(ROOT),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONWARNINGS": "ignore",  # Rasa's dependencies print pages of DeprecationWarnings
        "MALLOC_ARENA_MAX": "2",  # fewer glibc arenas: less resident memory under TF threads
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }
    for key, value in defaults.items():
        if not env.get(key):
            env[key] = value
    env["STADTLOTSE_ALLOWED_ORIGINS"] = allowed_origins(env)
    (ROOT / "var").mkdir(exist_ok=True)
    return env


def fingerprint(paths: list[str]) -> str:
    digest = hashlib.sha256()
    for name in paths:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.exists():
                digest.update(str(file.relative_to(ROOT)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


def build_and_train(env: dict[str, str], force: bool = False) -> None:
    step("1/3 German NLU pipeline (spaCy, entity ruler from the open data)")
    subprocess.run(
        [str(VENV / "python"), "-m", "bot.spacy_pipeline"], cwd=ROOT, env=env, check=True
    )
    step("2/3 Rasa model")
    stamp = MODELS / ".fingerprint"
    key = fingerprint(TRAINING_INPUTS)
    if not force and MODEL.exists() and stamp.exists() and stamp.read_text() == key:
        print("    unchanged since the last training: using models/stadtlotse.tar.gz", flush=True)
        return
    print("    training (about 2–3 minutes on 2 cores) ...", flush=True)
    started = time.monotonic()
    result = subprocess.run(
        [
            *RASA,
            "train",
            "--data",
            "nlu_data",
            "build/nlu",
            "--domain",
            "domain.yml",
            "--config",
            "config.yml",
            "--out",
            str(MODELS),
            "--fixed-model-name",
            "stadtlotse",
            "--force",
            # The data is validated by `rasa data validate` in `make test`; not again per training.
            "--skip-validation",
        ],
        cwd=ROOT,
        env=env,
    )
    if result.returncode != 0 or not MODEL.exists():
        fail(
            "training the Rasa model failed (see the messages above)",
            "run `make train` after correcting the data",
        )
    stamp.write_text(key)
    print(f"    trained in {time.monotonic() - started:.0f} s", flush=True)


def rasa_api_arguments(env: dict[str, str]) -> list[str]:
    """Rasa's HTTP API (trackers, models, training) is off unless RASA_ENABLE_API=1, and then it
    needs a JWT secret: the API can read and steer every conversation."""
    if env.get("RASA_ENABLE_API", "").strip() not in ("1", "true", "yes"):
        return []
    secret = env.get("RASA_JWT_SECRET", "").strip()
    if len(secret) < 32:
        fail(
            "RASA_ENABLE_API=1 needs RASA_JWT_SECRET (at least 32 characters)",
            "set RASA_JWT_SECRET to a long random value, or leave the API off",
        )
    return ["--enable-api", "--jwt-secret", secret, "--jwt-method", "HS256"]


def server_commands(env: dict[str, str], model: Path = MODEL) -> dict[str, list[str]]:
    """The assistant's three servers as `make run` starts them; the tests and the benchmarks
    start the same commands. Every one listens on 127.0.0.1 only."""
    return {
        "opendata": [str(OPENDATA_PYTHON), "-m", "opendata"],
        "actions": [
            str(VENV / "python"),
            "-m",
            "bot.action_server",
            "--actions",
            "actions",
            "--port",
            env["ACTION_SERVER_PORT"],
        ],
        "rasa": [
            *RASA,
            "run",
            "--interface",
            "127.0.0.1",
            *rasa_api_arguments(env),
            "--cors",
            *env["STADTLOTSE_ALLOWED_ORIGINS"].split(),
            "--model",
            str(model),
            "--port",
            env["RASA_PORT"],
            "--credentials",
            "credentials.yml",
            "--endpoints",
            "endpoints.yml",
        ],
    }


def wait_until_ready(env: dict[str, str], timeout: float = 300) -> bool:
    checks = {
        "open-data server": f"http://127.0.0.1:{env['OPENDATA_PORT']}/health",
        "action server": f"http://127.0.0.1:{env['ACTION_SERVER_PORT']}/health",
        "Rasa server": f"http://127.0.0.1:{env['RASA_PORT']}/",
    }
    pending = dict(checks)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for name, url in list(pending.items()):
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    print(f"    {name} is up", flush=True)
                    del pending[name]
            except httpx.HTTPError:
                pass
        time.sleep(1)
    return not pending


def public_url(env: Mapping[str, str]) -> str:
    """Where citizens reach the assistant: the proxy in production, Rasa itself otherwise."""
    if env.get("STADTLOTSE_PRODUCTION") != "1":
        return f"http://localhost:{env['RASA_PORT']}"
    listen = env.get("STADTLOTSE_LISTEN", "").strip() or "8080"
    host, _, port = listen.rpartition(":")
    scheme = "https" if env.get("STADTLOTSE_TLS_CERT") else "http"
    return f"{scheme}://{host if host not in ('', '0.0.0.0', '[::]') else 'localhost'}:{port}"


def banner(env: dict[str, str]) -> None:
    rasa = public_url(env)
    production = env.get("STADTLOTSE_PRODUCTION") == "1"
    rest = f'curl -s {rasa}/webhooks/rest/webhook -d \'{{"sender": "me", "message": "Hallo"}}\''
    lines = [
        "Stadtlotse is running"
        + (" (production layout, behind nginx)" if production else "")
        + ". Talk to it:",
        f"  Web widget (demo page):  {rasa}/webhooks/widget/demo",
    ]
    if not production:
        lines += [
            f"  REST:                    {rest}",
            "  Rasa shell (staff):      make shell   (in a second terminal)",
            f"  Open-data API docs:      http://localhost:{env['OPENDATA_PORT']}/docs",
        ]
    elif env.get("REST_CHANNEL_TOKEN"):
        lines.append(f"  REST:                    {rest} -H 'Authorization: Bearer …'")
    if env.get("TELEGRAM_TOKEN"):
        mode = (
            "webhook " + env["TELEGRAM_WEBHOOK_URL"]
            if env.get("TELEGRAM_WEBHOOK_URL")
            else "polling"
        )
        lines.append(f"  Telegram:                your bot ({mode})")
    lines.append("Stop with Ctrl-C.")
    print("\n\033[1;32m" + "\n".join(lines) + "\033[0m\n", flush=True)


def run(production: bool = False) -> None:
    from honcho.manager import Manager
    from honcho.printer import Printer

    if not OPENDATA_PYTHON.exists():
        fail(
            "the open-data environment is missing",
            "run `make run` (it runs scripts/setup.sh first)",
        )
    env = environment(production)
    nginx: list[str] = []
    if production:
        from bot import production as layout

        problems = layout.secret_problems(env, SECRETS_FILE)
        for problem in problems:
            print(f"\033[31mERROR: {problem}\033[0m", file=sys.stderr, flush=True)
        if problems:
            raise SystemExit(1)
        nginx = layout.nginx_command(layout.render_nginx(env))
    for port_var in ("OPENDATA_PORT", "ACTION_SERVER_PORT", "RASA_PORT"):
        port = int(env[port_var])
        import socket

        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                fail(
                    f"port {port} ({port_var}) is already in use",
                    f"stop the other process or set {port_var}",
                )
    build_and_train(env)
    step(
        "3/3 starting open-data server, action server and Rasa" + (" behind nginx" if nginx else "")
    )
    manager = Manager(Printer(sys.stdout))
    for name, command in server_commands(env).items():
        manager.add_process(name, shlex.join(command), env=env, cwd=str(ROOT))
    if nginx:
        manager.add_process("nginx", shlex.join(nginx), env=env, cwd=str(ROOT))
    manager.add_process(
        "retention", f"{VENV / 'python'} -m bot.retention --every 6h", env=env, cwd=str(ROOT)
    )
    if env.get("TELEGRAM_TOKEN") and not env.get("TELEGRAM_WEBHOOK_URL"):
        manager.add_process(
            "telegram", f"{VENV / 'python'} -m connectors.telegram_polling", env=env, cwd=str(ROOT)
        )

    def announce() -> None:
        if wait_until_ready(env):
            banner(env)
        else:
            print(
                "ERROR: not every server answered within 5 minutes; see the log lines above.",
                flush=True,
            )

    threading.Thread(target=announce, daemon=True).start()
    manager.loop()
    sys.exit(manager.returncode)


def shell() -> None:
    env = environment()
    try:
        httpx.get(f"http://127.0.0.1:{env['ACTION_SERVER_PORT']}/health", timeout=2)
    except httpx.HTTPError:
        fail(
            "the action server is not running",
            "start the assistant with `make run` in another terminal first",
        )
    if not MODEL.exists():
        fail("no trained model", "run `make run` or `make train` first")
    os.execve(
        RASA[0],
        [
            *RASA,
            "shell",
            "--model",
            str(MODEL),
            "--endpoints",
            "endpoints.yml",
            "--port",
            env.get("RASA_SHELL_PORT", "5006"),
        ],
        env,
    )


def main() -> None:
    os.chdir(ROOT)
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    if command == "run":
        run()
    elif command == "production":
        run(production=True)
    elif command == "build":
        build_and_train(environment(), force="--force" in sys.argv)
    elif command == "shell":
        shell()
    else:
        fail(f"unknown command {command!r}", "use one of: run, production, build, shell")


if __name__ == "__main__":
    main()
