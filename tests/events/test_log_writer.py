"""EventLog writer thread: submit/flush, group commit, failure, storm guard, time checkpoints."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smartpdu.events import (
    Action,
    DeviceKey,
    Event,
    EventCode,
    EventLog,
    NewEvent,
    StormGuard,
    audit_verify,
    read_head_file,
)
from smartpdu.storage.sqlite_store import SqliteStore


class StepClock:
    """UTC clock advancing ``step_s`` per call (thread-safe)."""

    def __init__(self, step_s: float = 0.001) -> None:
        self.t = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        self.step = timedelta(seconds=step_s)
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            self.t += self.step
            return self.t


class CountingStore:
    """Counts transactions of events; can fail them (disk full)."""

    def __init__(self, inner: SqliteStore) -> None:
        self.inner = inner
        self.commits: list[int] = []
        self.fail = False
        self.gate = threading.Event()
        self.gate.set()

    def append_events(self, events: Sequence[Event]) -> None:
        self.gate.wait()
        if self.fail:
            raise OSError("disk full")
        self.inner.append_events(events)
        self.commits.append(len(events))

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def machine(i: int = 0, code: str = EventCode.OUTLET_ON, pdu_id: str = "pdu-a") -> NewEvent:
    return NewEvent(pdu_id=pdu_id, source=f"outlet/{i}", event_code=code, message=f"m{i}")


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    s = SqliteStore(tmp_path / "log.db")
    yield s  # type: ignore[misc]
    s.close()


def test_submit_seals_now_and_flush_makes_durable_in_one_transaction(store: SqliteStore) -> None:
    counting = CountingStore(store)
    key = DeviceKey.generate()
    log = EventLog(counting, key, StepClock())  # type: ignore[arg-type]
    counting.gate.clear()  # the disk is slow: the writer is stuck in its first commit
    first = log.submit([machine(0)])
    later = [ev for i in range(1, 50) for ev in log.submit([machine(i)])]
    assert [e.sequence_id for e in first + later] == list(range(1, 51))  # sealed at once
    assert store.last_event("pdu-a") is None  # nothing waited for the disk
    counting.gate.set()
    assert log.flush()
    assert [e.sequence_id for e in store.events_since("pdu-a", 0, 100)] == list(range(1, 51))
    assert len(counting.commits) <= 3 and sum(counting.commits) == 50  # group commit
    log.close()
    assert audit_verify(store, "pdu-a", key.public_key).ok


def test_failed_commit_fails_everything_after_it_without_a_gap(store: SqliteStore) -> None:
    counting = CountingStore(store)
    key = DeviceKey.generate()
    log = EventLog(counting, key, StepClock())  # type: ignore[arg-type]
    assert log.append(machine(1)).sequence_id == 1
    counting.fail = True
    log.submit([machine(2), machine(3)])
    with pytest.raises(OSError, match="disk full"):
        log.flush()
    counting.fail = False
    assert log.append(machine(4)).sequence_id == 2  # the lost ones' ids are reused
    log.close()
    assert [e.source for e in store.events_since("pdu-a")] == ["outlet/1", "outlet/4"]
    assert audit_verify(store, "pdu-a", key.public_key).ok


def test_concurrent_submit_and_append_stay_gap_free(store: SqliteStore) -> None:
    key = DeviceKey.generate()
    log = EventLog(store, key, StepClock(), checkpoint_every=13)

    def work(t: int) -> None:
        for i in range(40):
            if i % 2:
                log.append(machine(t * 100 + i, pdu_id=f"pdu-{t % 2}"))
            else:
                log.submit([machine(t * 100 + i, pdu_id=f"pdu-{t % 2}")])

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    log.close()
    for pid in ("pdu-0", "pdu-1"):
        assert [e.sequence_id for e in store.events_since(pid, 0, 500)] == list(range(1, 81))
        assert audit_verify(store, pid, key.public_key).ok


def test_storm_guard_counts_repeats_and_reports_them_once(store: SqliteStore) -> None:
    clock = StepClock(step_s=0.2)  # one tick per submit
    guard = StormGuard(max_events=5, period_s=60.0)
    log = EventLog(store, DeviceKey.generate(), clock, storm_guard=guard)
    for _ in range(100):  # 20 s of a flapping sensor
        log.submit([machine(1, EventCode.SUBSCRIBER_LAGGING)])
    person = NewEvent(pdu_id="pdu-a", source="outlet/1", event_code=EventCode.SUBSCRIBER_LAGGING,
                      message="by hand", action_taken=Action.NONE, actor="alice")  # fmt: skip
    for _ in range(7):
        log.submit([person])  # a person's events are never suppressed
    clock.t += timedelta(seconds=61)
    log.submit([machine(2)])  # any later event lets the period's summary out
    log.flush()
    events = store.events_since("pdu-a", 0, 1000)
    codes = [e.event_code for e in events]
    assert codes.count("SUBSCRIBER_LAGGING") == 5 + 7
    summary = [e for e in events if e.event_code == "EVENTS_SUPPRESSED"]
    assert len(summary) == 1 and summary[0].source == "outlet/1"
    assert summary[0].evidence["suppressed"] == 95
    assert summary[0].evidence["event_code"] == "SUBSCRIBER_LAGGING"
    log.close()


def test_storm_summary_is_written_on_close(store: SqliteStore) -> None:
    log = EventLog(store, DeviceKey.generate(), StepClock(), storm_guard=StormGuard(2, 60.0))
    for _ in range(10):
        log.submit([machine(3, EventCode.SUBSCRIBER_LAGGING)])
    log.close()
    last = store.last_event("pdu-a")
    assert last is not None and last.event_code == "EVENTS_SUPPRESSED"
    assert last.evidence["suppressed"] == 8


def test_checkpoint_at_least_every_interval_of_event_time(store: SqliteStore) -> None:
    key = DeviceKey.generate()
    log = EventLog(store, key, StepClock(step_s=1.0), checkpoint_every=10_000)
    for i in range(40):
        log.append(machine(i))
    cps = store.checkpoints("pdu-a")
    assert len(cps) >= 3  # 40 s of events with no count-based checkpoint due
    times = [datetime.fromisoformat(c.timestamp_utc.replace("Z", "+00:00")) for c in cps]
    assert all((b - a) <= timedelta(seconds=12) for a, b in itertools.pairwise(times))
    log.close()
    assert audit_verify(store, "pdu-a", key.public_key).ok


def test_head_file_holds_the_newest_signed_head(store: SqliteStore, tmp_path: Path) -> None:
    head_file = tmp_path / "audit_head.json"
    log = EventLog(
        store, DeviceKey.generate(), StepClock(), checkpoint_every=4, head_file=head_file
    )
    for i in range(6):
        log.append(machine(i, pdu_id="pdu-a"))
    log.append(machine(9, pdu_id="pdu-b"))
    assert read_head_file(head_file)["pdu-a"].sequence_id == 4
    log.close()
    heads = read_head_file(head_file)
    assert {p: h.sequence_id for p, h in heads.items()} == {"pdu-a": 6, "pdu-b": 1}
    assert heads["pdu-a"] == store.checkpoints("pdu-a")[-1]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
