"""EventLog: sequence continuity across restarts, commit-before-publish, checkpoints, threads."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smartpdu.events import (
    Action,
    DeviceKey,
    Event,
    EventBus,
    EventCode,
    EventLog,
    NewEvent,
    Severity,
    audit_verify,
)
from smartpdu.storage.sqlite_store import SqliteStore


class FakeClock:
    """Deterministic UTC clock: each call advances 1 ms."""

    def __init__(self) -> None:
        self.t = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            self.t += timedelta(milliseconds=1)
            return self.t


def d(i: int = 0, pdu_id: str = "pdu-a", code: str = EventCode.OUTLET_ON) -> NewEvent:
    return NewEvent(
        pdu_id=pdu_id,
        source=f"outlet/{i}",
        event_code=code,
        message=f"m{i}",
        action_taken=Action.SWITCH,
        actor="alice",
        command_id=f"c{i}",
    )


_open_logs: list[EventLog] = []


class TrackedLog(EventLog):
    """An EventLog the ``store`` fixture closes before the store: tests that simulate a crash by
    not closing still must not leave a writer thread retrying against a closed store."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _open_logs.append(self)


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    s = SqliteStore(tmp_path / "log.db")
    yield s  # type: ignore[misc]
    while _open_logs:
        _open_logs.pop().close()
    s.close()


def test_assigns_sequence_time_and_chain(store: SqliteStore) -> None:
    clock, key = FakeClock(), DeviceKey.generate()
    log = TrackedLog(store, key, clock)
    e1, e2 = log.append(d(1)), log.append(d(2))
    assert (e1.sequence_id, e2.sequence_id) == (1, 2)
    assert e1.timestamp_utc == "2026-03-01T12:00:00.001000Z"
    assert e2.prev_hash == e1.hash and e1.severity is Severity.INFO
    assert store.events_since("pdu-a") == [e1, e2]
    assert log.head("pdu-a") == (2, e2.hash)
    assert log.head("pdu-b")[0] == 0


def test_sequence_continues_after_restart_and_chain_verifies(store: SqliteStore) -> None:
    key = DeviceKey.generate()
    log = TrackedLog(store, key, FakeClock(), checkpoint_every=4)
    for i in range(6):
        log.append(d(i))
    # no close(): as after a crash, the last 2 events are not covered by a checkpoint
    log2 = TrackedLog(store, key, FakeClock(), checkpoint_every=4)
    assert log2.append(d(7)).sequence_id == 7
    log2.append(d(8))  # 7 - 4 + 1 = 4 uncovered → checkpoint at 8
    assert [c.sequence_id for c in store.checkpoints("pdu-a")] == [4, 8]
    res = audit_verify(store, "pdu-a", key.public_key)
    assert res.ok and res.events_checked == 8 and res.checkpoints_checked == 2


def test_checkpoints_every_n_and_on_close(store: SqliteStore) -> None:
    key = DeviceKey.generate()
    log = TrackedLog(store, key, FakeClock(), checkpoint_every=10)
    for i in range(25):
        log.append(d(i))
    log.append(d(0, pdu_id="pdu-b"))
    assert [c.sequence_id for c in store.checkpoints("pdu-a")] == [10, 20]
    log.close()
    assert [c.sequence_id for c in store.checkpoints("pdu-a")] == [10, 20, 25]
    assert [c.sequence_id for c in store.checkpoints("pdu-b")] == [1]
    log.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        log.append(d(1))


def test_append_many_is_one_transaction_across_pdus(store: SqliteStore) -> None:
    log = TrackedLog(store, DeviceKey.generate(), FakeClock())
    out = log.append_many([d(1), d(2, "pdu-b"), d(3)])
    assert [(e.pdu_id, e.sequence_id) for e in out] == [("pdu-a", 1), ("pdu-b", 1), ("pdu-a", 2)]
    assert len({e.timestamp_utc for e in out}) == 1


class FailingStore:
    """Wraps a store and fails the next append (disk full, DB down)."""

    def __init__(self, inner: SqliteStore) -> None:
        self.inner = inner
        self.fail = False

    def append_events(self, events: Sequence[Event]) -> None:
        if self.fail:
            raise OSError("disk full")
        self.inner.append_events(events)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


async def test_event_is_committed_before_it_is_published(store: SqliteStore) -> None:
    bus = EventBus()
    wrapper = FailingStore(store)
    log = TrackedLog(wrapper, DeviceKey.generate(), FakeClock(), bus=bus)  # type: ignore[arg-type]
    async with bus.subscribe() as sub:
        log.append(d(1))
        got = await sub.get()
        stored = store.last_event("pdu-a")
        assert stored == got  # by the time a subscriber sees it, it is in the store
        wrapper.fail = True
        with pytest.raises(OSError):
            log.append(d(2))
        assert sub.get_nowait() is None  # a failed write is never published
        wrapper.fail = False
        assert log.append(d(3)).sequence_id == 2  # nothing was committed for the failed one


def test_concurrent_appends_from_threads(store: SqliteStore) -> None:
    key = DeviceKey.generate()
    log = TrackedLog(store, key, FakeClock(), checkpoint_every=17)
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(50):
                log.append(d(t * 100 + i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    log.close()
    assert errors == []
    seqs = [e.sequence_id for e in store.events_since("pdu-a", limit=1000)]
    assert seqs == list(range(1, 201))
    assert audit_verify(store, "pdu-a", key.public_key).ok


async def test_lagging_subscriber_is_logged_once_as_an_event(store: SqliteStore) -> None:
    bus = EventBus()
    log = TrackedLog(store, DeviceKey.generate(), FakeClock(), bus=bus)
    async with bus.subscribe(name="slow-webhook", maxsize=2):
        for i in range(10):
            log.append(d(i))
        for _ in range(5):  # deliveries come from the writer thread via the loop
            await asyncio.sleep(0.01)
        assert await log.flushed()  # the lag report was submitted, not awaited, by the loop
        lag = [e for e in store.events_since("pdu-a") if e.event_code == "SUBSCRIBER_LAGGING"]
        assert len(lag) == 1
        assert lag[0].severity is Severity.WARNING
        assert lag[0].source == "subscriber/slow-webhook"
        assert lag[0].evidence["queue_size"] == 2


def test_clock_must_be_aware(store: SqliteStore) -> None:
    log = TrackedLog(store, DeviceKey.generate(), lambda: datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        log.append(d(1))
    assert store.last_event("pdu-a") is None
    with pytest.raises(ValueError, match="naive"):
        log.close()  # the clock's error surfaces, and the writer thread is stopped anyway
    assert not log._writer.is_alive()
    _open_logs.remove(log)
