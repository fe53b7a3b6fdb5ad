"""A local Telegram Bot API test double, update builders and a host for the Telegram channel.

No conftest needed; a test module gets the fixtures `telegram_double` (session) and
`telegram_updates` with

    pytest_plugins = ["tests.assistant.telegram_double"]

- `TelegramDouble`: an aiohttp server on a free port (own thread and event loop) that answers the
  Bot API methods the channel uses -- getMe, sendMessage, sendPhoto, sendChatAction,
  answerCallbackQuery, setWebhook, deleteWebhook, getWebhookInfo, getUpdates -- in the documented
  shape (`{"ok": true, "result": ...}` / `{"ok": false, "error_code": ..., "description": ...}`),
  validates what Telegram validates (text length, callback_data bytes, secret token characters),
  records every request and fails on demand (`fail_next`: 429 with `parameters.retry_after`, 5xx,
  delays). Point the channel at it with `TELEGRAM_API_BASE_URL=<double.api_base_url>`
  (`double.environment()` gives every variable, e.g. for a Rasa subprocess).
- `Updates`: update payloads in the Bot API's shape (text with entities, commands, callback query,
  location, edited message, sticker, groups, replies to the bot).
- `ChannelHost` + `ScriptedAssistant`: the channel's blueprint in a real Sanic app, registered with
  Rasa's own `register()`, on a free port, answering through a scripted stand-in for Rasa's agent.

(PYTEST_DONT_REWRITE: test modules import this helper before pytest loads it as a plugin.)
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from aiohttp import web

TEST_TOKEN = "123456789:AAStadtlotseTestTokenForTheDouble_x"
BOT_ID = 123456789
BOT_USERNAME = "stadtlotse_test_bot"
JSON_FIELDS = {
    "reply_markup", "allowed_updates", "entities", "reply_parameters", "link_preview_options",
    "results", "commands", "scope",
}  # fmt: skip
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
MAX_LONG_POLL = 30.0


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    """One request the double received (params with JSON-valued fields decoded)."""

    method: str
    params: dict[str, Any]
    token: str
    at: float = field(default_factory=time.monotonic)
    status: int = 0
    result: Any = None


@dataclass
class _Failure:
    status: int
    description: str
    parameters: dict[str, Any] | None = None
    delay: float = 0.0


class ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


class TelegramDouble:
    """A Bot API server for tests; thread-safe accessors for what it received."""

    def __init__(self, token: str = TEST_TOKEN, username: str = BOT_USERNAME) -> None:
        self.token = token
        self.bot_user = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Stadtlotse (Test)",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.port = 0
        self.blocked_chats: set[str] = set()
        self._calls: list[Call] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._webhook: dict[str, Any] = {}
        self._updates: list[dict[str, Any]] = []
        self._message_ids = itertools.count(1)
        self._condition = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._new_update: asyncio.Event | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def api_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def environment(self, secret_token: str = "", webhook_url: str = "") -> dict[str, str]:
        """The TELEGRAM_* variables that point the channel (or the polling runner) here."""
        return {
            "TELEGRAM_TOKEN": self.token,
            "TELEGRAM_SECRET_TOKEN": secret_token,
            "TELEGRAM_WEBHOOK_URL": webhook_url,
            "TELEGRAM_API_BASE_URL": self.api_base_url,
        }

    def start(self) -> TelegramDouble:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="telegram-double", daemon=True
        )
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=10)
        return self

    async def _serve(self) -> None:
        self._new_update = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def stop(self) -> None:
        if self._loop is None or self._runner is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._loop.close()
        self._loop = None

    def reset(self) -> None:
        """Forget calls, failures, webhook, queued updates and blocked chats (between tests)."""
        with self._condition:
            self._calls.clear()
            self._failures.clear()
            self._webhook.clear()
            self._updates.clear()
            self.blocked_chats.clear()

    # -- test-facing API ---------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        with self._condition:
            return [c for c in self._calls if method is None or c.method == method]

    def sent_texts(self) -> list[str]:
        return [c.params.get("text", "") for c in self.calls("sendMessage") if c.status == 200]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 10.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Block until `count` matching calls were answered; AssertionError after `timeout`."""

        def matching() -> list[Call]:
            return [
                c
                for c in self._calls
                if c.method == method and c.status and (where is None or where(c))
            ]

        with self._condition:
            if not self._condition.wait_for(lambda: len(matching()) >= count, timeout=timeout):
                seen = [(c.method, c.status) for c in self._calls]
                raise AssertionError(f"{count} x {method} not seen within {timeout} s: {seen}")
            return matching()

    def fail_next(
        self,
        method: str,
        *,
        retry_after: int | None = None,
        status: int | None = None,
        description: str | None = None,
        delay: float = 0.0,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` fail: 429 + retry_after, or `status`, or only wait."""
        if retry_after is not None:
            failure = _Failure(
                429,
                description or f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
                delay,
            )
        else:
            code = status or 0
            failure = _Failure(code, description or _reason(code), None, delay)
        with self._condition:
            self._failures.setdefault(method, []).extend([failure] * times)

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (polling mode)."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._queue_update, update)

    @property
    def webhook(self) -> dict[str, Any]:
        with self._condition:
            return dict(self._webhook)

    # -- server side ---------------------------------------------------------------------------

    def _queue_update(self, update: dict[str, Any]) -> None:
        self._updates.append(update)
        assert self._new_update is not None
        self._new_update.set()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = Call(method, await _params(request), request.match_info["token"])
        with self._condition:
            queue = self._failures.get(method) or []
            failure = queue.pop(0) if queue else None
        if failure is not None and failure.delay:
            await asyncio.sleep(failure.delay)
        try:
            if call.token != self.token:
                raise ApiError(401, "Unauthorized")
            if failure is not None and failure.status:
                body: dict[str, Any] = {
                    "ok": False,
                    "error_code": failure.status,
                    "description": failure.description,
                }
                if failure.parameters:
                    body["parameters"] = failure.parameters
                status = failure.status
            else:
                handler = getattr(self, f"_api_{method.lower()}", None)
                if handler is None:
                    raise ApiError(404, "Not Found")
                call.result = await handler(call.params)
                body, status = {"ok": True, "result": call.result}, 200
        except ApiError as error:
            status = error.status
            body = {"ok": False, "error_code": status, "description": error.description}
        call.status = status
        with self._condition:
            self._calls.append(call)
            self._condition.notify_all()
        return web.json_response(body, status=status)

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = str(params.get("chat_id") or "")
        if not chat_id:
            raise ApiError(400, "Bad Request: chat_id is empty")
        if chat_id in self.blocked_chats:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        numeric = int(chat_id)
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": numeric, "type": "private" if numeric > 0 else "supergroup"},
            "from": self.bot_user,
            **content,
        }
        if params.get("message_thread_id"):
            message["message_thread_id"] = int(params["message_thread_id"])
            message["is_topic_message"] = True
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            for row in markup["inline_keyboard"]:
                for button in row:
                    data = button.get("callback_data")
                    if data is not None and not 1 <= len(data.encode()) <= 64:
                        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            message["reply_markup"] = markup
        return message

    async def _api_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    async def _api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        text = params.get("text") or ""
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_length(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return self._message(params, text=text)

    async def _api_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("photo"):
            raise ApiError(400, "Bad Request: there is no photo in the request")
        photo = {"file_id": "AgAD-double", "file_unique_id": "AQAD-double", "width": 1, "height": 1}
        return self._message(params, photo=[photo])

    async def _api_sendchataction(self, params: dict[str, Any]) -> bool:
        if not params.get("chat_id") or not params.get("action"):
            raise ApiError(400, "Bad Request: chat_id or action is empty")
        return True

    async def _api_answercallbackquery(self, params: dict[str, Any]) -> bool:
        if not params.get("callback_query_id"):
            raise ApiError(400, "Bad Request: QUERY_ID_INVALID")
        return True

    async def _api_setwebhook(self, params: dict[str, Any]) -> bool:
        secret = params.get("secret_token")
        if secret is not None and not _SECRET.match(secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        with self._condition:
            self._webhook.clear()
            if params.get("url"):
                self._webhook.update(params)
        return True

    async def _api_deletewebhook(self, params: dict[str, Any]) -> bool:
        with self._condition:
            self._webhook.clear()
        if str(params.get("drop_pending_updates")).lower() == "true":
            self._updates.clear()
        return True

    async def _api_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._condition:
            info = {
                "url": self._webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if self._webhook.get("allowed_updates"):
                info["allowed_updates"] = self._webhook["allowed_updates"]
        return info

    async def _api_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = min(float(params.get("timeout") or 0), MAX_LONG_POLL)
        assert self._new_update is not None
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            # "An update is considered confirmed as soon as getUpdates is called with an offset
            # higher than its update_id."
            self._updates[:] = [u for u in self._updates if u["update_id"] >= offset]
            if self._updates or asyncio.get_running_loop().time() >= deadline:
                return self._updates[:limit]
            self._new_update.clear()
            remaining = deadline - asyncio.get_running_loop().time()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout=max(remaining, 0))


def _reason(status: int) -> str:
    return {
        500: "Internal Server Error",
        502: "Bad Gateway",
        400: "Bad Request",
        403: "Forbidden: bot was blocked by the user",
    }.get(status, f"Error {status}")


async def _params(request: web.Request) -> dict[str, Any]:
    """Parameters the way the Bot API accepts them: query string, form, multipart or JSON."""
    params: dict[str, Any] = dict(request.query)
    if request.body_exists:
        if request.content_type == "application/json":
            params.update(await request.json())
        else:
            form = await request.post()
            for key, value in form.items():
                params[key] = value if isinstance(value, str) else getattr(value, "filename", "")
    for key in JSON_FIELDS & params.keys():
        if isinstance(params[key], str):
            params[key] = json.loads(params[key])
    return params


# -- update payloads ---------------------------------------------------------------------------


def _entities(text: str) -> list[dict[str, Any]]:
    """bot_command and mention entities, offsets in UTF-16 units as Telegram sends them."""
    found = []
    command = re.match(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", text)
    if command:
        found.append({"type": "bot_command", "offset": 0, "length": utf16_length(command.group())})
    for mention in re.finditer(r"(?<![\w@])@[A-Za-z0-9_]{5,32}", text):
        offset = utf16_length(text[: mention.start()])
        found.append({"type": "mention", "offset": offset, "length": utf16_length(mention.group())})
    return found


_UPDATE_IDS = itertools.count(100_000)  # shared: a long-lived channel must see new ids only


class Updates:
    """Builds updates as Telegram sends them; update ids count up so each is new to the channel."""

    PRIVATE_CHAT = 424242
    GROUP_CHAT = -1001234567890

    def __init__(self, bot_user: dict[str, Any] | None = None) -> None:
        self.bot_user = bot_user or {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Stadtlotse",
            "username": BOT_USERNAME,
        }
        self._ids = _UPDATE_IDS
        self._message_ids = itertools.count(500)

    def _chat(self, chat_id: int | None, chat_type: str) -> dict[str, Any]:
        if chat_type == "private":
            return {"id": chat_id or self.PRIVATE_CHAT, "type": "private", "first_name": "Erika"}
        return {"id": chat_id or self.GROUP_CHAT, "type": chat_type, "title": "Nachbarschaft"}

    def _user(self, chat: dict[str, Any]) -> dict[str, Any]:
        user_id = chat["id"] if chat["type"] == "private" else 777001
        return {"id": user_id, "is_bot": False, "first_name": "Erika", "language_code": "de"}

    def message(
        self,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        edited: bool = False,
        reply_to_bot: bool = False,
        update_id: int | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        """Any message update; `content` holds the message fields (text, location, sticker ...)."""
        chat = self._chat(chat_id, chat_type)
        now = int(time.time())
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": self._user(chat),
            "chat": chat,
            "date": now,
            **content,
        }
        if reply_to_bot:
            message["reply_to_message"] = {
                "message_id": next(self._message_ids),
                "from": self.bot_user,
                "chat": chat,
                "date": now - 60,
                "text": "Wie kann ich helfen?",
            }
        if edited:
            message["edit_date"] = now
        update_id = next(self._ids) if update_id is None else update_id
        return {"update_id": update_id, "edited_message" if edited else "message": message}

    def text(self, text: str, **options: Any) -> dict[str, Any]:
        entities = _entities(text)
        return self.message(text=text, **({"entities": entities} if entities else {}), **options)

    def location(self, latitude: float, longitude: float, **options: Any) -> dict[str, Any]:
        return self.message(location={"latitude": latitude, "longitude": longitude}, **options)

    def sticker(self, **options: Any) -> dict[str, Any]:
        sticker = {
            "file_id": "CAACAgIAAxkBAAEB",
            "file_unique_id": "AgADxxx",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return self.message(sticker=sticker, **options)

    def voice(self, **options: Any) -> dict[str, Any]:
        voice = {"file_id": "AwACAgIAAxkBAAEB", "file_unique_id": "AgADyyy", "duration": 3}
        return self.message(voice=voice, **options)

    def member_joined(self, **options: Any) -> dict[str, Any]:
        joined = [{"id": 888, "is_bot": False, "first_name": "Max"}]
        return self.message(new_chat_members=joined, chat_type="supergroup", **options)

    def callback(
        self,
        data: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        update_id: int | None = None,
    ) -> dict[str, Any]:
        """A pressed inline button under a message the bot sent."""
        chat = self._chat(chat_id, chat_type)
        update_id = next(self._ids) if update_id is None else update_id
        return {
            "update_id": update_id,
            "callback_query": {
                "id": f"cbq-{update_id}",
                "from": self._user(chat),
                "chat_instance": "-5551234",
                "data": data,
                "message": {
                    "message_id": next(self._message_ids),
                    "from": self.bot_user,
                    "chat": chat,
                    "date": int(time.time()) - 5,
                    "text": "Wählen Sie:",
                },
            },
        }


# -- hosting the channel -----------------------------------------------------------------------


def bot_uttered(response: dict[str, Any]) -> Any:
    """The BotUttered event Rasa makes of an uttered response (rasa.core.actions.action's
    `create_bot_utterance`, repeated here because importing that module loads TensorFlow)."""
    from rasa.shared.core.events import BotUttered

    message = dict(response)
    return BotUttered(
        text=message.pop("text", None),
        data={
            "elements": message.pop("elements", None),
            "quick_replies": message.pop("quick_replies", None),
            "buttons": message.pop("buttons", None),
            "attachment": message.pop("attachment", None) or message.get("image"),
            "image": message.pop("image", None),
            "custom": message.pop("custom", None),
        },
        metadata=message,
    )


class ScriptedAssistant:
    """Stands in for Rasa's agent: records each UserMessage, answers through its output channel.

    `script(message)` returns responses as a custom action would utter them (dicts with text,
    buttons, custom, image ...); they are turned into BotUttered events and sent with
    `send_response(sender_id, event.message())`, exactly as Rasa's MessageProcessor does. An
    async script may also use `message.output_channel` itself.
    """

    def __init__(self, script: Callable[[Any], Any] | None = None) -> None:
        self.script = script or (lambda message: [{"text": "Antwort"}])
        self.messages: list[Any] = []
        self._condition = threading.Condition()

    async def handle_message(self, message: Any) -> None:
        with self._condition:
            self.messages.append(message)
            self._condition.notify_all()
        responses = self.script(message)
        if inspect.isawaitable(responses):
            responses = await responses
        for response in responses:
            event = bot_uttered(response)
            await message.output_channel.send_response(message.sender_id, event.message())

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[Any]:
        with self._condition:
            if not self._condition.wait_for(lambda: len(self.messages) >= count, timeout):
                raise AssertionError(f"{count} user messages not seen, got {len(self.messages)}")
            return list(self.messages)


class ChannelHost:
    """A Rasa input channel in a real Sanic app on a free port (own thread and event loop).

    The blueprint is registered with `rasa.core.channels.channel.register`, as `rasa run` does,
    so the routes are /webhooks/<name>/...; `app.ctx.agent` is the scripted assistant.
    """

    _names = itertools.count(1)

    def __init__(self, channel: Any, assistant: ScriptedAssistant | None = None) -> None:
        self.channel = channel
        self.assistant = assistant or ScriptedAssistant()
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Any = None
        self._http = httpx.Client(timeout=10, trust_env=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks/{self.channel.name()}"

    def start(self) -> ChannelHost:
        from rasa.core.channels.channel import register
        from sanic import Sanic

        Sanic.test_mode = True  # several apps per process
        app = Sanic(f"telegram_channel_test_{next(self._names)}")
        app.ctx.agent = SimpleNamespace(handle_message=self.assistant.handle_message)
        register([self.channel], app, route="/webhooks/")
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="telegram-channel", daemon=True
        )
        self._thread.start()

        async def serve() -> None:
            server = await app.create_server(
                sock=sock, return_asyncio_server=True, access_log=False
            )
            assert server is not None  # Sanic 21.12 already listens here (awaited inside)
            await server.startup()
            await server.before_start()
            self._server = server
            await server.after_start()  # the channel's startup (getMe, setWebhook) runs here

        self.run(serve())
        return self

    def run(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
        """Run a coroutine on the server's event loop (e.g. `channel.drain()`)."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=timeout)

    def drain(self) -> None:
        """Wait until the channel handled every update it accepted."""
        assert self.run(self.channel.drain()), "the channel still handles updates after 30 s"

    def post(
        self,
        update: dict[str, Any] | bytes | str,
        *,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST to /webhook like Telegram; `secret=None` sends the channel's own secret."""
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        secret = self.channel.config.secret_token if secret is None else secret
        if secret:
            all_headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        body = update if isinstance(update, bytes | str) else json.dumps(update)
        return self._http.post(f"{self.url}/webhook", content=body, headers=all_headers)

    def get(self, path: str = "/") -> httpx.Response:
        return self._http.get(f"{self.url}{path}")

    def stop(self) -> None:
        self._http.close()
        if self._loop is None or self._server is None:
            return
        server = self._server

        async def shutdown() -> None:
            await server.before_stop()  # the channel's shutdown (closes its HTTP pools)
            server.close()
            await server.wait_closed()
            await server.after_stop()

        self.run(shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(timeout=10)
        self._loop.close()
        self._loop = None


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def telegram_double() -> Iterator[TelegramDouble]:
    """One Bot API double per test session; call `.reset()` between tests that count calls."""
    double = TelegramDouble().start()
    yield double
    double.stop()


@pytest.fixture
def telegram_updates(telegram_double: TelegramDouble) -> Updates:
    return Updates(telegram_double.bot_user)
