"""Outbox worker with an in-memory sender over a real SQLite store, event log and bus."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smartpdu.events.bus import EventBus
from smartpdu.events.log import EventLog
from smartpdu.events.model import Event, NewEvent
from smartpdu.events.outbox import DeliveryResult, Destination, Outbox
from smartpdu.events.outbox_plan import EventFilter, RetryPolicy, backoff_delay
from smartpdu.events.outbox_store import DeliveryCursor, OutboxRepository
from smartpdu.events.signing import load_or_create_device_key
from smartpdu.storage.base import Store
from smartpdu.storage.factory import open_store

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class FakeClock:
    """Monotonic seconds the test moves by hand (the sim clock of these tests)."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@dataclass
class Env:
    store: Store
    log: EventLog
    bus: EventBus
    clock: FakeClock

    def emit(self, n: int, pdu: str = "pdu-a", code: str = "OUTLET_ON") -> None:
        for i in range(n):
            self.log.append(
                NewEvent(pdu_id=pdu, source=f"outlet/{i + 1}", event_code=code, message="m")
            )

    def outbox(self, **kw: object) -> Outbox:
        kw.setdefault("policy", RetryPolicy(base_s=1.0, max_s=4.0, jitter=0.0))
        kw.setdefault("utc", lambda: T0)
        return Outbox(self.store, OutboxRepository(self.store), clock=self.clock, **kw)  # type: ignore[arg-type]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    bus = EventBus()
    log = EventLog(store, load_or_create_device_key(tmp_path), lambda: T0, bus=bus)
    yield Env(store, log, bus, FakeClock())
    log.close()
    store.close()


class MemorySender:
    """Records every attempt; refuses while ``up`` is False; ``gate`` makes it hang."""

    def __init__(self, clock: FakeClock | None = None, latency_s: float = 0.0) -> None:
        self.up = True
        self.attempts: list[tuple[str, list[int]]] = []
        self.delivered: list[tuple[str, list[int]]] = []
        self.gate: asyncio.Event | None = None
        self.raise_exc: Exception | None = None
        self._clock = clock
        self._latency = latency_s

    async def send(self, batch: Sequence[Event], delivery_id: str) -> DeliveryResult:
        seqs = [e.sequence_id for e in batch]
        self.attempts.append((delivery_id, seqs))
        if self._clock is not None:
            self._clock.t += self._latency
        if self.gate is not None:
            await self.gate.wait()
        if self.raise_exc is not None:
            raise self.raise_exc
        if not self.up:
            return DeliveryResult(False, "HTTP 503")
        self.delivered.append((delivery_id, seqs))
        return DeliveryResult(True, "HTTP 204")

    def seqs(self) -> list[int]:
        return [s for _, batch in self.delivered for s in batch]


async def test_delivers_in_order_and_a_restart_continues_from_the_stored_cursor(env: Env) -> None:
    env.emit(3)
    sink = MemorySender()
    ob = env.outbox()
    ob.add(Destination("d1", sink, batch_size=2))
    assert await ob.deliver_once() is None
    assert sink.delivered == [("d1.pdu-a.1-2", [1, 2]), ("d1.pdu-a.3-3", [3])]
    env.emit(2)
    ob2 = env.outbox()  # "after a restart": a new outbox on the same store
    ob2.add(Destination("d1", sink, batch_size=50))
    await ob2.deliver_once()
    assert sink.seqs() == [1, 2, 3, 4, 5]  # no loss, no repeat
    assert OutboxRepository(env.store).cursor("d1", "pdu-a") == DeliveryCursor(5)


async def test_seed_at_head_skips_history_and_later_chains_start_at_their_beginning(
    env: Env,
) -> None:
    env.emit(3)
    sink = MemorySender()
    ob = env.outbox()
    await ob.seed_at_head("d1")
    ob.add(Destination("d1", sink))
    env.emit(1)
    env.emit(2, pdu="pdu-b")  # a chain that did not exist when the destination was seeded
    await ob.deliver_once()
    assert sink.delivered == [("d1.pdu-a.4-4", [4]), ("d1.pdu-b.1-2", [1, 2])]


