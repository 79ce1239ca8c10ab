"""Event bus: bounded queues, never blocking, lag reported once, close, cross-thread publish."""

from __future__ import annotations

import asyncio
import threading

import pytest

from smartpdu.events import (
    GENESIS_HASH,
    Event,
    EventBus,
    EventCode,
    LagReport,
    NewEvent,
    OverflowPolicy,
    SubscriptionClosed,
    seal,
)

TS = "2026-03-01T12:00:00.000000Z"


def ev(i: int, pdu_id: str = "pdu-a") -> Event:
    d = NewEvent(pdu_id=pdu_id, source="outlet/1", event_code=EventCode.OUTLET_ON, message=str(i))
    return seal(d, i, TS, GENESIS_HASH)


async def test_fan_out_in_order() -> None:
    bus = EventBus()
    async with bus.subscribe(name="a") as a, bus.subscribe(name="b") as b:
        for i in range(1, 4):
            bus.publish(ev(i))
        assert [(await a.get()).sequence_id for _ in range(3)] == [1, 2, 3]
        assert [(await b.get()).sequence_id for _ in range(3)] == [1, 2, 3]
    assert bus.subscribers == ()


async def test_full_queue_drops_oldest_and_reports_lag_once() -> None:
    reports: list[LagReport] = []
    bus = EventBus(on_lagging=reports.append)
    slow = bus.subscribe(name="slow", maxsize=3)
    fast = bus.subscribe(name="fast", maxsize=100)
    for i in range(1, 11):
        bus.publish(ev(i))  # synchronous: returns although "slow" never reads
    await asyncio.sleep(0)  # let the deferred lag report run
    assert [slow.get_nowait().sequence_id for _ in range(3)] == [8, 9, 10]  # type: ignore[union-attr]
    assert slow.get_nowait() is None
    assert slow.lagging and slow.dropped == 7
    assert not fast.lagging and fast.qsize() == 10
    assert reports == [LagReport("slow", 3, 1)]
    slow.close()
    fast.close()


async def test_drop_newest_policy_keeps_the_first_events() -> None:
    bus = EventBus()
    sub = bus.subscribe(maxsize=2, policy=OverflowPolicy.DROP_NEWEST)
    for i in range(1, 6):
        bus.publish(ev(i))
    assert [sub.get_nowait().sequence_id for _ in range(2)] == [1, 2]  # type: ignore[union-attr]
    assert sub.dropped == 3
    sub.close()


async def test_close_ends_iteration_after_draining() -> None:
    bus = EventBus()
    sub = bus.subscribe(maxsize=2)
    bus.publish(ev(1))
    bus.publish(ev(2))
    sub.close()
    bus.publish(ev(3))  # after close: not delivered
    assert [e.sequence_id async for e in sub] == [1, 2]
    with pytest.raises(SubscriptionClosed):
        await sub.get()


async def test_close_wakes_a_waiting_consumer() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    got: list[int] = []

    async def consume() -> None:
        async for e in sub:
            got.append(e.sequence_id)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0)
    bus.publish(ev(1))
    await asyncio.sleep(0)
    bus.close()
    await asyncio.wait_for(task, 1.0)
    assert got == [1]


async def test_filter() -> None:
    bus = EventBus()
    async with bus.subscribe(accept=lambda e: e.pdu_id == "pdu-b") as sub:
        bus.publish(ev(1, "pdu-a"))
        bus.publish(ev(2, "pdu-b"))
        assert (await sub.get()).sequence_id == 2
        assert sub.get_nowait() is None


async def test_publish_from_another_thread_is_delivered_on_the_loop() -> None:
    bus = EventBus()
    async with bus.subscribe(maxsize=1000) as sub:
        threads = [
            threading.Thread(target=lambda k=k: [bus.publish(ev(k * 100 + i)) for i in range(50)])
            for k in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        got = [(await asyncio.wait_for(sub.get(), 1.0)).sequence_id for _ in range(200)]
        assert sorted(got) == sorted(k * 100 + i for k in range(4) for i in range(50))
        for k in range(4):  # per-thread order is preserved
            mine = [s for s in got if s // 100 == k]
            assert mine == sorted(mine)


def test_publish_without_subscribers_is_a_noop() -> None:
    EventBus().publish(ev(1))


async def test_bad_maxsize() -> None:
    with pytest.raises(ValueError, match="maxsize"):
        EventBus().subscribe(maxsize=0)
