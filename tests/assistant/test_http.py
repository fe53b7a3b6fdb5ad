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


# --- honest labels: simulated values say so in the source line ---------------------------------


def test_the_source_line_says_when_values_are_simulated() -> None:
    plain = fmt.source_line("Parkleitsystem Duisburg (ParkAPI)", "dl-de/by-2-0", None)
    assert plain == "ℹ️ Quelle: Parkleitsystem Duisburg (ParkAPI) · Lizenz: dl-de/by-2-0"
    labelled = fmt.source_line(
        "Parkleitsystem Duisburg (ParkAPI)", "dl-de/by-2-0", None, simulated=True
    )
    assert labelled == (
        "ℹ️ Quelle: Parkleitsystem Duisburg (ParkAPI), simulierte Demo-Werte · Lizenz: dl-de/by-2-0"
    )
    stale = fmt.source_line("VRR-Fahrplanauskunft", "", None, 120, simulated=True)
    warning, line = stale.split("\n")
    assert warning.startswith("⚠️") and line == "ℹ️ Quelle: VRR-Fahrplanauskunft, simulierte Demo-Werte"


async def test_the_simulated_header_is_read_and_kept_with_the_last_known_value() -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if request.url.path == "/real":
            return httpx.Response(200, json={"items": []})  # a real endpoint: no header
        if calls["n"] == 1:
            return httpx.Response(200, json={"items": []}, headers={"X-Stadtlotse-Simulated": "true"})
        return httpx.Response(503, json={"error": "down"})

    api = JsonApi("http://source.test", retries=0, transport=httpx.MockTransport(handler))
    demo = await api.get("/demo")
    assert demo.simulated
    stale = await api.get("/demo")  # the source fails: the last known value, still labelled
    assert stale.stale and stale.simulated
    real = await api.get("/real")
    assert not real.simulated
    await api.close()


async def test_answers_from_the_embedded_demo_package_are_labelled(opendata_url: str) -> None:
    """Against the running embedded server: the simulated domains (parking, transit, datastore
    tables) carry the label into the source line; services and the catalogue search do not."""
    from actions.clients.ckan import CkanClient
    from actions.clients.parking import ParkingClient
    from actions.clients.services import ServicesClient
    from actions.clients.transit import TransitClient
    from actions.parking import parking_source
    from actions.services import services_source
    from actions.transit import transit_source

    api = JsonApi(opendata_url, timeout=5, retries=0)
    sites, fetched = await ParkingClient(api).sites()
    assert fetched.simulated
    line = parking_source(fetched, sites[:1])
    assert "Quelle: Parkleitsystem Duisburg (ParkAPI), simulierte Demo-Werte" in line

    efa = JsonApi(f"{opendata_url}/standard", timeout=5, retries=0)
    _board, fetched = await TransitClient(efa).departures("de:05112:90001")
    assert fetched.simulated and "simulierte Demo-Werte" in transit_source(fetched)
    _infos, fetched = await TransitClient(efa).disruptions("U79")
    assert fetched.simulated

    ckan = CkanClient(api)
    table = await ckan.datastore("kitas", limit=1)
    assert table.fetched.simulated
    _datasets, _count, fetched = await ckan.search_datasets("Kita")
    assert not fetched.simulated  # catalogue metadata, no simulated values

    _service, fetched = await ServicesClient(api, "051120000000").details("99050012104000")
    assert not fetched.simulated
    assert "simulierte" not in services_source(fetched)
    await api.close()
    await efa.close()


# --- the application-status API needs the bearer token -------------------------------------------


async def test_the_applications_client_sends_its_token(
    opendata_url: str, stack_env: dict[str, str]
) -> None:
    from actions.clients.applications import ApplicationsClient

    token = stack_env["APPLICATIONS_API_TOKEN"]
    assert token, "the test stack runs the open-data server with a token"
    right = ApplicationsClient(JsonApi(opendata_url, timeout=5, retries=0), token)
    status = await right.status("DU-2026-004711", "K7M2Q9", "test-http-client")
    assert status is not None and status.status == "in_bearbeitung"
    for wrong in ("", "not-the-token"):
        client = ApplicationsClient(JsonApi(opendata_url, timeout=5, retries=0), wrong)
        with pytest.raises(ApiError) as error:
            await client.status("DU-2026-004711", "K7M2Q9", "test-http-client")
        # our configuration, not the citizen's input: never "not found"
        assert error.value.kind == "unavailable"
        await client.api.close()
    await right.api.close()
