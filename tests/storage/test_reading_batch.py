"""ReadingBatch: a minute of 1 s readings as columns reads and stores exactly like the Readings it
stands for, and holds no collector-tracked object per value (why it exists: full garbage
collections walked every pending Reading, pausing the event loop)."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from smartpdu.storage import Reading, ReadingBatch, SqlStore
from smartpdu.storage.readings_sql import reading_cells

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
KEYS = (
    ("pdu-a", "inlet/power_w"),
    ("pdu-b", "inlet/power_w"),
    ("pdu-a", "outlet/1/power_w"),
    ("rack", "sensor/temp/value"),
    ("pdu-a", "outlet/2/thd_pct"),
)


def second(s: int) -> ReadingBatch:
    """Second ``s``: key j has avg 10·j + s, min avg − 1, max avg + 2; the THD key (j = 4) has
    no value in odd seconds."""
    avg = np.array([10.0 * j + s for j in range(len(KEYS))])
    if s % 2:
        avg[4] = np.nan
    return ReadingBatch.of_second(T0 + timedelta(seconds=s), KEYS, avg - 1.0, avg, avg + 2.0)


def expected(s: int) -> list[Reading]:
    ts = T0 + timedelta(seconds=s)
    return [
        Reading(p, k, ts, 10.0 * j + s, 10.0 * j + s - 1.0, 10.0 * j + s + 2.0)
        for j, (p, k) in enumerate(KEYS)
        if not (s % 2 and j == 4)
    ]


def minute(seconds: int = 60) -> ReadingBatch:
    batch = ReadingBatch()
    for s in range(seconds):
        batch += second(s)
    return batch


def test_reads_like_the_list_of_readings() -> None:
    batch = minute(4)
    want = [r for s in range(4) for r in expected(s)]
    assert list(batch) == want
    assert len(batch) == len(want) == 18
    assert [batch[i] for i in range(len(batch))] == want
    assert batch[-1] == want[-1] and batch[5] == want[5]
    assert list(batch[3:7]) == want[3:7]
    assert all(type(r.avg) is float and type(r.min) is float for r in batch)
    with pytest.raises(IndexError):
        batch[18]
    with pytest.raises(IndexError):
        batch[-19]
    assert [s.ts for s in batch.seconds] == [T0 + timedelta(seconds=s) for s in range(4)]


def test_keys_without_a_value_and_empty_batches() -> None:
    nan = np.full(2, np.nan)
    assert len(ReadingBatch.of_second(T0, KEYS[:2], nan, nan, nan)) == 0
    assert not ReadingBatch() and list(ReadingBatch()) == []
    one = second(0)
    assert (ReadingBatch() + one) is one and (one + ReadingBatch()) is one
    with pytest.raises(ValueError, match="length"):
        ReadingBatch.of_second(T0, KEYS, np.zeros(2), np.zeros(2), np.zeros(2))


def test_columns_are_copied_from_the_accumulators() -> None:
    lo, avg, hi = np.zeros(2), np.ones(2), np.full(2, 2.0)
    batch = ReadingBatch.of_second(T0, KEYS[:2], lo, avg, hi)
    avg[:] = 99.0  # the aggregator reuses its arrays for the next second
    assert [r.avg for r in batch] == [1.0, 1.0]


def test_store_cells_are_those_of_the_readings() -> None:
    batch = minute()
    ids = {k: i + 1 for i, k in enumerate(KEYS)}
    fast, slow = reading_cells(batch, ids), reading_cells(list(batch), ids)
    assert fast.keys() == slow.keys() == {"pdu-a", "pdu-b", "rack"}
    for pdu in fast:
        for name in ("key_id", "ts", "n", "lo", "avg", "hi"):
            a, b = getattr(fast[pdu], name), getattr(slow[pdu], name)
            assert a.dtype == b.dtype and np.array_equal(a, b), (pdu, name)


def test_written_batch_is_read_back(store: SqlStore) -> None:
    assert store.write_readings(minute()) == 60 * 5 - 30
    pts = store.history("pdu-a", "outlet/1/power_w", T0, T0 + timedelta(minutes=1), step_s=1)
    assert [(p.min, p.avg, p.max) for p in pts] == [
        (19.0 + s, 20.0 + s, 22.0 + s) for s in range(60)
    ]
    thd = store.history("pdu-a", "outlet/2/thd_pct", T0, T0 + timedelta(minutes=1), step_s=1)
    assert [p.avg for p in thd] == [40.0 + s for s in range(0, 60, 2)]  # odd seconds had none
    sensor = store.history("rack", "sensor/temp/value", T0, T0 + timedelta(seconds=3), step_s=1)
    assert [p.avg for p in sensor] == [30.0, 31.0, 32.0]


def test_a_minute_holds_no_tracked_object_per_value() -> None:
    keys = tuple(("pdu-a", f"outlet/{i}/power_w") for i in range(300))
    values = np.arange(300.0)
    gc.collect()
    before = len(gc.get_objects())
    batch = ReadingBatch()
    for s in range(60):
        batch += ReadingBatch.of_second(T0 + timedelta(seconds=s), keys, values, values, values)
    gc.collect()
    grown = len(gc.get_objects()) - before
    assert len(batch) == 18_000
    assert grown < 300, grown  # 18,000 Reading objects would be tracked, one per value
