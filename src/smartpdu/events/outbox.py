"""The durable outbox every push channel delivers from: cursors, order, backoff, stable ids.

How a push channel (Redfish EventService, webhooks, syslog, MQTT events) uses it:

1. Write a :class:`Sender`: ``async send(batch, delivery_id) -> DeliveryResult``. It formats the
   events for its protocol, puts ``delivery_id`` where receivers can dedupe (a header, a field),
   never raises for a refused delivery (returns ``DeliveryResult(ok=False, detail=...)``) and
   bounds its own I/O with a timeout.
2. Give each destination a stable id (``webhook-3``) and ``outbox.add(Destination(id, sender))``
   at start-up and whenever one is created at runtime; ``await outbox.remove(id)`` deletes it
   and its cursors. A new destination that must not replay history: ``await outbox.seed_at_head(id)``
   before adding it.
3. Run it: ``async with Outbox(store, OutboxRepository(store), bus=bus) as outbox:``. Each
   destination gets its own task, so a receiver that hangs delays nobody else.
4. Delivery is at-least-once, in ``sequence_id`` order per PDU: a batch is retried (exponential
   backoff with jitter) under the same delivery id until acknowledged; the cursor then moves.
   The bus only wakes the workers; the store is the truth, so nothing is lost on restart.
5. Observe with ``outbox.status(id)`` (failures, next retry, last error) and
   ``await outbox.log(id)`` (the bounded delivery log: status, attempts, latency).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, Protocol

from smartpdu.events.bus import EventBus
from smartpdu.events.model import Event, format_timestamp
from smartpdu.events.outbox_plan import (
    ALL_EVENTS,
    BatchPlan,
    EventFilter,
    RetryPolicy,
    backoff_delay,
    batch_delivery_id,
    check_destination_id,
    plan_batch,
)
from smartpdu.events.outbox_store import DeliveryCursor, DeliveryRecord, OutboxRepository

__all__ = [
    "DeliveryError",
    "DeliveryResult",
    "Destination",
    "DestinationStatus",
    "EventSource",
    "Outbox",
    "Sender",
]

log = logging.getLogger(__name__)

DEFAULT_BATCH: Final = 50
_DETAIL_MAX: Final = 200


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What a sender reports: acknowledged or not, why, and the receiver's retry hint."""

    ok: bool
    detail: str = ""
    retry_after_s: float | None = None


class DeliveryError(RuntimeError):
    """A manual (re)delivery the receiver refused; the message says what it answered."""


class Sender(Protocol):
    """The one thing a protocol plugs into the outbox."""

    async def send(self, batch: Sequence[Event], delivery_id: str) -> DeliveryResult: ...


class EventSource(Protocol):
    """The read side of :class:`smartpdu.storage.Store` the outbox delivers from."""

    def event_pdu_ids(self) -> list[str]: ...
    def events_since(self, pdu_id: str, since_seq: int = 0, limit: int = 1000) -> list[Event]: ...
    def last_event(self, pdu_id: str) -> Event | None: ...


@dataclass(frozen=True, slots=True)
class Destination:
    """One receiver: stable id (store key), its sender, what it wants, how much per batch."""

    id: str
    sender: Sender
    accept: EventFilter = ALL_EVENTS
    batch_size: int = DEFAULT_BATCH

    def __post_init__(self) -> None:
        check_destination_id(self.id)
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")


@dataclass(slots=True)
class DestinationStatus:
    """Live state of one destination (since this process started)."""

    failures: int = 0
    next_try: float = 0.0
    last_error: str = ""
    delivered: int = 0
    attempts: int = 0
    failing_since: float | None = None
    """Clock time of the first failure since the last success (None while healthy): how
    channels decide a receiver is dead for good (webhook auto-disable)."""


@dataclass(slots=True)
class _Worker:
    dest: Destination
    status: DestinationStatus = field(default_factory=DestinationStatus)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    task: asyncio.Task[None] | None = None
    log_n: int | None = None


