"""Serve the Stadtlotse web chat widget, its demo page and privacy text from Rasa.

The widget talks to Rasa's own socket.io channel; this input channel ("widget") only serves files
under `/webhooks/widget/`, so city pages need nothing but one script tag pointing at the assistant.
It never receives user messages itself. Register it in credentials.yml beside the guarded socket.io
channel (`connectors.socketio_channel.GuardedSocketIOInput`):

    connectors.widget_channel.WidgetAssets: {}

Optional key: `node_modules: /path/to/node_modules` (default: the repository's). The socket.io
client comes from npm (`socket.io-client`, pinned in package-lock.json) and is looked up at request
time, so a missing `npm ci` shows up as a clear 503 and log line instead of a broken start.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint

from connectors.widget.serve import (
    ASSETS,
    CONTENT_SECURITY_POLICY,
    DEFAULT_NODE_MODULES,
    WIDGET_DIR,
    MissingNpmPackage,
    asset_path,
    assets_blueprint,
)

__all__ = [
    "ASSETS",
    "CONTENT_SECURITY_POLICY",
    "WIDGET_DIR",
    "MissingNpmPackage",
    "WidgetAssets",
    "asset_path",
]


class WidgetAssets(InputChannel):
    """Static files of the chat widget under /webhooks/widget/ (no message handling)."""

    @classmethod
    def name(cls) -> str:
        return "widget"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        node_modules = (credentials or {}).get("node_modules")
        return cls(Path(node_modules) if node_modules else None)

    def __init__(self, node_modules: Path | None = None) -> None:
        self.node_modules = node_modules or DEFAULT_NODE_MODULES

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return assets_blueprint(self.node_modules)