async def test_a_retry_resends_the_same_range_under_the_same_id_even_after_restart(
    env: Env,
) -> None:
    env.emit(2)
    sink = MemorySender()
    sink.up = False
    ob = env.outbox()
    ob.add(Destination("d1", sink))
    assert await ob.deliver_once() == 1.0
    env.emit(3)  # more events arrive while the receiver is down
    env.clock.t = 1.0
    assert await ob.deliver_once() == 3.0
    ob2 = env.outbox()  # restart while the batch is still unacknowledged
    ob2.add(Destination("d1", sink))
    sink.up = True
    await ob2.deliver_once()
    assert [a[0] for a in sink.attempts] == ["d1.pdu-a.1-2"] * 3 + ["d1.pdu-a.3-5"]
    assert sink.delivered == [("d1.pdu-a.1-2", [1, 2]), ("d1.pdu-a.3-5", [3, 4, 5])]


async def test_backoff_is_exponential_capped_and_attempts_wait_until_due(env: Env) -> None:
    env.emit(1)
    sink = MemorySender()
    sink.up = False
    ob = env.outbox()
    ob.add(Destination("d1", sink))
    due = [await ob.deliver_once()]
    env.clock.t = 0.5
    assert await ob.deliver_once() == 1.0  # not due yet: no attempt
    assert len(sink.attempts) == 1
    for t in (1.0, 3.0, 7.0, 11.0):
        env.clock.t = t
        due.append(await ob.deliver_once())
    assert due == [1.0, 3.0, 7.0, 11.0, 15.0]  # waits of 1, 2, 4, 4 (capped), 4 s
    st = ob.status("d1")
    assert st.failures == 5 and st.last_error == "HTTP 503" and st.attempts == 5
    sink.up = True
    env.clock.t = 15.0
    assert await ob.deliver_once() is None
    assert ob.status("d1").failures == 0 and sink.seqs() == [1]


async def test_jitter_comes_from_the_injected_rng(env: Env) -> None:
    env.emit(1)
    policy = RetryPolicy(base_s=1.0, max_s=60.0, jitter=0.5)
    sink = MemorySender()
    sink.up = False
    ob = env.outbox(policy=policy, rng=random.Random(42))
    ob.add(Destination("d1", sink))
    got = []
    for _ in range(4):
        due = await ob.deliver_once()
        assert due is not None
        got.append(due - env.clock.t)
        env.clock.t = due
    draws = random.Random(42)
    assert got == pytest.approx([backoff_delay(n, policy, draws.random()) for n in range(1, 5)])
    assert got != [1.0, 2.0, 4.0, 8.0]  # jitter did move them


async def test_filtered_destination_receives_only_what_it_wants_and_still_advances(
    env: Env,
) -> None:
    env.emit(2)
    env.emit(1, code="BREAKER_TRIPPED")
    env.emit(1, pdu="pdu-b", code="BREAKER_TRIPPED")
    sink = MemorySender()
    ob = env.outbox()
    only = EventFilter(pdu_ids=frozenset({"pdu-a"}), event_codes=frozenset({"BREAKER_TRIPPED"}))
    ob.add(Destination("trips", sink, accept=only))
    await ob.deliver_once()
    assert sink.delivered == [("trips.pdu-a.1-3", [3])]
    env.emit(2)  # nothing wanted: the cursor moves without a send
    await ob.deliver_once()
    assert len(sink.attempts) == 1
    assert OutboxRepository(env.store).cursors("trips") == {"pdu-a": DeliveryCursor(5)}


async def test_delivery_log_records_status_attempts_latency_and_is_bounded(env: Env) -> None:
    sink = MemorySender(env.clock, latency_s=0.25)
    sink.up = False
    repo = OutboxRepository(env.store, log_size=3)
    ob = Outbox(
        env.store,
        repo,
        clock=env.clock,
        utc=lambda: T0,
        policy=RetryPolicy(base_s=1.0, max_s=1.0, jitter=0.0),
    )
    ob.add(Destination("d1", sink))
    env.emit(1)
    for _ in range(4):
        due = await ob.deliver_once()
        assert due is not None
        env.clock.t = due
    sink.up = True
    await ob.deliver_once()
    records = await ob.log("d1")
    assert [r.n for r in records] == [3, 4, 5]  # ring of 3: the two oldest are gone
    assert [(r.ok, r.attempt, r.detail) for r in records] == [
        (False, 3, "HTTP 503"),
        (False, 4, "HTTP 503"),
        (True, 5, "HTTP 204"),
    ]
    assert all(r.latency_s == 0.25 and r.delivery_id == "d1.pdu-a.1-1" for r in records)
    assert records[-1].at_utc == "2026-01-01T00:00:00.000000Z"
    assert len(env.store.outbox.log("d1")) == 3  # the store keeps no more than the ring
    ob2 = Outbox(env.store, repo, clock=env.clock)  # numbering continues after a restart
    ob2.add(Destination("d1", sink))
    env.emit(1)
    await ob2.deliver_once()
    assert [r.n for r in await ob2.log("d1")] == [4, 5, 6]


