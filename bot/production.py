"""The production layout: nginx from Debian in front, every server on 127.0.0.1 behind it.

    make prod        (= scripts/setup.sh --prod && python -m bot.launcher production)

The proxy passes exactly the channels (Telegram webhook, the widget's files and socket.io, the REST
channel only with REST_CHANNEL_TOKEN) and nothing else; it terminates TLS when STADTLOTSE_TLS_CERT
and STADTLOTSE_TLS_KEY are set and passes the client address on (X-Real-IP). The layout refuses to
start without its own secrets: no generated development value may protect a city's deployment.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.settings import ROOT

TEMPLATE = ROOT / "deploy" / "nginx.conf.in"
NGINX_PREFIX = ROOT / "build" / "nginx"
MIN_SECRET_CHARS = 32
# Secrets the production layout needs; each protects something else (README "Production").
REQUIRED_SECRETS = {
    "CLIENT_KEY_SALT": "keys the conversation ids and the hashes kept with feedback",
    "ACTION_SERVER_SECRET": "lets only Rasa call the action server",
    "APPLICATIONS_API_TOKEN": "lets only the assistant ask the application-status API",
}
OPTIONAL_SECRETS = ("RASA_JWT_SECRET", "REST_CHANNEL_TOKEN", "TELEGRAM_SECRET_TOKEN")
FIX = "set it to a new random value, e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`"


def development_values(secrets_file: Path) -> set[str]:
    if not secrets_file.exists():
        return set()
    return {str(value) for value in json.loads(secrets_file.read_text()).values()}


def secret_problems(env: dict[str, str], secrets_file: Path) -> list[str]:
    """One line per secret that is missing, too short or a development value."""
    dev = development_values(secrets_file)
    problems = []
    for name in (*REQUIRED_SECRETS, *OPTIONAL_SECRETS):
        value = env.get(name, "").strip()
        if not value:
            if name in REQUIRED_SECRETS:
                problems.append(f"{name} is not set ({REQUIRED_SECRETS[name]}). Fix: {FIX}")
            continue
        if len(value) < MIN_SECRET_CHARS:
            problems.append(f"{name} is shorter than {MIN_SECRET_CHARS} characters. Fix: {FIX}")
        elif value in dev:
            problems.append(f"{name} is the development value from {secrets_file.name}. Fix: {FIX}")
    return problems


def _listen(env: dict[str, str], tls: bool) -> str:
    address = env.get("STADTLOTSE_LISTEN", "").strip() or "8080"
    return f"listen {address}{' ssl' if tls else ''};"


def render_nginx(env: dict[str, str], prefix: Path | None = None) -> Path:
    """Write the proxy's configuration for this environment (into STADTLOTSE_NGINX_PREFIX,
    default build/nginx); returns its path."""
    prefix = prefix or Path(env.get("STADTLOTSE_NGINX_PREFIX", "").strip() or NGINX_PREFIX)
    cert = env.get("STADTLOTSE_TLS_CERT", "").strip()
    key = env.get("STADTLOTSE_TLS_KEY", "").strip()
    tls = bool(cert and key)
    tls_lines = (
        f"ssl_certificate {cert};\n        ssl_certificate_key {key};\n"
        "        ssl_protocols TLSv1.2 TLSv1.3;\n"
        '        add_header Strict-Transport-Security "max-age=31536000" always;'
        if tls
        else "# plain HTTP: terminate TLS here (STADTLOTSE_TLS_CERT/KEY) or in front"
    )
    rest = (
        "location = /webhooks/rest/webhook {\n"
        "            limit_except POST { deny all; }\n"
        "            limit_req zone=per_address burst=20 nodelay;\n"
        '            proxy_set_header Connection "";\n'
        "            proxy_pass http://rasa;\n"
        "        }"
        if env.get("REST_CHANNEL_TOKEN", "").strip()
        else "# REST channel off (no REST_CHANNEL_TOKEN)"
    )
    values = {
        "PREFIX": str(prefix),
        "RASA_PORT": env["RASA_PORT"],
        "LISTEN": _listen(env, tls),
        "TLS": tls_lines,
        "REST": rest,
        "RATE_PER_SECOND": env.get("STADTLOTSE_PROXY_RATE", "").strip() or "10",
    }
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    prefix.mkdir(parents=True, exist_ok=True)
    target = prefix / "nginx.conf"
    target.write_text(text)
    return target


def nginx_command(config: Path) -> list[str]:
    return ["nginx", "-p", str(config.parent), "-c", str(config)]
