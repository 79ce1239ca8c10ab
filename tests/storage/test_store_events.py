"""Events and checkpoints on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smartpdu.events import (
    GENESIS_HASH,
    Action,
    Checkpoint,
    DeviceKey,
    Event,
    EventCode,
    NewEvent,
    format_timestamp,
    seal,
)
from smartpdu.storage import ConflictError, SqlStore

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def chain(pdu_id: str, n: int, start: datetime = T0) -> list[Event]:
    out: list[Event] = []
    prev = GENESIS_HASH
    for i in range(1, n + 1):
        draft = NewEvent(
            pdu_id=pdu_id,
            source=f"outlet/{i}",
            event_code=EventCode.OUTLET_ON,
            message=f"Outlet {i} on — ünïcode",
            action_taken=Action.SWITCH,
            evidence={"power_w": 12.5 * i, "ok": True, "note": None, "n": i},
            actor="alice",
            command_id=f"cmd-{i}",
        )
        ev = seal(draft, i, format_timestamp(start + timedelta(seconds=i)), prev)
        out.append(ev)
        prev = ev.hash
    return out


def test_append_and_read_back_exactly(store: SqlStore) -> None:
    events = chain("pdu-a", 5)
    store.append_events(events)
    assert store.events_since("pdu-a") == events
    assert store.last_event("pdu-a") == events[-1]
    assert store.last_event("pdu-b") is None
    # Stored evidence round-trips bit-exact, so hashes recomputed from the store still match.
    assert [e.canonical_body() for e in store.events_since("pdu-a")] == [
        e.canonical_body() for e in events
    ]


def test_since_seq_and_limit(store: SqlStore) -> None:
    store.append_events(chain("pdu-a", 10))
    got = store.events_since("pdu-a", since_seq=3, limit=4)
    assert [e.sequence_id for e in got] == [4, 5, 6, 7]
    assert store.events_since("pdu-a", since_seq=10) == []


def test_pdus_are_separate_chains(store: SqlStore) -> None:
    store.append_events(chain("pdu-a", 3))
    store.append_events(chain("pdu-b", 2))
    assert store.event_pdu_ids() == ["pdu-a", "pdu-b"]
    assert [e.sequence_id for e in store.events_since("pdu-b")] == [1, 2]
    last_a = store.last_event("pdu-a")
    assert last_a is not None and last_a.sequence_id == 3


def test_duplicate_sequence_is_rejected_atomically(store: SqlStore) -> None:
    events = chain("pdu-a", 4)
    store.append_events(events[:2])
    with pytest.raises(ConflictError):
        store.append_events(events[2:] + events[:1])  # 3, 4 new but 1 duplicate: none stored
    assert [e.sequence_id for e in store.events_since("pdu-a")] == [1, 2]


def test_events_between_time_range(store: SqlStore) -> None:
    store.append_events(chain("pdu-a", 10))
    store.append_events(chain("pdu-b", 10))
    got = store.events_between("pdu-a", T0 + timedelta(seconds=3), T0 + timedelta(seconds=6))
    assert [e.sequence_id for e in got] == [3, 4, 5]
    both = store.events_between(None, T0 + timedelta(seconds=9), T0 + timedelta(hours=1))
    assert [(e.pdu_id, e.sequence_id) for e in both] == [
        ("pdu-a", 9),
        ("pdu-b", 9),
        ("pdu-a", 10),
        ("pdu-b", 10),
    ]


def test_checkpoints_roundtrip_and_idempotent(store: SqlStore) -> None:
    events = chain("pdu-a", 6)
    store.append_events(events)
    key = DeviceKey.generate()
    cp3 = Checkpoint.create(key, events[2], format_timestamp(T0))
    cp6 = Checkpoint.create(key, events[5], format_timestamp(T0))
    store.append_checkpoint(cp6)
    store.append_checkpoint(cp3)
    store.append_checkpoint(cp3)
    assert store.checkpoints("pdu-a") == [cp3, cp6]
    assert store.checkpoints("pdu-b") == []