async def test_a_raising_sender_backs_off_like_a_refusal(env: Env) -> None:
    env.emit(1)
    sink = MemorySender()
    sink.raise_exc = RuntimeError("boom")
    ob = env.outbox()
    ob.add(Destination("d1", sink))
    assert await ob.deliver_once() == 1.0
    assert ob.status("d1").last_error == "RuntimeError: boom"
    sink.raise_exc = None
    env.clock.t = 1.0
    assert await ob.deliver_once() is None and sink.seqs() == [1]


@pytest.fixture
async def running(env: Env) -> AsyncIterator[Outbox]:
    ob = Outbox(
        env.store,
        OutboxRepository(env.store),
        bus=env.bus,
        policy=RetryPolicy(base_s=0.01, max_s=0.05),
        rng=random.Random(1),
        poll_s=0.5,
        send_timeout_s=None,
    )
    async with ob:
        yield ob


async def until(pred: object, timeout: float = 20) -> None:
    """Wait for ``pred()`` (the timeout only guards against a hang; no time is asserted)."""

    async def poll() -> None:
        while not pred():  # type: ignore[operator]
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


async def test_a_hung_destination_does_not_delay_a_healthy_one(env: Env, running: Outbox) -> None:
    hung, healthy = MemorySender(), MemorySender()
    hung.gate = asyncio.Event()
    running.add(Destination("hung", hung))
    running.add(Destination("ok", healthy))
    for i in range(3):
        await asyncio.to_thread(env.emit, 1)
        await until(lambda n=i + 1: healthy.seqs() == list(range(1, n + 1)))
    assert hung.delivered == [] and len(hung.attempts) == 1  # still stuck in its first send
    hung.gate.set()
    await until(lambda: hung.seqs() == [1, 2, 3])


async def test_destinations_added_and_removed_at_runtime(env: Env, running: Outbox) -> None:
    a = MemorySender()
    running.add(Destination("a", a))
    await asyncio.to_thread(env.emit, 2)
    await until(lambda: a.seqs() == [1, 2])
    assert await running.remove("a")
    assert env.store.outbox.cursors("a") == {}  # cursors and log forgotten
    assert env.store.outbox.log("a") == []
    assert running.destinations == []
    await asyncio.to_thread(env.emit, 1)
    b = MemorySender()
    await running.seed_at_head("b")
    running.add(Destination("b", b))
    await asyncio.to_thread(env.emit, 1)
    await until(lambda: b.seqs() == [4])
    assert a.seqs() == [1, 2]
    assert not await running.remove("never-added")


async def test_events_the_bus_never_announced_are_still_delivered(env: Env) -> None:
    """The store is the truth: events written while no worker listened go out on start."""
    env.emit(3)
    sink = MemorySender()
    ob = Outbox(env.store, OutboxRepository(env.store), bus=None, poll_s=0.05)
    ob.add(Destination("d1", sink))
    async with ob:
        await until(lambda: sink.seqs() == [1, 2, 3])
        env.emit(1)  # no bus at all: the poll finds it
        await until(lambda: sink.seqs() == [1, 2, 3, 4])


async def test_a_sender_without_its_own_timeout_is_cut_off(env: Env) -> None:
    env.emit(1)
    sink = MemorySender()
    sink.gate = asyncio.Event()  # never set: the receiver never answers
    ob = Outbox(
        env.store,
        OutboxRepository(env.store),
        send_timeout_s=0.05,
        policy=RetryPolicy(1.0, 1.0, 0.0),
    )
    ob.add(Destination("d1", sink))
    assert await ob.deliver_once() is not None
    assert ob.status("d1").last_error == "no answer within 0.05 s"


def test_bad_settings_are_refused(env: Env) -> None:
    with pytest.raises(ValueError, match="poll_s"):
        Outbox(env.store, OutboxRepository(env.store), poll_s=0)
    with pytest.raises(ValueError, match="batch_size"):
        Destination("d1", MemorySender(), batch_size=0)
    with pytest.raises(ValueError, match="destination id"):
        Destination("a/b", MemorySender())
    with pytest.raises(ValueError, match="log_size"):
        OutboxRepository(env.store, log_size=0)
