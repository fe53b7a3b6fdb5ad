"""Shared HTTP layer: timeouts, bounded retries, error mapping and a last-known-value cache.

Every call has a per-attempt timeout and at most `retries` further attempts, so an action never
comes near Rasa's 60 s lock lifetime. When a source fails, the last good answer for the same request
(if any) is returned marked stale, with its age, so the assistant can still say something true.

A source that serves simulated values (the embedded server with a demo data package) says so in
the response header `X-Stadtlotse-Simulated: true`; `Fetched.simulated` carries it to the source
line ("simulierte Demo-Werte"). Real endpoints never send it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx
from cachetools import LRUCache
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

log = logging.getLogger(__name__)

SIMULATED_HEADER = "X-Stadtlotse-Simulated"


class ApiError(Exception):
    """A source could not give a usable answer. `kind` says why, for the user-facing text."""

    def __init__(self, kind: str, detail: str = "", status: int | None = None) -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind  # unavailable | timeout | bad_response | not_found | throttled | rejected
        self.detail = detail
        self.status = status  # the HTTP status of a rejection (4xx), when there was one


@dataclass(frozen=True)
class Fetched:
    data: Any
    fetched_at: float  # epoch seconds
    stale: bool = False
    simulated: bool = False  # the source declared its values simulated (demo data)

    @property
    def age_seconds(self) -> float:
        return max(0.0, time.time() - self.fetched_at)

    @property
    def stale_age(self) -> float | None:
        """The age of a last known value served because the source failed; None when fresh."""
        return self.age_seconds if self.stale else None


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, (httpx.TimeoutException, httpx.TransportError)):
        return True
    return isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code >= 500


class JsonApi:
    """A JSON-over-HTTP source with a base URL (the embedded server or a real public endpoint)."""

    def __init__(
        self,
        base_url: str,
        timeout: float = 2.5,
        retries: int = 1,
        transport: httpx.AsyncBaseTransport | None = None,
        cache_size: int = 512,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 1.5))
        self._retries = retries
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._last_good: LRUCache[str, Fetched] = LRUCache(maxsize=cache_size)

    def _http(self) -> httpx.AsyncClient:
        # Created lazily: action classes are instantiated at import time by the SDK.
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                timeout=self._timeout,
                transport=self._transport,
                headers={"User-Agent": "Stadtlotse/1.0", "Accept": "application/json"},
                limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Fetched:
        key = f"GET {path}?{sorted((params or {}).items())}"
        try:
            data, response = await self._exchange("GET", path, params=params)
        except ApiError as error:
            cached = self._last_good.get(key)
            if cached is not None and error.kind in {"unavailable", "timeout", "bad_response"}:
                log.warning("serving last known value for %s (%s)", path, error.kind)
                return Fetched(cached.data, cached.fetched_at, stale=True,
                               simulated=cached.simulated)
            raise
        simulated = response.headers.get(SIMULATED_HEADER, "").strip().lower() == "true"
        fetched = Fetched(data, time.time(), simulated=simulated)
        self._last_good[key] = fetched
        return fetched

    async def post(
        self, path: str, json: dict[str, Any], headers: dict[str, str] | None = None
    ) -> Any:
        """POST without retry (not idempotent for throttled endpoints) and without caching."""
        return await self._request("POST", path, json=json, headers=headers, retry=False)

    async def _request(self, method: str, path: str, retry: bool = True, **kwargs: Any) -> Any:
        data, _ = await self._exchange(method, path, retry, **kwargs)
        return data

    async def _exchange(
        self, method: str, path: str, retry: bool = True, **kwargs: Any
    ) -> tuple[Any, httpx.Response]:
        """The decoded body and the response (for its headers)."""
        attempts = 1 + (self._retries if retry else 0)
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(attempts),
                wait=wait_exponential(multiplier=0.1, max=0.5),
                retry=retry_if_exception(_retryable),
                reraise=True,
            ):
                with attempt:
                    response = await self._http().request(method, path, **kwargs)
                    if response.status_code >= 500:
                        response.raise_for_status()
        except httpx.TimeoutException as exc:
            raise ApiError("timeout", f"{method} {path}") from exc
        except httpx.HTTPStatusError as exc:
            raise ApiError("unavailable", f"{method} {path} -> {exc.response.status_code}") from exc
        except httpx.TransportError as exc:
            raise ApiError("unavailable", f"{method} {path}: {type(exc).__name__}") from exc
        return self._decode(response, method, path), response

    @staticmethod
    def _decode(response: httpx.Response, method: str, path: str) -> Any:
        status = response.status_code
        if status == 404:
            raise ApiError("not_found", f"{method} {path}")
        if status == 429:
            raise ApiError("throttled", response.headers.get("Retry-After", ""))
        try:
            body = response.json()
        except ValueError as exc:
            raise ApiError("bad_response", f"{method} {path}: not JSON") from exc
        if 400 <= status < 500:
            # The caller decides what a rejection means; the body is kept for it.
            error = ApiError("rejected", f"{method} {path} -> {status}", status=status)
            error.body = body  # type: ignore[attr-defined]
            raise error
        return body
