"""Telegram channel settings, read from credentials.yml (Rasa) or the environment (polling runner).

One validated value object shared by the channel and `python -m connectors.telegram_polling`, so
both processes agree on token, secret and API address. Empty strings mean "unset" because Rasa
expands an empty `${VAR}` to "". An empty token disables the channel; a malformed one fails fast.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.guard import credential

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
# Only what the channel handles; everything else Telegram would send is dropped at the source.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DISABLED_REASON = "Telegram channel disabled: TELEGRAM_TOKEN is not set."

_TOKEN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{8,}$")
# setWebhook: "1-256 characters. Only characters A-Z, a-z, 0-9, _ and - are allowed."
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class TelegramConfigError(ValueError):
    """A Telegram setting is present but unusable; raised at startup so the mistake is seen."""


def _derive(token: str, purpose: str) -> str:
    return hmac.new(
        token.encode(), f"stadtlotse/telegram/{purpose}".encode(), hashlib.sha256
    ).hexdigest()


@dataclass(frozen=True)
class TelegramConfig:
    token: str = field(default="", repr=False)
    # Empty: derived from the token, so Rasa and the polling runner agree without extra setup.
    secret_token: str = field(default="", repr=False)
    webhook_url: str = ""
    api_base_url: str = DEFAULT_API_BASE_URL

    def __post_init__(self) -> None:
        for name in ("token", "secret_token", "webhook_url", "api_base_url"):
            object.__setattr__(self, name, credential(getattr(self, name)))
        if not self.api_base_url:
            object.__setattr__(self, "api_base_url", DEFAULT_API_BASE_URL)
        if not self.token:
            return
        if not _TOKEN.match(self.token):
            raise TelegramConfigError(
                "TELEGRAM_TOKEN does not look like a bot token (<digits>:<letters>); "
                "copy it from @BotFather or leave it empty to run without Telegram"
            )
        if not self.secret_token:
            object.__setattr__(self, "secret_token", _derive(self.token, "webhook-secret")[:64])
        elif not _SECRET.match(self.secret_token):
            raise TelegramConfigError(
                "TELEGRAM_SECRET_TOKEN may only contain A-Z, a-z, 0-9, _ and - (1-256 characters)"
            )
        for name in ("webhook_url", "api_base_url"):
            value = getattr(self, name)
            if value and not value.startswith(("https://", "http://")):
                raise TelegramConfigError(f"{name} must be an http(s) URL")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> TelegramConfig:
        """From the credentials.yml section (keys as documented in connectors/TELEGRAM.md)."""
        values = values or {}
        return cls(
            token=values.get("access_token"),
            secret_token=values.get("secret_token"),
            webhook_url=values.get("webhook_url"),
            api_base_url=values.get("api_base_url"),
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> TelegramConfig:
        """From the same variables credentials.yml references."""
        return cls(
            token=environ.get("TELEGRAM_TOKEN"),
            secret_token=environ.get("TELEGRAM_SECRET_TOKEN"),
            webhook_url=environ.get("TELEGRAM_WEBHOOK_URL"),
            api_base_url=environ.get("TELEGRAM_API_BASE_URL"),
        )

    @property
    def enabled(self) -> bool:
        return bool(self.token)

    @property
    def mode(self) -> str:
        if not self.enabled:
            return "disabled"
        return "webhook" if self.webhook_url else "polling"

    @property
    def file_base_url(self) -> str:
        base = self.api_base_url
        return base[: -len("bot")] + "file/bot" if base.endswith("/bot") else base

    def pseudonym(self, chat_id: int | str) -> str:
        """Stable, non-reversible chat label for logs (keyed with the token, unlike a bare hash)."""
        key = _derive(self.token, "log-pseudonym").encode()
        return hmac.new(key, str(chat_id).encode(), hashlib.sha256).hexdigest()[:12]
