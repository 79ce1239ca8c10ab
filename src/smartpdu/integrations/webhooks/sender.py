"""Post one event per request to a webhook, signed per Standard Webhooks.

The outbox hands each batch (one event: webhooks are configured with ``batch_size=1``) and its
stable delivery id; the id becomes ``webhook-id``, so a retry — after a timeout, a 5xx, a
restart — carries the same id and the receiver deduplicates. The timestamp is the attempt's
(receivers reject stale timestamps to stop replays), the signature covers id, timestamp and the
exact body bytes sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final

import httpx

from smartpdu import __version__
from smartpdu.events.model import Event
from smartpdu.events.outbox import DeliveryResult
from smartpdu.events.webhook_store import WebhookRecord
from smartpdu.integrations.webhooks.payloads import Template, body_of
from smartpdu.integrations.webhooks.signing import signature_header

__all__ = ["USER_AGENT", "WebhookSender", "signed_request", "valid_secrets"]

USER_AGENT: Final = f"smartpdu-webhooks/{__version__}"


def valid_secrets(record: WebhookRecord, now: datetime) -> list[str]:
    """Secrets that sign now: the current one and any rotated one still in its overlap."""
    iso = now.isoformat()
    return [s.secret for s in record.secrets if s.expires_utc is None or s.expires_utc > iso]


def signed_request(
    record: WebhookRecord, msg_id: str, body: dict[str, object], now: datetime
) -> tuple[bytes, dict[str, str]]:
    """(body bytes, headers) of one signed delivery."""
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    ts = int(now.timestamp())
    return raw, {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": signature_header(valid_secrets(record, now), msg_id, ts, raw),
    }


def _retry_after_s(resp: httpx.Response) -> float | None:
    raw = resp.headers.get("retry-after", "").strip()
    return float(raw) if raw.isdigit() else None


class WebhookSender:
    """The outbox sender of one webhook (reads its record anew each time: rotations apply)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        record: Callable[[], WebhookRecord],
        utc: Callable[[], datetime],
    ) -> None:
        self._client = client
        self._record = record
        self._utc = utc

    async def post(self, msg_id: str, body: dict[str, object]) -> DeliveryResult:
        rec = self._record()
        raw, headers = signed_request(rec, msg_id, body, self._utc())
        try:
            resp = await self._client.post(rec.url, content=raw, headers=headers)
        except httpx.HTTPError as exc:
            return DeliveryResult(False, f"{type(exc).__name__}: {exc}"[:200])
        if resp.is_success:
            return DeliveryResult(True, f"HTTP {resp.status_code}")
        return DeliveryResult(False, f"HTTP {resp.status_code}", _retry_after_s(resp))

    async def send(self, batch: Sequence[Event], delivery_id: str) -> DeliveryResult:
        template = Template(self._record().template)
        result = DeliveryResult(True, "nothing to send")
        for i, event in enumerate(batch):  # one event per batch by configuration
            msg_id = delivery_id if len(batch) == 1 else f"{delivery_id}.{i}"
            result = await self.post(msg_id, body_of(event, template))
            if not result.ok:
                return result
        return result
