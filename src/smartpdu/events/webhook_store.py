"""Webhook subscriptions as stored (migration 10's ``webhooks`` table).

A webhook is a push destination of the outbox (destination id ``webhook-<id>``) with its own
signing secrets and filter. Secrets are kept in the store because HMAC signing needs them in
clear; they are returned to a user once (on create or rotate) and never again, never logged,
never put in an event. Synchronous: call through ``asyncio.to_thread``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["SigningSecret", "WebhookRecord", "WebhookTables"]


@dataclass(frozen=True, slots=True)
class SigningSecret:
    """One ``whsec_`` secret; ``expires_utc`` set on the old secret during a rotation."""

    secret: str
    expires_utc: str | None = None


@dataclass(frozen=True, slots=True)
class WebhookRecord:
    id: str
    url: str
    secrets: tuple[SigningSecret, ...]
    """Newest first; every unexpired one signs each delivery."""
    event_codes: tuple[str, ...] = ()
    min_severity: str = "info"
    sources: tuple[str, ...] = ()
    pdu_ids: tuple[str, ...] = ()
    template: str = "standard"
    description: str = ""
    enabled: bool = True
    disabled_reason: str = ""
    owner: str = ""
    created_utc: str = ""


class WebhookTables(Protocol):
    def list(self) -> list[WebhookRecord]:
        """Every webhook, oldest first."""
        ...

    def get(self, webhook_id: str) -> WebhookRecord | None: ...

    def save(self, record: WebhookRecord) -> None:
        """Create or replace ``record``."""
        ...

    def delete(self, webhook_id: str) -> bool:
        """Delete; False when it did not exist."""
        ...
