"""Webhook subscriptions: create, change, rotate, test, redeliver, auto-disable — audited.

Each enabled webhook is a destination ``webhook-<id>`` of the shared delivery core
(:class:`~smartpdu.integrations.core.DeliveryCore`) with ``batch_size=1``: one event per
request, per-webhook order, at-least-once under a stable ``webhook-id``. A webhook that has
failed without one success for ``delivery.webhooks.disable_after_s`` is disabled
(``WEBHOOK_DISABLED``); its cursor is kept, so re-enabling it delivers what it missed.

Lifecycle: ``await svc.start()`` (after the core's outbox exists), ``await svc.aclose()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets as _secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx

from smartpdu.events.codes import EventCode
from smartpdu.events.model import Action, NewEvent
from smartpdu.events.outbox import DeliveryResult, Destination, DestinationStatus
from smartpdu.events.outbox_store import DeliveryRecord
from smartpdu.events.webhook_store import SigningSecret, WebhookRecord
from smartpdu.integrations.core import DeliveryCore
from smartpdu.integrations.webhooks import rules
from smartpdu.integrations.webhooks.rules import WebhookError
from smartpdu.integrations.webhooks.sender import WebhookSender
from smartpdu.integrations.webhooks.signing import check_secret, new_secret

__all__ = ["WebhookChange", "WebhookService", "destination_id"]

log = logging.getLogger(__name__)
_PREFIX: Final = "webhook-"


def destination_id(webhook_id: str) -> str:
    return f"{_PREFIX}{webhook_id}"


@dataclass(frozen=True, slots=True)
class WebhookChange:
    """Fields a PATCH may change (None: unchanged)."""

    url: str | None = None
    event_codes: Sequence[str] | None = None
    min_severity: str | None = None
    sources: Sequence[str] | None = None
    pdu_ids: Sequence[str] | None = None
    template: str | None = None
    description: str | None = None
    enabled: bool | None = None


class WebhookService:
    """Webhooks over the shared outbox; every change audited with the actor."""

    def __init__(
        self,
        core: DeliveryCore,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        health_every_s: float = 5.0,
        clock: Callable[[], float] | None = None,
        wall: Callable[[], datetime] | None = None,
    ) -> None:
        """``wall`` (default the system clock) stamps ``webhook-timestamp`` and times secret
        expiry: receivers compare it with their own clock to refuse replays, so it is wall
        time even when the runtime runs a simulated clock."""
        self._core = core
        self._rt = core.port
        self._tables = core.port.webhooks
        settings = core.port.config.delivery.webhooks
        self._client = httpx.AsyncClient(transport=transport, timeout=settings.timeout_s)
        self._records: dict[str, WebhookRecord] = {}
        self._lock = asyncio.Lock()
        self._health_every = health_every_s
        self._clock = clock or time.monotonic
        self._wall = wall or (lambda: datetime.now(UTC))
        self._task: asyncio.Task[None] | None = None
        core.disabled = self._disabled_destinations

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        for rec in await asyncio.to_thread(self._tables.list):
            self._records[rec.id] = rec
            if rec.enabled:
                self._core.outbox.add(self._destination(rec))
        self._task = asyncio.create_task(self._health_loop(), name="webhook-health")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for wid in list(self._records):
            await self._core.outbox.remove(destination_id(wid), forget=False)
        await self._client.aclose()

    def _disabled_destinations(self) -> set[str]:
        return {destination_id(w) for w, r in self._records.items() if not r.enabled}

    def _destination(self, rec: WebhookRecord) -> Destination:
        wid = rec.id
        sender = WebhookSender(self._client, lambda: self._records[wid], self._wall)
        return Destination(destination_id(wid), sender, rules.event_filter(rec), batch_size=1)

    # ------------------------------------------------------------------ reads
    def all(self) -> list[WebhookRecord]:
        return list(self._records.values())

    def get(self, webhook_id: str) -> WebhookRecord:
        rec = self._records.get(webhook_id)
        if rec is None:
            raise KeyError(webhook_id)
        return rec

    def status(self, webhook_id: str) -> DestinationStatus | None:
        try:
            return self._core.outbox.status(destination_id(webhook_id))
        except KeyError:
            return None

    async def backlog(self, webhook_id: str) -> int | None:
        try:
            return await self._core.outbox.backlog(destination_id(webhook_id))
        except KeyError:
            return None

    async def deliveries(self, webhook_id: str) -> list[DeliveryRecord]:
        self.get(webhook_id)
        return await self._core.outbox.log(destination_id(webhook_id))

    # ------------------------------------------------------------------ changes
    def _validated(self, rec: WebhookRecord) -> WebhookRecord:
        known = [p.id for p in self._rt.config.pdus]
        return replace(
            rec,
            url=rules.check_url(rec.url),
            event_codes=rules.check_codes(rec.event_codes),
            min_severity=rules.check_severity(rec.min_severity),
            sources=rules.check_sources(rec.sources),
            pdu_ids=rules.check_pdus(rec.pdu_ids, known),
            template=rules.check_template(rec.template),
            description=_short(rec.description),
        )

    async def create(
        self,
        url: str,
        actor: str,
        *,
        secret: str | None = None,
        event_codes: Sequence[str] = (),
        min_severity: str = "info",
        sources: Sequence[str] = (),
        pdu_ids: Sequence[str] = (),
        template: str = "standard",
        description: str = "",
    ) -> tuple[WebhookRecord, str]:
        """Create a webhook that receives events from now on; return it and its secret (the
        only time the secret is shown). ``WebhookError`` for bad settings or too many."""
        secret = new_secret() if secret is None else _checked_secret(secret)
        async with self._lock:
            limit = self._rt.config.delivery.webhooks.max_webhooks
            if len(self._records) >= limit:
                raise WebhookError(f"at most {limit} webhooks (delivery.webhooks.max_webhooks)")
            rec = self._validated(
                WebhookRecord(
                    id=f"wh{_secrets.token_hex(6)}",
                    url=url,
                    secrets=(SigningSecret(secret),),
                    event_codes=tuple(event_codes),
                    min_severity=min_severity,
                    sources=tuple(sources),
                    pdu_ids=tuple(pdu_ids),
                    template=template,
                    description=description,
                    owner=actor,
                    created_utc=self._rt.now_utc().isoformat(),
                )
            )
            await self._core.outbox.seed_at_head(destination_id(rec.id))
            await asyncio.to_thread(self._tables.save, rec)
            self._records[rec.id] = rec
        await self._audit(EventCode.WEBHOOK_CREATED, rec, actor, "created")
        self._core.outbox.add(self._destination(rec))
        return rec, secret

    async def update(self, webhook_id: str, change: WebhookChange, actor: str) -> WebhookRecord:
        """Apply ``change`` (validated); enabling resumes from where delivery stopped."""
        async with self._lock:
            cur = self.get(webhook_id)
            fields: dict[str, Any] = {
                k: (tuple(v) if isinstance(v, list | tuple) else v)
                for k in WebhookChange.__dataclass_fields__
                if (v := getattr(change, k)) is not None
            }
            rec = self._validated(replace(cur, **fields))
            if change.enabled:
                rec = replace(rec, disabled_reason="")
            await asyncio.to_thread(self._tables.save, rec)
            self._records[rec.id] = rec
        await self._apply(rec)
        what = ", ".join(sorted(fields)) or "nothing"
        await self._audit(EventCode.WEBHOOK_UPDATED, rec, actor, f"changed ({what})")
        return rec

    async def _apply(self, rec: WebhookRecord) -> None:
        dest = destination_id(rec.id)
        if rec.enabled:
            self._core.outbox.add(self._destination(rec))
        else:
            await self._core.outbox.remove(dest, forget=False)

    async def delete(self, webhook_id: str, actor: str) -> None:
        async with self._lock:
            rec = self.get(webhook_id)
            await asyncio.to_thread(self._tables.delete, webhook_id)
            del self._records[webhook_id]
        await self._core.outbox.remove(destination_id(webhook_id), forget=True)
        await self._audit(EventCode.WEBHOOK_DELETED, rec, actor, "deleted")

    async def rotate(
        self,
        webhook_id: str,
        actor: str,
        *,
        secret: str | None = None,
        overlap_s: float | None = None,
    ) -> tuple[WebhookRecord, str]:
        """A new signing secret now; the current one keeps signing for ``overlap_s`` (default
        ``delivery.webhooks.rotation_overlap_s``) so the receiver can switch without a gap."""
        secret = new_secret() if secret is None else _checked_secret(secret)
        overlap = (
            self._rt.config.delivery.webhooks.rotation_overlap_s if overlap_s is None else overlap_s
        )
        if not 0 <= overlap <= 30 * 86400:
            raise WebhookError("overlap_s must be within 0..2592000 (30 days)")
        async with self._lock:
            cur = self.get(webhook_id)
            now = self._wall()
            expires = (now + timedelta(seconds=overlap)).isoformat()
            kept = tuple(
                SigningSecret(s.secret, s.expires_utc or expires)
                for s in cur.secrets
                if s.expires_utc is None or s.expires_utc > now.isoformat()
            )
            rec = replace(cur, secrets=(SigningSecret(secret), *kept)[:4] if overlap else
                          (SigningSecret(secret),))  # fmt: skip
            await asyncio.to_thread(self._tables.save, rec)
            self._records[rec.id] = rec
        await self._audit(
            EventCode.WEBHOOK_SECRET_ROTATED, rec, actor, f"secret rotated ({overlap:g} s overlap)"
        )
        return rec, secret

    async def test(self, webhook_id: str, actor: str) -> tuple[DeliveryResult, float]:
        """Send a signed ``webhook.test`` ping now (outside the outbox); result and seconds."""
        rec = self.get(webhook_id)
        sender = WebhookSender(self._client, lambda: rec, self._wall)
        body: dict[str, object] = {
            "type": "webhook.test",
            "timestamp": self._rt.now_utc().isoformat(),
            "data": {"webhook": rec.id, "requested_by": actor},
        }
        t0 = self._clock()
        result = await sender.post(f"test-{rec.id}-{_secrets.token_hex(4)}", body)
        return result, self._clock() - t0

    async def redeliver(
        self, webhook_id: str, pdu_id: str, first_seq: int, last_seq: int, actor: str
    ) -> int:
        """Send a range of one PDU's events again (same ``webhook-id`` as the first time)."""
        rec = self.get(webhook_id)
        if not rec.enabled:
            raise WebhookError("the webhook is disabled; enable it first")
        if pdu_id not in {p.id for p in self._rt.config.pdus}:
            raise WebhookError(f"unknown PDU {pdu_id!r}")
        if not 1 <= first_seq <= last_seq or last_seq - first_seq >= 1000:
            raise WebhookError("need 1 <= first_seq <= last_seq and at most 1000 events")
        sent = await self._core.outbox.redeliver(
            destination_id(rec.id), pdu_id, first_seq, last_seq
        )
        await self._audit(
            EventCode.WEBHOOK_REDELIVERED, rec, actor,
            f"redelivered {sent} event(s) of {pdu_id} #{first_seq}..{last_seq}",
        )  # fmt: skip
        return sent

    # ------------------------------------------------------------------ health
    async def _health_loop(self) -> None:
        while True:
            await asyncio.sleep(self._health_every)
            try:
                await self.check_health()
            except Exception:  # a failed check is retried next time; delivery goes on
                log.exception("webhook health check failed")

    async def check_health(self) -> list[str]:
        """Disable every webhook failing for longer than the configured period; their ids."""
        limit = self._rt.config.delivery.webhooks.disable_after_s
        now = self._core.outbox.now()
        gone: list[str] = []
        for wid, rec in list(self._records.items()):
            st = self.status(wid)
            if not rec.enabled or st is None or st.failing_since is None:
                continue
            if now - st.failing_since < limit:
                continue
            reason = f"failing for {now - st.failing_since:.0f} s: {st.last_error}"[:200]
            async with self._lock:
                rec = replace(self._records[wid], enabled=False, disabled_reason=reason)
                await asyncio.to_thread(self._tables.save, rec)
                self._records[wid] = rec
            await self._apply(rec)
            await self._audit(EventCode.WEBHOOK_DISABLED, rec, "system", "disabled: " + reason)
            gone.append(wid)
        return gone

    async def _audit(self, code: EventCode, rec: WebhookRecord, actor: str, what: str) -> None:
        draft = NewEvent(
            pdu_id=self._rt.config.pdus[0].id,
            source=f"webhook/{rec.id}",
            event_code=code,
            message=f"Webhook {rec.id} {what}",
            action_taken=Action.CONFIG,
            evidence={
                "webhook_id": rec.id,
                "url": rules.redacted(rec.url),
                "enabled": rec.enabled,
            },
            actor=actor,
        )
        await self._rt.audit(draft)


def _checked_secret(secret: str) -> str:
    try:
        return check_secret(secret)
    except ValueError as exc:
        raise WebhookError(str(exc)) from None


def _short(text: str) -> str:
    if len(text) > 200:
        raise WebhookError("description takes at most 200 characters")
    return text
