"""Readings as packed blocks (:mod:`~smartpdu.storage.packed`) in ``reading_blocks``.

One row per PDU, resolution and block of time; the SQL only finds, stores and deletes blocks,
numpy does the arithmetic (roll-up, history buckets) the old per-row SQL did, with the same
results. Block spans (steps per row):

=========  ======  ======================  ==============================================
res        step    block                   why
=========  ======  ======================  ==============================================
1 s        1 s     1 min (60 steps)        the persist stage writes each minute once
1 min      60 s    15 min (15 steps)       re-written by every minute's roll-up: small
1 h        3600 s  1 day (24 steps)        re-written once an hour
=========  ======  ======================  ==============================================

The minute roll-up runs when a 15-minute block is complete (the persist stage's cadence), so a
1 min block is written once; ``history`` answers the span past a resolution's roll-up watermark
from the next finer one, with the same arithmetic, so a chart of the last minutes is never empty.

Retention removes whole blocks (a block goes when its *end* is older than the horizon), in
short transactions of at most :data:`PURGE_CHUNK` blocks with the store lock released between
them, and the roll-up reads and aggregates without the lock and merges each destination block in
its own transaction, so the event writer never waits behind either.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import chain
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from smartpdu.storage.batch import F64, ReadingBatch
from smartpdu.storage.packed import (
    Block,
    Cells,
    block_cells,
    bucket_cells,
    concat_cells,
    decimals_for,
    decode,
    encode,
    split_by_block,
)
from smartpdu.storage.records import (
    HistoryPoint,
    Reading,
    Resolution,
    RetentionPolicy,
    from_epoch_s,
    to_epoch_s,
)

if TYPE_CHECKING:
    from smartpdu.storage.sql_core import Cursor, SqlCore

__all__ = ["BLOCK_SPAN_S", "PURGE_CHUNK", "BlockReadings", "choose_resolution"]

BLOCK_SPAN_S: Final = {Resolution.S1: 60, Resolution.M1: 900, Resolution.H1: 86400}
PURGE_CHUNK: Final = 64
"""Blocks deleted per transaction (≈ one hour of 1 s data of a PDU is 60 blocks)."""

# Re-roll this many seconds before the watermark so late 1 s rows still reach their bucket.
_ROLLUP_LOOKBACK: Final = {Resolution.M1: 120, Resolution.H1: 3600}
_SOURCE: Final = {Resolution.M1: Resolution.S1, Resolution.H1: Resolution.M1}
# Source data aggregated per step of a roll-up (bounded memory after a long pause or an upgrade).
_ROLLUP_WINDOW_S: Final = {Resolution.M1: 3600, Resolution.H1: 86400}

_GET_BLOCK: Final = "SELECT data FROM reading_blocks WHERE resolution = ? AND pdu_id = ? AND t0 = ?"
_UPSERT_BLOCK: Final = (
    "INSERT INTO reading_blocks (resolution, pdu_id, t0, points, data) VALUES (?,?,?,?,?) "
    "ON CONFLICT (resolution, pdu_id, t0) DO UPDATE SET points = excluded.points, "
    "data = excluded.data"
)
_PDU_BLOCKS: Final = (
    "SELECT t0, data FROM reading_blocks WHERE resolution = ? AND pdu_id = ? "
    "AND t0 > ? AND t0 < ? ORDER BY t0"
)
_ALL_BLOCKS: Final = (
    "SELECT pdu_id, t0, data FROM reading_blocks WHERE resolution = ? AND t0 > ? AND t0 < ? "
    "ORDER BY pdu_id, t0"
)
_FIRST_BLOCK: Final = "SELECT MIN(t0) FROM reading_blocks WHERE resolution = ?"
_NEXT_BLOCK: Final = "SELECT MIN(t0) FROM reading_blocks WHERE resolution = ? AND t0 >= ?"
_EXPIRED: Final = (
    "SELECT pdu_id, t0, points FROM reading_blocks WHERE resolution = ? AND t0 <= ? "
    "ORDER BY t0, pdu_id"
)
_DELETE_BLOCK: Final = "DELETE FROM reading_blocks WHERE resolution = ? AND pdu_id = ? AND t0 = ?"
_SERIES: Final = "SELECT key_id, pdu_id, key FROM reading_series"
_MAX_KEY_ID: Final = "SELECT COALESCE(MAX(key_id), 0) FROM reading_series"
_INSERT_SERIES: Final = "INSERT INTO reading_series (key_id, pdu_id, key) VALUES (?,?,?)"
_KEYS: Final = "SELECT key FROM reading_series WHERE pdu_id = ? ORDER BY key"
_GET_ROLLUP_STATE: Final = "SELECT done_until FROM rollup_state WHERE resolution = ?"
_SET_ROLLUP_STATE: Final = (
    "INSERT INTO rollup_state (resolution, done_until) VALUES (?, ?) "
    "ON CONFLICT (resolution) DO UPDATE SET done_until = excluded.done_until"
)


def choose_resolution(step_s: int) -> Resolution:
    """Coarsest stored resolution whose bucket width divides ``step_s``."""
    if step_s < 1:
        raise ValueError(f"step_s must be a positive number of seconds, got {step_s}")
    for res in (Resolution.H1, Resolution.M1):
        if step_s % res.seconds == 0:
            return res
    return Resolution.S1


def reading_cells(readings: Sequence[Reading], ids: dict[tuple[str, str], int]) -> dict[str, Cells]:
    """1 s readings as cells per PDU (``min``/``max`` default to ``avg``)."""
    if isinstance(readings, ReadingBatch):
        return _batch_cells(readings, ids)
    cols: dict[str, list[tuple[int, int, float, float, float]]] = defaultdict(list)
    for r in readings:
        lo = r.avg if r.min is None else r.min
        hi = r.avg if r.max is None else r.max
        cols[r.pdu_id].append(
            (ids[(r.pdu_id, r.key)], to_epoch_s(r.ts), float(lo), float(r.avg), float(hi))
        )
    out = {}
    for pdu, rows in cols.items():
        a = np.array(rows, dtype=np.float64)
        out[pdu] = Cells(
            a[:, 0].astype(np.int64),
            a[:, 1].astype(np.int64),
            np.ones(len(rows), np.int64),
            a[:, 2],
            a[:, 3],
            a[:, 4],
        )
    return out


def _batch_cells(batch: ReadingBatch, ids: dict[tuple[str, str], int]) -> dict[str, Cells]:
    """:func:`reading_cells` of a columnar batch, without a ``Reading`` per value (same cells,
    same order: per PDU, second by second, in key order)."""
    parts: dict[str, list[tuple[list[int], int, F64, F64, F64]]] = defaultdict(list)
    for s in batch.seconds:
        ts = to_epoch_s(s.ts)
        pdus = [p for p, _ in s.keys]
        if len(set(pdus)) == 1:
            groups = {pdus[0]: np.arange(len(pdus))}
        else:
            labels = np.array(pdus)
            groups = {p: np.flatnonzero(labels == p) for p in dict.fromkeys(pdus)}
        for pdu, at in groups.items():
            kids = [ids[s.keys[j]] for j in at.tolist()]
            parts[pdu].append((kids, ts, s.lo[at], s.avg[at], s.hi[at]))
    out = {}
    for pdu, ps in parts.items():
        sizes = [len(k) for k, *_ in ps]
        out[pdu] = Cells(
            np.fromiter(chain.from_iterable(k for k, *_ in ps), np.int64, sum(sizes)),
            np.repeat(np.array([t for _, t, *_ in ps], np.int64), sizes),
            np.ones(sum(sizes), np.int64),
            np.concatenate([p[2] for p in ps]).astype(np.float64),
            np.concatenate([p[3] for p in ps]).astype(np.float64),
            np.concatenate([p[4] for p in ps]).astype(np.float64),
        )
    return out


def _pairs(readings: Sequence[Reading]) -> set[tuple[str, str]]:
    if isinstance(readings, ReadingBatch):
        return set(chain.from_iterable(s.keys for s in readings.seconds))
    return {(r.pdu_id, r.key) for r in readings}


class BlockReadings:
    """The :class:`~smartpdu.storage.base.ReadingRepository` half of a store (:class:`SqlCore`)."""

    def __init__(self, store: SqlCore) -> None:
        self._store = store
        self._ids: dict[tuple[str, str], int] = {}
        self._keys: dict[int, str] = {}

    # -- key index --------------------------------------------------------------------------------
    def _load_series(self, rows: Iterable[Sequence[Any]]) -> None:
        for kid, pdu, key in rows:
            self._ids[(pdu, key)] = int(kid)
            self._keys[int(kid)] = key

    def _ensure_ids(self, cur: Cursor, pairs: set[tuple[str, str]]) -> list[tuple[int, str, str]]:
        """Ids of ``pairs``, adding new series in this transaction; returns the new ones."""
        missing = pairs - self._ids.keys()
        if not missing:
            return []
        cur.execute(self._store._sql(_SERIES))
        self._load_series(cur.fetchall())
        missing -= self._ids.keys()
        if not missing:
            return []
        cur.execute(self._store._sql(_MAX_KEY_ID))
        next_id = int(cur.fetchone()[0]) + 1
        added = []
        for pdu, key in sorted(missing):
            cur.execute(self._store._sql(_INSERT_SERIES), (next_id, pdu, key))
            added.append((next_id, pdu, key))
            next_id += 1
        return added

    def _key_id(self, pdu_id: str, key: str) -> int | None:
        if (pdu_id, key) not in self._ids:
            self._load_series(self._store._query(_SERIES))
        return self._ids.get((pdu_id, key))

    def _decimals(self, block: Block) -> list[int]:
        return [decimals_for(self._keys[int(k)]) for k in block.key_ids]

    # -- blocks -----------------------------------------------------------------------------------
    def _merge(self, cur: Cursor, pdu_id: str, res: Resolution, cells: Cells) -> None:
        """Write ``cells`` over the stored blocks they fall into (unchanged blocks untouched)."""
        sql = self._store._sql
        span, step = BLOCK_SPAN_S[res], res.seconds
        for t0, part in split_by_block(cells, span).items():
            cur.execute(sql(_GET_BLOCK), (res.value, pdu_id, t0))
            row = cur.fetchone()
            old = decode(row[0]) if row is not None else Block.empty(span // step)
            new = old.put(part, t0, step)
            if row is not None and new.same_as(old):
                continue
            data = encode(new, self._decimals(new))
            cur.execute(sql(_UPSERT_BLOCK), (res.value, pdu_id, t0, new.points(), data))

    def write_readings(self, readings: Sequence[Reading]) -> int:
        if not readings:
            return 0
        store = self._store
        pairs = _pairs(readings)
        with store._lock:
            store._check_open()
            try:
                with store._tx() as cur:
                    added = self._ensure_ids(cur, pairs)
                    for kid, pdu, key in added:
                        self._ids[(pdu, key)], self._keys[kid] = kid, key
                    for pdu, cells in reading_cells(readings, self._ids).items():
                        self._merge(cur, pdu, Resolution.S1, cells)
            except BaseException:
                self._ids.clear()  # ids added in a rolled-back transaction are not stored
                self._keys.clear()
                raise
        return len(readings)

    # -- roll-up ----------------------------------------------------------------------------------
    def _rollup_one(self, dst: Resolution, until: int) -> None:
        """Roll ``dst`` up to ``until`` a window at a time: the source blocks are read and
        aggregated outside the lock, each destination block is merged in its own short
        transaction, and the watermark moves last (a crash re-rolls, never skips)."""
        store, src = self._store, _SOURCE[dst]
        state = store._query(_GET_ROLLUP_STATE, (dst.value,))
        if state:
            lo = int(state[0][0]) - _ROLLUP_LOOKBACK[dst]
        else:
            first = store._query(_FIRST_BLOCK, (src.value,))
            if not first or first[0][0] is None:
                return
            lo = int(first[0][0])
        w, window = dst.seconds, _ROLLUP_WINDOW_S[dst]
        lo, hi = (lo // w) * w, (until // w) * w
        if hi <= lo:
            return
        a = lo
        while a < hi:
            b = min(hi, (a // window + 1) * window)
            rows = store._query(_ALL_BLOCKS, (src.value, a - BLOCK_SPAN_S[src], b))
            if not rows:  # skip a gap in one step
                nxt = store._query(_NEXT_BLOCK, (src.value, b))
                if not nxt or nxt[0][0] is None:
                    break
                a = max(b, (int(nxt[0][0]) // w) * w)
                continue
            per_pdu: dict[str, list[Cells]] = defaultdict(list)
            for pdu, t0, data in rows:
                cells = block_cells(decode(data), int(t0), src.seconds)
                per_pdu[pdu].append(cells.take((cells.ts >= a) & (cells.ts < b)))
            for pdu, parts in per_pdu.items():
                buckets = bucket_cells(concat_cells(parts), w)
                with store._lock:
                    store._check_open()
                    with store._tx() as cur:
                        self._merge(cur, pdu, dst, buckets)
            a = b
        store._write(_SET_ROLLUP_STATE, (dst.value, hi))

    def rollup(self, now: datetime) -> None:
        until = to_epoch_s(now)
        self._rollup_one(Resolution.M1, until)
        m1 = self._store._query(_GET_ROLLUP_STATE, (Resolution.M1.value,))
        if m1:  # hours only from minutes already rolled up
            self._rollup_one(Resolution.H1, min(until, int(m1[0][0])))

    # -- retention --------------------------------------------------------------------------------
    def purge(
        self, now: datetime, retention: RetentionPolicy | None = None
    ) -> dict[Resolution, int]:
        policy = retention or RetentionPolicy()
        store = self._store
        out: dict[Resolution, int] = {}
        for res in Resolution:
            last_t0 = to_epoch_s(now - policy.for_resolution(res)) - BLOCK_SPAN_S[res]
            victims = store._query(_EXPIRED, (res.value, last_t0))
            out[res] = sum(int(v[2]) for v in victims)
            for i in range(0, len(victims), PURGE_CHUNK):
                with store._lock:  # released between chunks: event writes get their turn
                    store._check_open()
                    with store._tx() as cur:
                        cur.executemany(
                            store._sql(_DELETE_BLOCK),
                            [(res.value, pdu, t0) for pdu, t0, _ in victims[i : i + PURGE_CHUNK]],
                        )
        return out

    # -- reads ------------------------------------------------------------------------------------
    def history(
        self, pdu_id: str, key: str, start: datetime, end: datetime, step_s: int = 60
    ) -> list[HistoryPoint]:
        kid = self._key_id(pdu_id, key)
        if kid is None:
            return []
        lo, hi = to_epoch_s(start), to_epoch_s(end)
        cells = self._cells(pdu_id, kid, choose_resolution(step_s), lo, hi)
        b = bucket_cells(cells, int(step_s))
        return [
            HistoryPoint(from_epoch_s(t), lo_, avg, hi_, n)
            for t, lo_, avg, hi_, n in zip(
                b.ts.tolist(), b.lo.tolist(), b.avg.tolist(), b.hi.tolist(), b.n.tolist(),
                strict=True,
            )
        ]  # fmt: skip

    def _cells(self, pdu_id: str, kid: int, res: Resolution, lo: int, hi: int) -> Cells:
        """Cells of one key in ``[lo, hi)`` at ``res``; past the roll-up watermark of ``res``
        they come from the next finer resolution (the open block is never re-written for it)."""
        parts = []
        if res is not Resolution.S1:
            state = self._store._query(_GET_ROLLUP_STATE, (res.value,))
            done = int(state[0][0]) if state else lo
            if done < hi:
                parts.append(self._cells(pdu_id, kid, _SOURCE[res], max(lo, done), hi))
                hi = max(lo, done)
        if hi > lo:
            rows = self._store._query(_PDU_BLOCKS, (res.value, pdu_id, lo - BLOCK_SPAN_S[res], hi))
            for t0, data in rows:
                block = decode(data)
                r = int(np.searchsorted(block.key_ids, kid))
                if r == block.key_ids.size or block.key_ids[r] != kid:
                    continue
                one = Block(block.key_ids[r : r + 1], *(a[r : r + 1] for a in _grids(block)))
                cells = block_cells(one, int(t0), res.seconds)
                parts.append(cells.take((cells.ts >= lo) & (cells.ts < hi)))
        return concat_cells(parts)

    def reading_keys(self, pdu_id: str) -> list[str]:
        return [r[0] for r in self._store._query(_KEYS, (pdu_id,))]


def _grids(block: Block) -> tuple[Any, Any, Any, Any]:
    return block.n, block.lo, block.avg, block.hi