class Outbox:
    """Deliver stored events to every destination, one task each, from persistent cursors."""

    def __init__(
        self,
        source: EventSource,
        repo: OutboxRepository,
        *,
        bus: EventBus | None = None,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] | None = None,
        utc: Callable[[], datetime] | None = None,
        poll_s: float = 5.0,
        send_timeout_s: float | None = 30.0,
        name: str = "outbox",
    ) -> None:
        """``clock`` (monotonic seconds, default the loop's) times backoff and latency; ``rng``
        draws the jitter (seed it in tests); ``poll_s`` bounds how long a worker sleeps when
        the bus is silent; ``send_timeout_s`` guards against a sender without its own timeout."""
        if poll_s <= 0:
            raise ValueError(f"poll_s must be > 0, got {poll_s}")
        if send_timeout_s is not None and send_timeout_s <= 0:
            raise ValueError(f"send_timeout_s must be > 0 or None, got {send_timeout_s}")
        self._source = source
        self._repo = repo
        self._bus = bus
        self.policy = policy or RetryPolicy()
        self._rng = rng or random.Random()
        self._clock = clock
        self._utc = utc or (lambda: datetime.now(UTC))
        self._poll = poll_s
        self._send_timeout = send_timeout_s
        self._name = name
        self._workers: dict[str, _Worker] = {}
        self._running = False
        self._bus_task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def running(self) -> bool:
        return self._running

    async def start(self) -> None:
        """Start one task per destination (and the bus watcher); idempotent."""
        if self._running:
            return
        self._running = True
        for worker in self._workers.values():
            self._spawn(worker)
        if self._bus is not None:
            self._bus_task = asyncio.create_task(self._watch_bus(), name=f"{self._name}-bus")

    async def aclose(self) -> None:
        """Stop every task; undelivered events stay in the store for the next start."""
        self._running = False
        tasks = [w.task for w in self._workers.values() if w.task is not None]
        if self._bus_task is not None:
            tasks.append(self._bus_task)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for worker in self._workers.values():
            worker.task = None
        self._bus_task = None

    async def __aenter__(self) -> Outbox:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ destinations
    @property
    def destinations(self) -> list[str]:
        return list(self._workers)

    def add(self, dest: Destination) -> None:
        """Add ``dest`` (or replace the sender/filter of the destination with its id)."""
        worker = self._workers.get(dest.id)
        if worker is not None:
            worker.dest = dest
            worker.wake.set()
            return
        worker = _Worker(dest)
        self._workers[dest.id] = worker
        if self._running:
            self._spawn(worker)

    async def remove(self, dest_id: str, *, forget: bool = True) -> bool:
        """Stop delivering to ``dest_id``; with ``forget`` delete its cursors and log too."""
        worker = self._workers.pop(dest_id, None)
        if worker is not None and worker.task is not None:
            worker.task.cancel()
            await asyncio.gather(worker.task, return_exceptions=True)
            worker.task = None
        if forget:
            await asyncio.to_thread(self._repo.forget, dest_id)
        return worker is not None

    async def seed_at_head(self, dest_id: str) -> None:
        """Start ``dest_id`` at the current end of every chain (no history replay).

        Chains that appear later start from their beginning, which is after this call.
        """
        check_destination_id(dest_id)

        def seed() -> None:
            for pdu_id in self._source.event_pdu_ids():
                last = self._source.last_event(pdu_id)
                self._repo.set_cursor(
                    dest_id, pdu_id, DeliveryCursor(last.sequence_id if last else 0)
                )

        await asyncio.to_thread(seed)

    async def has_cursors(self, dest_id: str) -> bool:
        """Whether ``dest_id`` ever delivered or was seeded (else: a new destination)."""
        return bool(await asyncio.to_thread(self._repo.cursors, dest_id))

    def status(self, dest_id: str) -> DestinationStatus:
        """Live status of ``dest_id``; ``KeyError`` for an unknown destination."""
        return self._workers[dest_id].status

    async def log(self, dest_id: str) -> list[DeliveryRecord]:
        """The kept delivery records of ``dest_id``, oldest first."""
        return await asyncio.to_thread(self._repo.log, dest_id)

    async def backlog(self, dest_id: str) -> int:
        """Events of the wanted chains not yet past ``dest_id``'s cursors (its queue depth)."""
        accept = self._workers[dest_id].dest.accept

        def count() -> int:
            cursors = self._repo.cursors(dest_id)
            total = 0
            for pdu_id in self._source.event_pdu_ids():
                if not accept.wants_pdu(pdu_id):
                    continue
                last = self._source.last_event(pdu_id)
                done = cursors.get(pdu_id, DeliveryCursor()).delivered
                total += max(0, (last.sequence_id if last else 0) - done)
            return total

        return await asyncio.to_thread(count)

    async def redeliver(self, dest_id: str, pdu_id: str, first_seq: int, last_seq: int) -> int:
        """Send events ``first_seq..last_seq`` of ``pdu_id`` to ``dest_id`` again, now.

        Out of band (cursors do not move) and under the same delivery id as the original
        batch of that range, so a receiver that deduplicates sees it as a retry; logged like
        any attempt. Returns how many events went (0 when none in the range is wanted).
        ``KeyError`` for an unknown destination, ``ValueError`` for a bad range.
        """
        if not 1 <= first_seq <= last_seq:
            raise ValueError(f"need 1 <= first_seq <= last_seq, got {first_seq}..{last_seq}")
        worker = self._workers[dest_id]
        fetched = await asyncio.to_thread(
            self._source.events_since, pdu_id, first_seq - 1, last_seq - first_seq + 1
        )
        send = tuple(
            e for e in fetched if e.sequence_id <= last_seq and worker.dest.accept.matches(e)
        )
        if not send:
            return 0
        plan = BatchPlan(pdu_id, first_seq, last_seq, send)
        async with worker.lock:
            result = await self._attempt(worker, plan)
        if not result.ok:
            raise DeliveryError(result.detail)
        return len(send)

    def wake(self, dest_id: str | None = None) -> None:
        """Ask one destination (default: all) to look for new events now."""
        for wid, worker in self._workers.items():
            if dest_id is None or wid == dest_id:
                worker.wake.set()

    async def deliver_once(self) -> float | None:
        """One pass over every destination (concurrently); return the earliest pending retry."""
        workers = list(self._workers.values())
        dues = await asyncio.gather(*(self._pump(w) for w in workers))
        return min((d for d in dues if d is not None), default=None)

    def now(self) -> float:
        """The outbox's clock (the one ``DestinationStatus`` times are on)."""
        return self._now()

    # ------------------------------------------------------------------ workers
    def _now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    def _spawn(self, worker: _Worker) -> None:
        worker.task = asyncio.create_task(self._run(worker), name=f"{self._name}:{worker.dest.id}")

    async def _watch_bus(self) -> None:
        assert self._bus is not None
        async with self._bus.subscribe(name=self._name) as sub:
            async for event in sub:
                for worker in self._workers.values():
                    if worker.dest.accept.wants_pdu(event.pdu_id):
                        worker.wake.set()

    async def _run(self, worker: _Worker) -> None:
        # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancel that races a wake-up
        while self._running and self._workers.get(worker.dest.id) is worker:
            worker.wake.clear()
            due = await self._pump(worker)
            timeout = self._poll if due is None else min(self._poll, max(0.0, due - self._now()))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await worker.wake.wait()

    async def _pump(self, worker: _Worker) -> float | None:
        """Deliver what is due for one destination; return its next retry time or None."""
        async with worker.lock:
            st = worker.status
            if st.next_try > self._now():
                return st.next_try
            try:
                ok, retry_after = await self._drain(worker)
            except Exception as exc:  # the store failed: this destination backs off, others go on
                log.exception("outbox %s: delivery pass failed", worker.dest.id)
                ok, retry_after = False, None
                st.last_error = f"{type(exc).__name__}: {exc}"[:_DETAIL_MAX]
            if ok:
                st.failures, st.next_try, st.failing_since = 0, 0.0, None
                return None
            st.failures += 1
            if st.failing_since is None:
                st.failing_since = self._now()
            delay = backoff_delay(st.failures, self.policy, self._rng.random(), retry_after)
            st.next_try = self._now() + delay
            return st.next_try

    async def _drain(self, worker: _Worker) -> tuple[bool, float | None]:
        """Send every new batch of every wanted chain, in order; stop at the first refusal."""
        dest = worker.dest
        pdu_ids = await asyncio.to_thread(self._source.event_pdu_ids)
        for pdu_id in pdu_ids:
            if not dest.accept.wants_pdu(pdu_id):
                continue
            while True:
                cur = await asyncio.to_thread(self._repo.cursor, dest.id, pdu_id)
                pinned = cur.pending_last
                limit = dest.batch_size if pinned is None else max(1, pinned - cur.delivered)
                fetched = await asyncio.to_thread(
                    self._source.events_since, pdu_id, cur.delivered, limit
                )
                plan = plan_batch(
                    pdu_id, cur.delivered, fetched, dest.accept, limit=limit, pinned_last=pinned
                )
                if plan is None:
                    if pinned is not None:  # the pinned range no longer exists: move past it
                        await self._set(dest.id, pdu_id, DeliveryCursor(pinned))
                    break
                if plan.send:
                    # one event per batch: its range is fixed by the immutable chain, so the
                    # retry has the same id without pinning it (one store write less per event)
                    if pinned is None and limit > 1:
                        await self._set(
                            dest.id, pdu_id, DeliveryCursor(cur.delivered, plan.last_seq)
                        )
                    result = await self._attempt(worker, plan, advance=True)
                    if not result.ok:
                        return False, result.retry_after_s
                    worker.status.delivered += len(plan.send)
                    if len(fetched) < limit:
                        break
                    continue  # the log record and the cursor went in one transaction
                await self._set(dest.id, pdu_id, DeliveryCursor(plan.last_seq))
                if len(fetched) < limit:
                    break
        return True, None

    async def _set(self, dest_id: str, pdu_id: str, cursor: DeliveryCursor) -> None:
        await asyncio.to_thread(self._repo.set_cursor, dest_id, pdu_id, cursor)

    async def _attempt(
        self, worker: _Worker, plan: BatchPlan, *, advance: bool = False
    ) -> DeliveryResult:
        """Hand one batch to the sender, record the attempt in the delivery log; with
        ``advance`` a success also moves the cursor past the batch, in the same transaction."""
        dest, st = worker.dest, worker.status
        delivery_id = batch_delivery_id(dest.id, plan)
        st.attempts += 1
        t0 = self._now()
        try:
            async with asyncio.timeout(self._send_timeout):
                result = await dest.sender.send(plan.send, delivery_id)
        except TimeoutError:
            result = DeliveryResult(False, f"no answer within {self._send_timeout} s")
        except Exception as exc:  # a sender bug must not stop delivery to this destination
            log.exception("outbox %s: sender raised", dest.id)
            result = DeliveryResult(False, f"{type(exc).__name__}: {exc}")
        latency = self._now() - t0
        if worker.log_n is None:
            worker.log_n = await asyncio.to_thread(self._repo.last_log_n, dest.id)
        worker.log_n += 1
        record = DeliveryRecord(
            n=worker.log_n,
            delivery_id=delivery_id,
            pdu_id=plan.pdu_id,
            first_seq=plan.first_seq,
            last_seq=plan.last_seq,
            events=len(plan.send),
            attempt=st.attempts,
            ok=result.ok,
            detail=result.detail[:_DETAIL_MAX],
            latency_s=round(latency, 6),
            at_utc=format_timestamp(self._utc()),
        )
        if advance and result.ok:
            cursor = DeliveryCursor(plan.last_seq)
            await asyncio.to_thread(self._repo.advance, dest.id, plan.pdu_id, cursor, record)
        else:
            await asyncio.to_thread(self._repo.append_log, dest.id, record)
        if result.ok:
            st.attempts = 0
        else:
            st.last_error = record.detail
            log.warning("outbox %s: delivery %s failed: %s", dest.id, delivery_id, record.detail)
        return result
