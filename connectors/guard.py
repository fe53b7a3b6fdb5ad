"""What every channel checks before a message reaches Rasa: its size, its rate and whose
conversation it belongs to.

- A message longer than `STADTLOTSE_MAX_MESSAGE_CHARS` (default 2,000) never reaches the NLU: a
  300 KB message made Rasa allocate 23 GB. The channel answers with `utter_message_too_long`.
- Rate limits per conversation and per client address (`STADTLOTSE_RATE_CONVERSATION` 30/60,
  `STADTLOTSE_RATE_ADDRESS` 120/60, "<messages>/<seconds>"): inventing new conversation ids does not
  bypass the address limit. The channel answers with `utter_rate_limited`.
- Conversation ids are namespaced by channel and keyed: an id a client knows or chooses (a
  Telegram chat id, a REST `sender`) never is a Rasa sender id itself, so no channel can reach
  another channel's conversations and Telegram chat ids never appear in the tracker store.

The refusals' words are the domain's responses (editable data), read once from the domain.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cachetools import TTLCache

from bot.settings import ROOT, get_settings

log = logging.getLogger(__name__)

TOO_LONG = "utter_message_too_long"
RATE_LIMITED = "utter_rate_limited"
# Proxies whose X-Real-IP header names the client (nginx in the production layout).
TRUSTED_PROXIES = ("127.0.0.1", "::1")


def _rate(name: str, default: str) -> tuple[int, float]:
    value = os.environ.get(name, "").strip() or default
    try:
        count, seconds = value.split("/")
        return int(count), float(seconds)
    except ValueError as error:
        raise ValueError(
            f"{name}={value!r} is not '<messages>/<seconds>', e.g. {default}"
        ) from error


class SlidingWindow:
    """At most `limit` events per key in any `seconds`; bounded memory (least recent keys go)."""

    def __init__(self, limit: int, seconds: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.seconds = seconds
        self._hits: TTLCache[str, deque[float]] = TTLCache(maxsize=max_keys, ttl=seconds)

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        hits = self._hits.get(key)
        if hits is None:
            hits = deque()
        while hits and hits[0] <= now - self.seconds:
            hits.popleft()
        if len(hits) >= self.limit:
            self._hits[key] = hits
            return False
        hits.append(now)
        self._hits[key] = hits  # (re)inserting refreshes the key's time to live
        return True


@dataclass(frozen=True)
class Limits:
    max_chars: int
    per_conversation: tuple[int, float]
    per_address: tuple[int, float]

    @classmethod
    def from_env(cls) -> Limits:
        return cls(
            max_chars=int(os.environ.get("STADTLOTSE_MAX_MESSAGE_CHARS", "").strip() or 2000),
            per_conversation=_rate("STADTLOTSE_RATE_CONVERSATION", "30/60"),
            per_address=_rate("STADTLOTSE_RATE_ADDRESS", "120/60"),
        )


class MessageGuard:
    """One per channel: decides whether a message may go on to Rasa."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits.from_env()
        self._conversations = SlidingWindow(*self.limits.per_conversation)
        self._addresses = SlidingWindow(*self.limits.per_address)

    def refusal(self, conversation: str, address: str | None, text: str | None) -> str | None:
        """The response to answer with instead of passing the message on, or None to pass it."""
        if text is not None and len(text) > self.limits.max_chars:
            return TOO_LONG
        if address and not self._addresses.allow(address):
            log.info("rate limit reached for a client address")
            return RATE_LIMITED
        if not self._conversations.allow(conversation):
            log.info("rate limit reached for a conversation")
            return RATE_LIMITED
        return None


def conversation_id(channel: str, external_id: str, salt: str | None = None) -> str:
    """The Rasa sender id of a channel's conversation: `<channel>-<keyed hash>` (keyed with
    `CLIENT_KEY_SALT`; tests pass the stack's salt)."""
    secret = get_settings().client_key_salt if salt is None else salt
    key = hmac.new(secret.encode(), b"stadtlotse/conversation-id", hashlib.sha256).digest()
    digest = hmac.new(key, f"{channel}:{external_id}".encode(), hashlib.sha256).hexdigest()
    return f"{channel}-{digest[:32]}"


def credential(value: Any) -> str:
    """A credentials.yml value: stripped; empty when unset (Rasa expands an unset ${VAR} to "",
    and an unexpanded reference is as good as unset)."""
    text = "" if value is None else str(value).strip()
    return "" if text.startswith("${") else text


def client_address(peer: str | None, headers: Any) -> str | None:
    """The citizen's address for the address rate limit: the X-Real-IP a trusted local proxy
    (nginx) sets, else the peer. None for a local client without a proxy (the Rasa shell, tests
    and benchmarks on this machine): in production nothing reaches Rasa but through the proxy."""
    if peer in TRUSTED_PROXIES:
        forwarded = (headers.get("x-real-ip") or "").strip()
        return forwarded[:64] or None
    return peer


@lru_cache(maxsize=1)
def _responses() -> dict[str, Any]:
    from rasa.shared.core.domain import Domain

    return Domain.load(str(ROOT / "domain.yml")).responses


def response_text(name: str, responses: Iterable[dict[str, Any]] | None = None) -> str:
    """The text of a domain response the channel sends itself (refusals)."""
    variations = list(responses if responses is not None else _responses()[name])
    return str(variations[0]["text"])
