"""Rasa's socket.io channel, guarded: same path (`/socket.io/`), same events (`session_request`,
`session_confirm`, `user_uttered`, `bot_uttered`), same session persistence.

Register it in credentials.yml in place of `socketio:`:

    connectors.socketio_channel.GuardedSocketIOInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true

Differences from Rasa's `socketio` channel:
- Session ids are issued by the server: 32 random hex digits plus 32 hex digits of an HMAC keyed
  with CLIENT_KEY_SALT. `session_request` with a valid id continues that session; a missing,
  forged or foreign id (another installation's, a plain uuid, another client's guess) gets a new
  id in `session_confirm`. Clients adopt the confirmed id (the widget and rasa-webchat do).
  Without `session_persistence` every `session_request` starts a new session. A message needs a
  confirmed session in either mode.
- The Rasa sender id is derived from the verified session id (`connectors.guard.conversation_id`,
  channel `socketio`); the socket joins the room of that sender id, never a room a client names.
  `user_uttered` is only accepted with the socket's own confirmed `session_id`, so no client can
  write into, or listen to, another session. Client `metadata` is ignored.
- Only the configured web origins may connect: engine.io's `cors_allowed_origins` is
  STADTLOTSE_ALLOWED_ORIGINS (space-separated; default the assistant's own origin
  http://localhost:$RASA_PORT and http://127.0.0.1:$RASA_PORT). A request with another `Origin`
  is refused with 400 before a socket exists (long-polling and WebSocket alike). A page's own host
  is not trusted implicitly (that would let DNS rebinding in). engine.io answers CORS for this path
  itself; Rasa's app-wide CORS is told to leave it alone, so there is exactly one
  Access-Control-Allow-Origin header.
- Size and rate: engine.io's `max_http_buffer_size` (and Sanic's WebSocket frame limit) is 16 KB
  (measured: one 300 KB REST message made Rasa allocate 23 GB). Every message over the guard's
  limit (STADTLOTSE_MAX_MESSAGE_CHARS, 2,000) is answered with `utter_message_too_long`, and over
  the per-session or per-address rate with `utter_rate_limited`, before the NLU sees it. The
  client address is `connectors.guard.client_address` of the connecting request.
- When the bot utters `utter_data_deleted` (the end of "Meine Daten löschen"), the session ends:
  every socket of it gets `conversation_deleted`, then a new id in `session_confirm`, and the old
  id is refused from then on (kept in memory for a day; a restart forgets the list).
- Two denial-of-service holes of the pinned python-socketio 5.8 / python-engineio 4.4 are closed
  here (docs/dependency-audit.md; the pins stay because newer versions break Rasa's rooms):
  binary packets are refused (the widget never sends any; an unfinished one was kept forever,
  CVE-2026-48804), and a socket has at most one pending heartbeat (each PONG started another,
  CVE-2026-48802).
- Nothing a citizen typed is logged.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import inspect
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import engineio.asyncio_socket
import engineio.packet
from cachetools import TTLCache
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.launcher import allowed_origins as configured_origins
from bot.settings import get_settings
from connectors.guard import (
    RATE_LIMITED,
    TOO_LONG,
    MessageGuard,
    client_address,
    conversation_id,
    response_text,
)

try:  # Rasa's app-wide CORS (sanic-cors) skips a request marked as already answered.
    from sanic_cors.core import SANIC_CORS_EVALUATED
except ImportError:  # pragma: no cover - sanic-cors is a Rasa dependency
    SANIC_CORS_EVALUATED = "_sanic_cors_e"

log = logging.getLogger(__name__)

CHANNEL = "socketio"
# engine.io: the largest packet a client may send (a guarded message is at most 2,000 characters,
# i.e. at most 8 KB of UTF-8 plus the JSON around it).
MAX_PACKET_BYTES = 16 * 1024
# The bot responses after which a session is over and its id no longer valid.
SESSION_ENDING_RESPONSES = frozenset({"utter_data_deleted"})
ENDED_EVENT = "conversation_deleted"
_RANDOM_HEX = 32
_MAC_HEX = 32


BINARY_PACKET_TYPES = ("5", "6")  # socket.io BINARY_EVENT, BINARY_ACK


class BoundedAsyncServer(AsyncServer):
    """python-socketio's server without binary packets: their attachments were collected without
    bound and kept after the client left."""

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        if not isinstance(data, str) or data[:1] in BINARY_PACKET_TYPES:
            self._binary_packet.pop(eio_sid, None)
            return
        await super()._handle_eio_message(eio_sid, data)

    async def _handle_eio_disconnect(self, eio_sid: str) -> None:
        self._binary_packet.pop(eio_sid, None)
        await super()._handle_eio_disconnect(eio_sid)


def _one_pending_heartbeat() -> None:
    """engine.io starts a heartbeat task for every PONG a client sends: a flood of PONGs starts
    unbounded tasks. Keep at most one pending per socket (the protocol needs no more)."""
    if version("python-engineio") != "4.4.1":
        raise RuntimeError(
            "connectors/socketio_channel.py patches python-engineio 4.4.1's heartbeat; "
            f"found {version('python-engineio')}. Fix: re-check the patch against that version."
        )

    def schedule_one_ping(self: Any) -> None:  # engine.io's schedule_ping, one at a time
        if getattr(self, "_stadtlotse_ping_pending", False):
            return
        self._stadtlotse_ping_pending = True

        async def send_ping() -> None:
            try:
                self.last_ping = None
                await asyncio.sleep(self.server.ping_interval)
                if not self.closing and not self.closed:
                    self.last_ping = time.time()
                    await self.send(engineio.packet.Packet(engineio.packet.PING))
            finally:
                self._stadtlotse_ping_pending = False

        self.server.start_background_task(send_ping)

    socket_class = engineio.asyncio_socket.AsyncSocket
    socket_class.schedule_ping = schedule_one_ping  # type: ignore[method-assign]


_one_pending_heartbeat()


def allowed_origins(environ: Mapping[str, str] | None = None) -> list[str]:
    """The web origins that may open a socket: STADTLOTSE_ALLOWED_ORIGINS, else the assistant's
    own origin (`bot.launcher.allowed_origins`, which the launcher also hands to Rasa's CORS)."""
    origins = []
    for origin in configured_origins(os.environ if environ is None else environ).split():
        if origin == "*" or "*" in origin:
            raise ValueError(
                "STADTLOTSE_ALLOWED_ORIGINS lists web origins (e.g. https://www.duisburg.de); "
                "'*' is not allowed for the chat"
            )
        origins.append(origin.rstrip("/"))
    return origins


class SessionIds:
    """Server-issued session ids: random part + HMAC(random part), keyed with CLIENT_KEY_SALT."""

    def __init__(self, salt: str | None = None) -> None:
        self.salt = get_settings().client_key_salt if salt is None else salt
        self._key = hmac.new(
            self.salt.encode(), b"stadtlotse/socketio-session", hashlib.sha256
        ).digest()

    def _mac(self, random_part: str) -> str:
        return hmac.new(self._key, random_part.encode(), hashlib.sha256).hexdigest()[:_MAC_HEX]

    def issue(self) -> str:
        random_part = secrets.token_hex(_RANDOM_HEX // 2)
        return random_part + self._mac(random_part)

    def valid(self, value: Any) -> bool:
        if not isinstance(value, str) or len(value) != _RANDOM_HEX + _MAC_HEX:
            return False
        random_part, mac = value[:_RANDOM_HEX], value[_RANDOM_HEX:]
        if any(c not in "0123456789abcdef" for c in value):
            return False
        return hmac.compare_digest(mac, self._mac(random_part))

    def sender_id(self, session_id: str) -> str:
        """The Rasa sender id of a (verified) session."""
        return conversation_id(CHANNEL, session_id, salt=self.salt)


@dataclass
class Connection:
    """What the server knows about one socket."""

    address: str | None
    session_id: str | None = None
    sender_id: str | None = None


async def _maybe_await(result: Any) -> None:
    # python-socketio 5.8 enters rooms synchronously, later versions return a coroutine that must
    # be awaited (stack notes: an un-awaited enter_room silently drops every answer).
    if inspect.isawaitable(result):
        await result


class GuardedSocketBlueprint(SocketBlueprint):
    """Mounts engine.io at the socket.io path through a handler that keeps Rasa's CORS off it."""

    def __init__(self, sio: AsyncServer, socketio_path: str, max_frame: int, *args: Any) -> None:
        super().__init__(sio, socketio_path, *args)
        self.ctx.max_frame = max_frame

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        sio: AsyncServer = self.ctx.sio

        async def handle(request: Request) -> HTTPResponse | None:
            # engine.io checked the Origin and set the CORS headers; Rasa's sanic-cors would add
            # a second Access-Control-Allow-Origin, which browsers reject.
            setattr(request.ctx, SANIC_CORS_EVALUATED, "1")
            return await sio.handle_request(request)

        path = "/" + self.ctx.socketio_path.strip("/") + "/"
        app.add_route(handle, path, methods=["GET", "POST", "OPTIONS"], name="guarded_socketio")
        app.enable_websocket()
        # A WebSocket frame is read whole before engine.io looks at its size: bound it too. Only
        # socket.io uses WebSockets in Rasa.
        app.config.WEBSOCKET_MAX_SIZE = min(app.config.WEBSOCKET_MAX_SIZE, self.ctx.max_frame)
        Blueprint.register(self, app, options)


class GuardedSocketIOOutput(SocketIOOutput):
    """Rasa's socket.io output; ends the session after a session-ending response."""

    def __init__(self, sio: AsyncServer, bot_message_evt: str, channel: GuardedSocketIOInput):
        super().__init__(sio, bot_message_evt)
        self.channel = channel

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        await super().send_response(recipient_id, message)
        if message.get("utter_action") in SESSION_ENDING_RESPONSES:
            await self.channel.end_session(recipient_id)


class GuardedSocketIOInput(SocketIOInput):
    """A socket.io input channel with server-issued sessions, an Origin check and limits."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        return cls(
            user_message_evt=credentials.get("user_message_evt", "user_uttered"),
            bot_message_evt=credentials.get("bot_message_evt", "bot_uttered"),
            namespace=credentials.get("namespace"),
            session_persistence=bool(credentials.get("session_persistence", False)),
            socketio_path=credentials.get("socketio_path", "/socket.io"),
            jwt_key=credentials.get("jwt_key"),
            jwt_method=credentials.get("jwt_method", "HS256"),
        )

    def __init__(
        self,
        user_message_evt: str = "user_uttered",
        bot_message_evt: str = "bot_uttered",
        namespace: str | None = None,
        session_persistence: bool = False,
        socketio_path: str | None = "/socket.io",
        jwt_key: str | None = None,
        jwt_method: str | None = "HS256",
        metadata_key: str | None = "metadata",
        *,
        origins: list[str] | None = None,
        guard: MessageGuard | None = None,
        sessions: SessionIds | None = None,
        max_packet_bytes: int = MAX_PACKET_BYTES,
    ) -> None:
        super().__init__(
            user_message_evt,
            bot_message_evt,
            namespace,
            session_persistence,
            socketio_path,
            jwt_key,
            jwt_method,
            metadata_key,
        )
        self.origins = allowed_origins() if origins is None else origins
        self.guard = guard or MessageGuard()
        self.sessions = sessions or SessionIds()
        self.max_packet_bytes = max_packet_bytes
        self.connections: dict[str, Connection] = {}
        # Ids of ended sessions (deleted conversations): refused from then on.
        self.ended: TTLCache[str, bool] = TTLCache(maxsize=100_000, ttl=24 * 3600)

    def get_output_channel(self) -> OutputChannel | None:
        if self.sio is None:
            return super().get_output_channel()
        return GuardedSocketIOOutput(self.sio, self.bot_message_evt, self)

    # ------------------------------------------------------------------ sessions

    async def _join(self, sid: str, connection: Connection, session_id: str) -> None:
        assert self.sio is not None
        sender_id = self.sessions.sender_id(session_id)
        if connection.sender_id and connection.sender_id != sender_id:
            await _maybe_await(self.sio.leave_room(sid, connection.sender_id, self.namespace))
        await _maybe_await(self.sio.enter_room(sid, sender_id, self.namespace))
        connection.session_id, connection.sender_id = session_id, sender_id

    def _continues(self, requested: Any) -> bool:
        return (
            self.session_persistence
            and self.sessions.valid(requested)
            and requested not in self.ended
        )

    async def end_session(self, sender_id: str) -> None:
        """Close a conversation's session: its sockets get a new one, its id is refused."""
        assert self.sio is not None
        for sid, connection in list(self.connections.items()):
            if connection.sender_id != sender_id:
                continue
            if connection.session_id:
                self.ended[connection.session_id] = True
            await self._join(sid, connection, self.sessions.issue())
            await self.sio.emit(ENDED_EVENT, {}, room=sid, namespace=self.namespace)
            await self.sio.emit(
                "session_confirm", connection.session_id, room=sid, namespace=self.namespace
            )
        log.info("socket.io session ended after deletion")

    # ------------------------------------------------------------------ blueprint

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        for name in (TOO_LONG, RATE_LIMITED):  # read the refusals now: a domain without them
            response_text(name)  # fails at start, not at a citizen's message
        sio = BoundedAsyncServer(
            async_mode="sanic",
            cors_allowed_origins=self.origins,
            max_http_buffer_size=self.max_packet_bytes,
        )
        self.sio = sio
        webhook = GuardedSocketBlueprint(
            sio, self.socketio_path or "/socket.io", self.max_packet_bytes, "socketio_webhook"
        )

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: dict[str, Any], auth: dict | None = None) -> bool:
            if self.jwt_key:
                from rasa.core.channels.channel import decode_bearer_token

                token = auth.get("token") if isinstance(auth, dict) else None
                if not token or not decode_bearer_token(token, self.jwt_key, self.jwt_algorithm):
                    return False
            request = environ.get("sanic.request")
            peer = request.ip if request is not None else environ.get("REMOTE_ADDR")
            headers = request.headers if request is not None else {}
            self.connections[sid] = Connection(address=client_address(peer, headers))
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str) -> None:
            self.connections.pop(sid, None)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            connection = self.connections.get(sid)
            if connection is None:
                return
            requested = data.get("session_id") if isinstance(data, dict) else None
            if self._continues(requested):
                session_id = requested
            else:
                if requested:
                    log.info("socket.io session id not issued here (or ended): issuing a new one")
                session_id = self.sessions.issue()
            await self._join(sid, connection, session_id)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            connection = self.connections.get(sid)
            if connection is None or not connection.sender_id:
                log.info("socket.io message before session_request: ignored")
                return
            claimed = data.get("session_id") if isinstance(data, dict) else None
            if not isinstance(claimed, str) or not hmac.compare_digest(
                claimed.encode(), (connection.session_id or "").encode()
            ):
                log.warning("socket.io message for a session not confirmed to this socket: refused")
                return
            text = data.get("message")
            if not isinstance(text, str):
                log.info("socket.io message without text: ignored")
                return
            sender_id = connection.sender_id
            refusal = self.guard.refusal(sender_id, connection.address, text)
            if refusal is not None:
                await sio.emit(
                    self.bot_message_evt,
                    {"text": response_text(refusal)},
                    room=sid,
                    namespace=self.namespace,
                )
                return
            output = GuardedSocketIOOutput(sio, self.bot_message_evt, self)
            try:
                await on_new_message(
                    UserMessage(text, output, sender_id, input_channel=self.name())
                )
            except Exception:
                log.exception("socket.io message could not be handled (text not logged)")

        return webhook
