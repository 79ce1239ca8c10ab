"""Redfish EventService delivery: Event payloads and an httpx sender on the shared outbox.

Cursors, order, retries with backoff and jitter, one task per subscription and the delivery
log are the outbox's (:mod:`smartpdu.events.outbox`); this module only builds the Redfish
``Event`` resource, posts it, and keeps subscriptions and outbox destinations in step
(create and delete are audited).

Everything it keeps goes through the port: the outbox (``port.outbox``), the subscriptions
(``port.subscriptions``) and the audit events (``port.audit``); it never holds the store.

Lifecycle: ``async with EventDelivery(port) as d:`` (or ``await d.start()`` / ``aclose()``).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import httpx

from smartpdu.events.codes import EventCode
from smartpdu.events.model import Action, Event, NewEvent
from smartpdu.events.outbox import DeliveryResult, Destination, DestinationStatus, Outbox
from smartpdu.events.outbox_plan import RetryPolicy
from smartpdu.events.outbox_store import DeliveryRecord
from smartpdu.redfish.context import ROOT
from smartpdu.redfish.managers import LOG, entry_id, severity_of
from smartpdu.redfish.subscriptions import Subscription, SubscriptionStore
from smartpdu.runtime.port import RackPort, RuntimeBackend

__all__ = [
    "DELIVERY_ID_HEADER",
    "EventDelivery",
    "RedfishSender",
    "destination_id",
    "event_payload",
    "origin_of",
]

log = logging.getLogger(__name__)
DELIVERY_ID_HEADER: Final = "X-SmartPDU-Delivery-Id"
REGISTRY_PREFIX: Final = "SmartPDU.1.0"


def origin_of(event: Event) -> str:
    """URI of the resource an event is about (outlet, branch, sensor), else its log entry."""
    kind, _, ident = event.source.partition("/")
    pdu = f"{ROOT}/PowerEquipment/RackPDUs/{event.pdu_id}"
    if kind == "outlet" and ident:
        return f"{pdu}/Outlets/{ident}"
    if kind == "branch" and ident:
        return f"{pdu}/Branches/{ident}"
    if kind == "sensor" and ident:
        return f"{ROOT}/Chassis/rack/Sensors/{ident}"
    return f"{LOG}/Entries/{entry_id(event)}"


def event_payload(
    events: Sequence[Event], context: str | None, event_id: str | None = None
) -> dict[str, Any]:
    """Build one Redfish ``Event`` resource carrying ``events`` as EventRecords.

    ``event_id`` (the outbox's stable delivery id) becomes the ``Id``: a receiver that sees the
    same ``Id`` twice got a retry of a batch it already has.
    """
    first = events[0]
    records: list[dict[str, Any]] = []
    for i, e in enumerate(events):
        records.append(
            {
                "MemberId": str(i),
                "EventType": "Alert" if severity_of(e) != "OK" else "Other",
                "EventId": entry_id(e),
                "EventTimestamp": e.timestamp_utc,
                "MessageSeverity": severity_of(e),
                "MessageId": f"{REGISTRY_PREFIX}.{e.event_code}",
                "MessageArgs": [],
                "Message": e.message + (f" (actor {e.actor})" if e.actor else ""),
                "OriginOfCondition": {"@odata.id": origin_of(e)},
                "LogEntry": {"@odata.id": f"{LOG}/Entries/{entry_id(e)}"},
                "Oem": {"SmartPDU": {"@odata.type": "#SmartPDU.v1_0_0.Event", **e.to_dict()}},
            }
        )
    body: dict[str, Any] = {
        "@odata.type": "#Event.v1_13_0.Event",
        "Id": event_id if event_id is not None else entry_id(first),
        "Name": "smartpdu events",
        "Events": records,
    }
    if context is not None:
        body["Context"] = context
    return body


def _retry_after_s(resp: httpx.Response) -> float | None:
    """Seconds of a numeric ``Retry-After`` header (an HTTP date is ignored)."""
    raw = resp.headers.get("Retry-After", "").strip()
    return float(raw) if raw.isdigit() else None


class RedfishSender:
    """POST one Redfish ``Event`` per batch to a subscription's destination."""

    def __init__(self, client: httpx.AsyncClient, sub: Subscription) -> None:
        self._client = client
        self.sub = sub

    async def send(self, batch: Sequence[Event], delivery_id: str) -> DeliveryResult:
        try:
            resp = await self._client.post(
                self.sub.destination,
                json=event_payload(batch, self.sub.context, delivery_id),
                headers={"OData-Version": "4.0", DELIVERY_ID_HEADER: delivery_id},
            )
        except httpx.HTTPError as exc:
            return DeliveryResult(False, f"{type(exc).__name__}: {exc}")
        if resp.is_success:
            return DeliveryResult(True, f"HTTP {resp.status_code}")
        return DeliveryResult(False, f"HTTP {resp.status_code}", _retry_after_s(resp))


_PREFIX: Final = "redfish-"


def destination_id(sid: str) -> str:
    """Outbox destination id of Redfish subscription ``sid``."""
    return f"{_PREFIX}{sid}"


def _redacted(url: str) -> str:
    """``url`` without credentials, query or fragment (what an audit event may record)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class EventDelivery:
    """Redfish subscriptions delivered by the shared outbox, one task per subscription."""

    def __init__(
        self,
        port: RackPort | RuntimeBackend,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_s: float = 5.0,
        base_backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        jitter: float = 0.2,
        poll_s: float = 5.0,
        rng: random.Random | None = None,
        clock: Callable[[], float] | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        """``outbox``: the delivery core shared with the other push channels (webhooks,
        syslog, MQTT events); its owner starts and stops it. Without, this object owns one."""
        self._port = RackPort.wrap(port)
        self.subs = SubscriptionStore(self._port.subscriptions)
        self._client = httpx.AsyncClient(transport=transport, timeout=timeout_s)
        self._owns_outbox = outbox is None
        self.outbox: Outbox = outbox or self._port.outbox(
            "redfish-events",
            policy=RetryPolicy(base_backoff_s, max_backoff_s, jitter),
            rng=rng,
            clock=clock,
            poll_s=poll_s,
            send_timeout_s=2 * timeout_s,
        )
        self._write_lock = asyncio.Lock()

    @property
    def running(self) -> bool:
        return self.outbox.running

    def wake(self) -> None:
        """Ask every subscription's worker to look for new events now."""
        self.outbox.wake()

    async def start(self) -> None:
        await self.sync()
        if self._owns_outbox:
            await self.outbox.start()

    async def aclose(self) -> None:
        if self._owns_outbox:
            await self.outbox.aclose()
        else:
            for dest_id in self.outbox.destinations:
                if dest_id.startswith(_PREFIX):
                    await self.outbox.remove(dest_id, forget=False)
        await self._client.aclose()

    async def __aenter__(self) -> EventDelivery:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _destination(self, sub: Subscription) -> Destination:
        return Destination(destination_id(sub.id), RedfishSender(self._client, sub))

    async def sync(self) -> None:
        """Make the outbox's destinations match the stored subscriptions (start-up, tests)."""
        subs = await self.subs.list()
        for sub in subs:
            self.outbox.add(self._destination(sub))
        live = {destination_id(s.id) for s in subs}
        for dest_id in self.outbox.destinations:
            if dest_id.startswith(_PREFIX) and dest_id not in live:
                await self.outbox.remove(dest_id)

    async def deliver_once(self) -> float | None:
        """One delivery pass over every destination of the outbox; the earliest pending retry
        (loop time)."""
        await self.sync()
        return await self.outbox.deliver_once()

    async def subscribe(self, destination: str, context: str | None, actor: str) -> Subscription:
        """Create a subscription that receives events from now on; audited.

        Raises :class:`~smartpdu.redfish.subscriptions.SubscriptionLimitError` when full.
        """
        async with self._write_lock:  # allocate, seed, save: no one sees a half-made one
            sid = await self.subs.allocate_id()
            await self.outbox.seed_at_head(destination_id(sid))
            created = self._port.now_utc().isoformat()
            sub = Subscription(sid, destination, context, actor, created)
            await self.subs.save(sub)
        await self._audit(EventCode.SUBSCRIPTION_CREATED, sub, actor)
        self.outbox.add(self._destination(sub))
        return sub

    async def set_context(
        self,
        sid: str,
        context: str | None,
        precondition: Callable[[Subscription], None] | None = None,
    ) -> Subscription | None:
        """Change the ``Context`` sent with every event from the next batch on.

        ``precondition(current)`` (e.g. an ``If-Match`` check) runs on the stored subscription
        under the same lock as the write, so two writers holding one ETag cannot both pass.
        None when ``sid`` does not exist (any more).
        """
        async with self._write_lock:
            current = await self.subs.get(sid)
            if current is None:
                return None
            if precondition is not None:
                precondition(current)
            sub = replace(current, context=context)
            await self.subs.save(sub)
        self.outbox.add(self._destination(sub))
        return sub

    async def unsubscribe(self, sid: str, actor: str) -> bool:
        """Delete subscription ``sid`` and its cursors; audited. False if it was already gone."""
        sub = await self.subs.get(sid)
        if sub is None or not await self.subs.delete(sid):
            return False
        await self.outbox.remove(destination_id(sid))
        await self._audit(EventCode.SUBSCRIPTION_DELETED, sub, actor)
        return True

    def status(self, sid: str) -> DestinationStatus | None:
        """Live delivery status of subscription ``sid`` (None when not delivered here)."""
        try:
            return self.outbox.status(destination_id(sid))
        except KeyError:
            return None

    async def delivery_log(self, sid: str) -> list[DeliveryRecord]:
        return await self.outbox.log(destination_id(sid))

    async def _audit(self, code: EventCode, sub: Subscription, actor: str) -> None:
        verb = "created" if code is EventCode.SUBSCRIPTION_CREATED else "deleted"
        draft = NewEvent(
            pdu_id=self._port.config.pdus[0].id,
            source=f"subscription/{sub.id}",
            event_code=code,
            message=f"Redfish event subscription {sub.id} {verb}",
            action_taken=Action.CONFIG,
            evidence={"subscription_id": sub.id, "destination": _redacted(sub.destination)},
            actor=actor,
        )
        await self._port.audit(draft)
