"""Size limits on every request, checked before anything parses it.

`RequestLimits` is a plain ASGI middleware in front of every route. It refuses, with a small JSON
error and without calling the application:

* a path longer than `MAX_PATH_BYTES` or a query string longer than `MAX_QUERY_BYTES` → 414;
* more than `MAX_PARAMS` query parameters, a parameter name longer than `MAX_NAME_CHARS` or a
  value longer than `MAX_VALUE_CHARS` (decoded) → 400;
* more than `MAX_HEADERS` headers or more than `MAX_HEADER_BYTES` of them → 431;
* a body larger than `MAX_BODY_BYTES` → 413 (a declared `Content-Length` is refused before a
  byte is read; a chunked body is read up to the limit only).

(A request line beyond about 64 KB never gets here: uvicorn's HTTP parser answers it with a
plain-text 400 itself.)

The body is read here once (at most `MAX_BODY_BYTES`) and handed to the application as one
message, so no route can be made to buffer more. Routes keep their own, tighter limits (the
application-status API accepts 4 KiB). JSON documents in a request are bounded as well: see
`check_json` (depth, items per container, string length), which the CKAN emulation applies to
every JSON value it parses from a request.

Together these bound the input of every parser; the parsers themselves are linear in it (see
tests/opendata/test_hostile_input.py, which walks the OpenAPI document with hostile values).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_PATH_BYTES = 2048
MAX_QUERY_BYTES = 8192
MAX_PARAMS = 100
MAX_NAME_CHARS = 256
MAX_VALUE_CHARS = 4096
MAX_HEADERS = 100
MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 64 * 1024

MAX_JSON_DEPTH = 32
MAX_JSON_ITEMS = 200  # entries of one list or object
MAX_JSON_STRING = MAX_VALUE_CHARS


class LimitExceeded(ValueError):
    """An input is larger than its limit; the message says which limit."""


def check_json(value: Any) -> Any:
    """`value` (parsed JSON) if it is within the JSON limits, else LimitExceeded. Iterative:
    linear in the size of the document, no recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if len(item) > MAX_JSON_STRING:
                raise LimitExceeded(f"a JSON string is longer than {MAX_JSON_STRING} characters")
            continue
        if isinstance(item, (list, dict)):
            if depth > MAX_JSON_DEPTH:
                raise LimitExceeded(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            if len(item) > MAX_JSON_ITEMS:
                raise LimitExceeded(f"a JSON list or object has more than {MAX_JSON_ITEMS} entries")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return value


def loads_bounded(text: str | bytes) -> Any:
    """json.loads within the limits: LimitExceeded for a document too large or too deep,
    ValueError for one that is not JSON."""
    if len(text) > MAX_BODY_BYTES:
        raise LimitExceeded(f"JSON document larger than {MAX_BODY_BYTES} bytes")
    try:
        return check_json(json.loads(text))
    except RecursionError:
        raise LimitExceeded(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None


def _error(status: int, error: str, message: str) -> tuple[int, bytes]:
    return status, json.dumps({"error": error, "message": message}).encode()


def _check_head(scope: Scope) -> tuple[int, bytes] | None:
    raw_path = scope.get("raw_path") or scope.get("path", "").encode()
    if len(raw_path) > MAX_PATH_BYTES:
        return _error(414, "uri_too_long", f"path longer than {MAX_PATH_BYTES} bytes")
    query: bytes = scope.get("query_string", b"")
    if len(query) > MAX_QUERY_BYTES:
        return _error(414, "uri_too_long", f"query string longer than {MAX_QUERY_BYTES} bytes")
    if query:
        try:
            # Starlette's own decoding (latin-1, then percent-decoding as UTF-8), bounded count.
            pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True,
                              max_num_fields=MAX_PARAMS)
        except ValueError:
            return _error(400, "too_many_parameters", f"more than {MAX_PARAMS} query parameters")
        for name, value in pairs:
            if len(name) > MAX_NAME_CHARS:
                return _error(400, "parameter_too_long",
                              f"a parameter name is longer than {MAX_NAME_CHARS} characters")
            if len(value) > MAX_VALUE_CHARS:
                return _error(400, "parameter_too_long",
                              f"a parameter value is longer than {MAX_VALUE_CHARS} characters")
    headers: list[tuple[bytes, bytes]] = scope.get("headers") or []
    if len(headers) > MAX_HEADERS or sum(len(k) + len(v) for k, v in headers) > MAX_HEADER_BYTES:
        return _error(431, "headers_too_large",
                      f"more than {MAX_HEADERS} headers or {MAX_HEADER_BYTES} bytes of them")
    for key, value in headers:
        if key == b"content-length":
            if not value.isdigit() or len(value) > 12:
                return _error(400, "bad_content_length", "Content-Length is not a number")
            if int(value) > MAX_BODY_BYTES:
                return _error(413, "body_too_large", f"body larger than {MAX_BODY_BYTES} bytes")
    return None


async def _respond(send: Send, status: int, body: bytes) -> None:
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            (b"connection", b"close"),
        ],
    })
    await send({"type": "http.response.body", "body": body})


class RequestLimits:
    """ASGI middleware enforcing the limits above on every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = _check_head(scope)
        if refused is not None:
            await _respond(send, *refused)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                await _respond(send, *_error(413, "body_too_large",
                                             f"body larger than {MAX_BODY_BYTES} bytes"))
                return
            if chunk:
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
