"""1 s readings as columns (what the persist stage hands the writer) give the same cells, the
same stored blocks and the same ``Reading`` objects as the list of readings they stand for."""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from smartpdu.storage import Reading
from smartpdu.storage.reading_columns import ReadingBatch, ReadingColumns
from smartpdu.storage.readings_sql import reading_cells
from smartpdu.storage.sqlite_store import SqliteStore

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
KEYS_A = (("pdu-a", "inlet/power_w"), ("pdu-b", "inlet/power_w"), ("pdu-a", "outlet/1/current_a"),
          ("rack", "sensor/t1/value"), ("pdu-b", "outlet/3/current_a"))  # fmt: skip
KEYS_B = (*KEYS_A[:3], ("pdu-b", "outlet/4/current_a"))  # a sensor dropped out: a new layout


def _second(k: int, keys: tuple[tuple[str, str], ...], rng: np.random.Generator) -> ReadingColumns:
    avg = rng.uniform(0.0, 300.0, len(keys))
    avg[k % len(keys)] = math.nan  # one key without a value this second
    rows = np.flatnonzero(~np.isnan(avg))
    lo, hi = avg - rng.uniform(0, 5, len(keys)), avg + rng.uniform(0, 5, len(keys))
    return ReadingColumns(T0 + timedelta(seconds=k), keys, rows, lo[rows], avg[rows], hi[rows])


def _batch() -> ReadingBatch:
    rng = np.random.default_rng(4)
    return ReadingBatch([_second(k, KEYS_A if k < 7 else KEYS_B, rng) for k in range(12)])


def test_columns_read_as_the_readings_they_stand_for() -> None:
    batch = _batch()
    readings = list(batch)
    assert len(batch) == len(readings) == sum(len(s) for s in batch.seconds)
    first = batch.seconds[0]
    j = 0
    pdu, key = first.keys[int(first.rows[j])]
    assert readings[0] == Reading(pdu, key, T0, float(first.avg[j]), float(first.lo[j]),
                                  float(first.hi[j]))  # fmt: skip
    assert batch[-1] == readings[-1] and batch[len(readings) // 2] == readings[len(readings) // 2]
    assert list(batch[2:5]) == readings[2:5]


def test_cells_of_columns_equal_the_cells_of_the_readings() -> None:
    batch = _batch()
    ids = {k: n for n, k in enumerate(sorted({*KEYS_A, *KEYS_B}))}
    fast, slow = reading_cells(batch, ids), reading_cells(list(batch), ids)
    assert fast.keys() == slow.keys() == {"pdu-a", "pdu-b", "rack"}
    for pdu in fast:
        for name in ("key_id", "ts", "n", "lo", "avg", "hi"):
            a, b = getattr(fast[pdu], name), getattr(slow[pdu], name)
            assert a.dtype == b.dtype and np.array_equal(a, b), (pdu, name)


def test_a_store_keeps_the_same_blocks_from_columns_and_from_readings(tmp_path: Path) -> None:
    batch = _batch()
    paths = [tmp_path / "columns.db", tmp_path / "readings.db"]
    stores = [SqliteStore(p) for p in paths]
    try:
        assert stores[0].write_readings(batch) == stores[1].write_readings(list(batch))
        end = T0 + timedelta(minutes=1)
        for pdu, key in {*KEYS_A, *KEYS_B}:
            a, b = (st.history(pdu, key, T0, end, step_s=1) for st in stores)
            assert a == b and a, (pdu, key)
    finally:
        for st in stores:
            st.close()
    blocks = []
    for p in paths:
        with sqlite3.connect(p) as db:
            blocks.append(sorted(db.execute("SELECT * FROM reading_blocks").fetchall()))
    assert blocks[0] == blocks[1] and blocks[0]
