"""Rasa's REST channel, guarded: `POST /webhooks/rest/webhook` with `{"sender", "message"}`.

Differences from Rasa's `rest` channel (same URL, same request and answer shapes):
- the `sender` a client chooses is namespaced and keyed (`connectors.guard.conversation_id`), so
  it can only ever reach REST conversations, never a Telegram or widget conversation;
- messages over the size limit and over the rate limits are answered by the channel itself and
  never reach the NLU; client-supplied `metadata` and `input_channel` are ignored;
- with a token configured (`REST_CHANNEL_TOKEN`) every request needs `Authorization: Bearer
  <token>`; in production (`STADTLOTSE_PRODUCTION=1`) the channel is off unless a token is set;
- nothing a citizen typed is logged.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.guard import (
    MessageGuard,
    client_address,
    conversation_id,
    credential,
    response_text,
)

log = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128


class GuardedRestInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(token=credential((credentials or {}).get("token")))

    def __init__(self, token: str = "", guard: MessageGuard | None = None) -> None:
        self.token = token
        self.enabled = bool(token) or os.environ.get("STADTLOTSE_PRODUCTION") != "1"
        self.guard = guard or MessageGuard()
        if not self.enabled:
            log.info("REST channel off: production without REST_CHANNEL_TOKEN")

    def _authorised(self, request: Request) -> bool:
        if not self.token:
            return True
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("guarded_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            if not self.enabled:
                return response.json({"error": "not found"}, status=404)
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.enabled:
                return response.json({"error": "not found"}, status=404)
            if not self._authorised(request):
                return response.json({"error": "missing or wrong bearer token"}, status=401)
            try:
                body = request.json
            except Exception:  # Sanic raises its own error type for malformed JSON
                body = None
            if not isinstance(body, dict):
                return response.json({"error": "expected a JSON object"}, status=400)
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not 0 < len(sender) <= MAX_SENDER_CHARS:
                return response.json(
                    {"error": f"sender must be a string of 1-{MAX_SENDER_CHARS} chars"},
                    status=400,
                )
            if text is not None and not isinstance(text, str):
                return response.json({"error": "message must be a string"}, status=400)
            sender_id = conversation_id("rest", sender)
            refusal = self.guard.refusal(
                sender_id, client_address(request.ip, request.headers), text
            )
            if refusal is not None:
                return response.json([{"recipient_id": sender, "text": response_text(refusal)}])
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(text, collector, sender_id, input_channel=self.name())
                )
            except Exception:
                log.exception("REST message could not be handled (text not logged)")
            return response.json(
                [{**message, "recipient_id": sender} for message in collector.messages]
            )

        return webhook
