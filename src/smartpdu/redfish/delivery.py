"""Deliver Redfish Event payloads to subscribers: store-backed cursors, retries with backoff.

The bus only wakes the worker; the store is the source of truth, so nothing is lost when the
bus drops events for a slow consumer or the process restarts. Each subscription is delivered in
order; a failing destination backs off exponentially (``base_backoff_s`` doubling up to
``max_backoff_s``) without delaying the others.

Lifecycle: ``async with EventDelivery(services) as d:`` (or ``await d.start()`` / ``aclose()``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from smartpdu.events.model import Event
from smartpdu.redfish.context import ROOT
from smartpdu.redfish.managers import LOG, entry_id, severity_of
from smartpdu.redfish.subscriptions import Subscription, SubscriptionStore
from smartpdu.runtime.services import RuntimeServices

__all__ = ["EventDelivery", "event_payload", "origin_of"]

log = logging.getLogger(__name__)
BATCH: Final = 50
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


def event_payload(events: list[Event], context: str | None) -> dict[str, Any]:
    """Build one Redfish ``Event`` resource carrying ``events`` as EventRecords."""
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
        "Id": entry_id(first),
        "Name": "smartpdu events",
        "Events": records,
    }
    if context is not None:
        body["Context"] = context
    return body


@dataclass(slots=True)
class _Backoff:
    failures: int = 0
    next_try: float = 0.0
    last_error: str = ""


@dataclass(slots=True)
class DeliveryStats:
    delivered: int = 0
    failed_attempts: int = 0
    backoff: dict[str, _Backoff] = field(default_factory=dict)


class EventDelivery:
    """Background worker pushing new events to every subscription's destination."""

    def __init__(
        self,
        services: RuntimeServices,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_s: float = 5.0,
        base_backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        poll_s: float = 5.0,
    ) -> None:
        if base_backoff_s <= 0 or max_backoff_s < base_backoff_s:
            raise ValueError("need 0 < base_backoff_s <= max_backoff_s")
        self._services = services
        self.subs = SubscriptionStore(services.store)
        self._client = httpx.AsyncClient(transport=transport, timeout=timeout_s)
        self._base = base_backoff_s
        self._max = max_backoff_s
        self._poll = poll_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._bus_task: asyncio.Task[None] | None = None
        self.stats = DeliveryStats()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Ask for a delivery pass now (new event or subscription change)."""
        self._wake.set()

    async def start(self) -> None:
        if self.running:
            return
        self._task = asyncio.create_task(self._run(), name="redfish-event-delivery")
        self._bus_task = asyncio.create_task(self._watch_bus(), name="redfish-event-bus")

    async def aclose(self) -> None:
        for task in (self._bus_task, self._task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._bus_task = None
        await self._client.aclose()

    async def __aenter__(self) -> EventDelivery:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _watch_bus(self) -> None:
        async with self._services.bus.subscribe(name="redfish-events", maxsize=64) as sub:
            async for _ in sub:
                self._wake.set()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            next_due = await self.deliver_once(loop.time())
            timeout = self._poll if next_due is None else max(0.0, next_due - loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=min(timeout, self._poll))

    async def deliver_once(self, now: float) -> float | None:
        """Run one pass over all subscriptions; return the earliest pending retry time."""
        subs = await asyncio.to_thread(self.subs.list)
        live = {s.id for s in subs}
        for sid in list(self.stats.backoff):
            if sid not in live:
                del self.stats.backoff[sid]
        due: list[float] = []
        for sub in subs:
            b = self.stats.backoff.setdefault(sub.id, _Backoff())
            if b.next_try > now:
                due.append(b.next_try)
                continue
            ok = await self._deliver(sub)
            if ok:
                b.failures, b.next_try = 0, 0.0
            else:
                b.failures += 1
                self.stats.failed_attempts += 1
                b.next_try = now + min(self._max, self._base * 2 ** (b.failures - 1))
                due.append(b.next_try)
        return min(due, default=None)

    async def _deliver(self, sub: Subscription) -> bool:
        store = self._services.store
        pdu_ids = await asyncio.to_thread(store.event_pdu_ids)
        for pdu_id in pdu_ids:
            while True:
                cursor = await asyncio.to_thread(self.subs.cursor, sub.id, pdu_id)
                events = await asyncio.to_thread(store.events_since, pdu_id, cursor, BATCH)
                if not events:
                    break
                try:
                    resp = await self._client.post(
                        sub.destination,
                        json=event_payload(events, sub.context),
                        headers={"OData-Version": "4.0"},
                    )
                    resp.raise_for_status()
                except httpx.HTTPError as exc:
                    self.stats.backoff[sub.id].last_error = str(exc)[:200]
                    log.warning("redfish event delivery to %s failed: %s", sub.destination, exc)
                    return False
                await asyncio.to_thread(
                    self.subs.set_cursor, sub.id, pdu_id, events[-1].sequence_id
                )
                self.stats.delivered += len(events)
                if len(events) < BATCH:
                    break
        return True
