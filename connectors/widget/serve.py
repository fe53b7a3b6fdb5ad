"""The widget's files and how they are served: a Sanic blueprint without any Rasa import.

`connectors.widget_channel.WidgetAssets` mounts this blueprint under `/webhooks/widget/`; the test
FakeBot mounts the same blueprint, so tests exercise exactly what Rasa serves.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

WIDGET_DIR = Path(__file__).resolve().parent
ROOT = WIDGET_DIR.parents[1]
DEFAULT_NODE_MODULES = ROOT / "node_modules"
SOCKET_IO_DIST = Path("socket.io-client") / "dist"

# Exactly what the widget needs on the pages served here: its own script and styles, the socket.io
# connection (polling over http(s), websocket over ws(s)), nothing inline, and Trusted Types so
# that no script on the page can turn a string into markup or a script URL unchecked.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self' ws: wss:",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'self'",
        "object-src 'none'",
        "require-trusted-types-for 'script'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "geolocation=(self), camera=(), microphone=()",
    "X-Frame-Options": "SAMEORIGIN",
}
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}
# Scripts and styles are embedded by city pages on other origins.
ASSET_HEADERS = {"Cross-Origin-Resource-Policy": "cross-origin"}

JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Asset:
    """One servable file: where it lives and how it is sent."""

    file: str
    content_type: str
    from_npm: bool = False

    @property
    def is_page(self) -> bool:
        return self.content_type == HTML


# URL name -> file. Only these names are served; nothing is derived from the request path.
ASSETS: dict[str, Asset] = {
    "stadtlotse-widget.js": Asset("stadtlotse-widget.js", JS),
    "stadtlotse-widget.css": Asset("stadtlotse-widget.css", CSS),
    "socket.io.min.js": Asset("socket.io.min.js", JS, from_npm=True),
    "socket.io.min.js.map": Asset("socket.io.min.js.map", "application/json", from_npm=True),
    "demo": Asset("demo.html", HTML),
    "datenschutz": Asset("datenschutz.html", HTML),
    "site.css": Asset("site.css", CSS),
    "favicon.svg": Asset("favicon.svg", "image/svg+xml"),
}


class MissingNpmPackage(RuntimeError):
    """The socket.io client is not installed (`npm ci` was not run)."""


def asset_path(asset: Asset, node_modules: Path) -> Path:
    """Where the asset's file is; raises MissingNpmPackage when an npm file is absent."""
    if not asset.from_npm:
        return WIDGET_DIR / asset.file
    path = node_modules / SOCKET_IO_DIST / asset.file
    if not path.is_file():
        raise MissingNpmPackage(
            f"socket.io client not installed: run `npm ci` in {ROOT} (expected {path})"
        )
    return path


def asset_headers(asset: Asset, etag: str) -> dict[str, str]:
    headers = {**COMMON_HEADERS, "ETag": etag}
    headers.update(PAGE_HEADERS if asset.is_page else ASSET_HEADERS)
    return headers


def assets_blueprint(node_modules: Path = DEFAULT_NODE_MODULES) -> Blueprint:
    """GET / (health) and GET /<name> for the names in ASSETS; 404 for anything else."""
    widget = Blueprint("widget_assets", __name__)

    @widget.route("/", methods=["GET"])
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @widget.route("/<name:str>", methods=["GET"])
    async def serve(request: Request, name: str) -> HTTPResponse:
        if not name:  # Sanic routes ".../widget/" here, not to "/"
            return response.json({"status": "ok"})
        asset = ASSETS.get(name)
        if asset is None:
            return response.text("Nicht gefunden", status=404, headers=COMMON_HEADERS)
        try:
            # Read per request (files are small): an upgrade or `npm ci` needs no restart.
            body = asset_path(asset, node_modules).read_bytes()
        except MissingNpmPackage as error:
            logger.error("%s", error)
            return response.text(str(error), status=503, headers=COMMON_HEADERS)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = asset_headers(asset, etag)
        if request.headers.get("if-none-match") == etag:
            return response.empty(status=304, headers=headers)
        return response.raw(body, content_type=asset.content_type, headers=headers)

    return widget
