"""The shared HTTP layer: bounded retries, error kinds, last known value when a source fails.

httpx.MockTransport only stands in where a real server cannot easily produce the sequence
(first an answer, then a failure); the real failing server covers the rest.
"""

from __future__ import annotations

import time

import httpx
import pytest

from actions import formatting as fmt
from actions.clients.http import ApiError, Fetched, JsonApi
from tests.assistant.failing_server import failing_server


async def test_last_known_value_is_served_marked_stale() -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return httpx.Response(200, json={"items": [1, 2, 3]})
        return httpx.Response(503, json={"error": "down"})

    api = JsonApi(
        "http://source.test", timeout=0.5, retries=1, transport=httpx.MockTransport(handler)
    )
    fresh = await api.get("/x", {"a": 1})
    assert fresh.data == {"items": [1, 2, 3]} and not fresh.stale
    stale = await api.get("/x", {"a": 1})
    assert stale.stale and stale.data == fresh.data
    assert calls["n"] == 3, "the failing call was retried once"
    with pytest.raises(ApiError) as other:
        await api.get("/x", {"a": 2})  # nothing cached for other parameters
    assert other.value.kind == "unavailable"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/error", "unavailable"),
        ("/garbage", "bad_response"),
        ("/truncated", "bad_response"),
        ("/slow", "timeout"),
    ],
)
async def test_real_failures_map_to_error_kinds(path: str, kind: str) -> None:
    with failing_server() as base:
        api = JsonApi(base, timeout=0.4, retries=1)
        started = time.monotonic()
        with pytest.raises(ApiError) as error:
            await api.get(path)
        assert error.value.kind == kind
        assert time.monotonic() - started < 3
        await api.close()


async def test_connection_refused_is_unavailable() -> None:
    api = JsonApi("http://127.0.0.1:9", timeout=0.4, retries=2)
    with pytest.raises(ApiError) as error:
        await api.get("/anything")
    assert error.value.kind == "unavailable"


async def test_not_found_and_rejections_keep_the_body() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/missing":
            return httpx.Response(404, json={"error": "not found"})
        return httpx.Response(409, json={"success": False, "error": {"__type": "Validation Error"}})

    api = JsonApi("http://source.test", transport=httpx.MockTransport(handler))
    with pytest.raises(ApiError) as missing:
        await api.get("/missing")
    assert missing.value.kind == "not_found"
    with pytest.raises(ApiError) as rejected:
        await api.get("/bad")
    assert (
        rejected.value.kind == "rejected"
        and rejected.value.body["error"]["__type"] == "Validation Error"
    )


def test_a_last_known_value_is_marked_above_its_source_line() -> None:
    fresh = Fetched({}, fetched_at=time.time())
    stale = Fetched({}, fetched_at=time.time() - 300, stale=True)
    line = "ℹ️ Quelle: Parkleitsystem · Lizenz: dl-de/by-2-0"
    assert fresh.stale_age is None
    assert fmt.source_line("Parkleitsystem", "dl-de/by-2-0", None, fresh.stale_age) == line
    warning, last = fmt.source_line("Parkleitsystem", "dl-de/by-2-0", None, stale.stale_age).split(
        "\n"
    )
    assert warning.startswith("⚠️") and "zuletzt bekannte Stand (vor 5 Min.)" in warning
    assert last == line
