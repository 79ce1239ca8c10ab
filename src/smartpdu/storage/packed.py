"""Packed reading blocks: one PDU, one resolution, one span of time, every key as numpy arrays.

A block is a dense ``keys × steps`` grid of (n, min, avg, max); ``n == 0`` means "no value".
It is what one row of ``reading_blocks`` holds, so the demo rack writes one row per PDU per
minute of 1 s data instead of one row per key per second (which touched a B-tree leaf per key
every second: 47–76× write amplification on flash).

Layout 1, little endian::

    header  "<BBHH"  layout = 1, reserved, keys K, steps T
    body    zlib( byte planes of zigzag( delta over time( int64[K + 4·K·T + 2·K] ) ) )
            = key ids (delta over keys), then the planes n, avg, min − avg, max − avg, then
              the decimals of each key (−1: the key's values are raw float64 bits), then
              per key 1 if its value planes hold second differences (counters) else 0

Values are stored as integers of ``10**-decimals`` (decimals = the catalogue's display precision
plus one for gauges — 10× finer than any interface shows, below the measurement noise — and
plus two for counters: energy to 10 µWh) when every value
of the key fits exactly below 2**53; otherwise (and for non-finite values) as the raw float64
bits, so nothing is ever clipped. Deltas over time, zigzag and byte planes make the slowly
changing integers mostly zero bytes, which zlib then squeezes. Keys are global ids from the
``reading_series`` table: a new key is a new id, old blocks are never rewritten.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Final

import numpy as np
import numpy.typing as npt

from smartpdu.model.metrics import CATALOGUE, Kind

__all__ = [
    "LAYOUT",
    "Block",
    "Cells",
    "block_cells",
    "bucket_cells",
    "concat_cells",
    "decimals_for",
    "decode",
    "encode",
    "split_by_block",
]

LAYOUT: Final = 1
_HEADER: Final = struct.Struct("<BBHH")
_RAW: Final = -1
_EXACT: Final = float(2**53)
_DEFAULT_DECIMALS: Final = 6

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


@cache
def _catalogue_decimals() -> dict[str, int]:
    out: dict[str, int] = {}
    for m in CATALOGUE:
        extra = 2 if m.kind is Kind.COUNTER else 1
        out[m.key] = max(out.get(m.key, 0), m.precision + extra)
    return out


def decimals_for(key: str) -> int:
    """Stored decimals of a history key (``outlet/7/power_w`` → power's precision + 2)."""
    return _catalogue_decimals().get(key.rsplit("/", 1)[-1], _DEFAULT_DECIMALS)


@dataclass(slots=True)
class Block:
    """A dense grid: ``key_ids`` ascending, arrays ``(K, T)``; values NaN where ``n == 0``."""

    key_ids: I64
    n: I64
    lo: F64
    avg: F64
    hi: F64

    @classmethod
    def empty(cls, steps: int) -> Block:
        z = np.zeros((0, steps))
        return cls(np.zeros(0, np.int64), z.astype(np.int64), z.copy(), z.copy(), z.copy())

    @property
    def steps(self) -> int:
        return int(self.n.shape[1])

    def points(self) -> int:
        """Key-steps holding a value (what a row per key and step used to be)."""
        return int(np.count_nonzero(self.n))

    def with_keys(self, key_ids: I64) -> Block:
        """This block widened to the union of its keys and ``key_ids`` (new rows empty)."""
        union = np.union1d(self.key_ids, key_ids).astype(np.int64)
        if union.size == self.key_ids.size:
            return self
        rows = np.searchsorted(union, self.key_ids)
        shape = (union.size, self.steps)
        out = Block(
            union,
            np.zeros(shape, np.int64),
            np.full(shape, np.nan),
            np.full(shape, np.nan),
            np.full(shape, np.nan),
        )
        out.n[rows], out.lo[rows], out.avg[rows], out.hi[rows] = self.n, self.lo, self.avg, self.hi
        return out

    def put(self, cells: Cells, t0: int, step: int) -> Block:
        """A copy with ``cells`` (times in this block) written over; the last duplicate wins."""
        out = self.with_keys(cells.key_id)
        if out is self:
            out = Block(
                self.key_ids, self.n.copy(), self.lo.copy(), self.avg.copy(), self.hi.copy()
            )
        rows = np.searchsorted(out.key_ids, cells.key_id)
        cols = (cells.ts - t0) // step
        if cols.size and (cols.min() < 0 or cols.max() >= out.steps):
            raise ValueError(f"cells outside the block starting at {t0}")
        out.n[rows, cols] = cells.n
        out.lo[rows, cols], out.avg[rows, cols], out.hi[rows, cols] = cells.lo, cells.avg, cells.hi
        return out

    def same_as(self, other: Block) -> bool:
        return (
            np.array_equal(self.key_ids, other.key_ids)
            and np.array_equal(self.n, other.n)
            and all(
                np.array_equal(a, b, equal_nan=True)
                for a, b in ((self.lo, other.lo), (self.avg, other.avg), (self.hi, other.hi))
            )
        )


@dataclass(slots=True)
class Cells:
    """Flat (key, time) cells: what is written, rolled up or answered; 1-D arrays."""

    key_id: I64
    ts: I64
    n: I64
    lo: F64
    avg: F64
    hi: F64

    def __len__(self) -> int:
        return int(self.key_id.size)

    def take(self, index: npt.NDArray[np.bool_] | I64) -> Cells:
        return Cells(
            self.key_id[index],
            self.ts[index],
            self.n[index],
            self.lo[index],
            self.avg[index],
            self.hi[index],
        )


def _row_decimals(block: Block, wanted: Iterable[int]) -> I64:
    """The wanted decimals per key, or raw where a value would not survive exactly."""
    dec = np.fromiter(wanted, dtype=np.int64, count=block.key_ids.size)
    present = block.n > 0
    bad = np.zeros(dec.size, bool)
    top = np.zeros(dec.size)
    for arr in (block.lo, block.avg, block.hi):
        vals = np.where(present, arr, 0.0)
        finite = np.isfinite(vals)
        bad |= ~finite.all(axis=1)
        if vals.size:
            top = np.maximum(top, np.abs(np.where(finite, vals, 0.0)).max(axis=1))
    with np.errstate(over="ignore"):  # an overflow to inf is exactly "does not fit"
        bad |= top * 10.0 ** np.maximum(dec, 0) >= _EXACT
    return np.where(bad, _RAW, dec)


def _fill_forward(ints: I64, present: npt.NDArray[np.bool_]) -> I64:
    """Repeat the last present value over gaps so their deltas are zero bytes."""
    idx = np.where(present, np.arange(ints.shape[1]), 0)
    np.maximum.accumulate(idx, axis=1, out=idx)
    return np.take_along_axis(ints, idx, axis=1)


def _to_ints(values: F64, present: npt.NDArray[np.bool_], dec: I64) -> I64:
    raw = (dec == _RAW)[:, None]
    vals = np.where(present, values, 0.0)
    scaled = np.rint(np.where(raw, 0.0, vals) * 10.0 ** np.maximum(dec, 0)[:, None])
    return np.where(raw, vals.view(np.int64), scaled.astype(np.int64))


def _from_ints(ints: I64, dec: I64) -> F64:
    raw = (dec == _RAW)[:, None]
    return np.where(raw, ints.view(np.float64), ints / 10.0 ** np.maximum(dec, 0)[:, None])


def encode(block: Block, decimals: Iterable[int]) -> bytes:
    """Pack ``block``; ``decimals`` per key (same order as ``key_ids``), see module docstring."""
    k, t = block.n.shape
    dec = _row_decimals(block, decimals)
    present = block.n > 0
    planes = np.zeros((4, k, t), np.int64)
    planes[0] = block.n
    a = _to_ints(block.avg, present, dec)
    planes[1] = a
    planes[2] = _to_ints(block.lo, present, dec) - a
    planes[3] = _to_ints(block.hi, present, dec) - a
    if k and t:
        for p in (1, 2, 3):
            planes[p] = _fill_forward(planes[p], present)
    planes[:, :, 1:] = np.diff(planes, axis=2)
    # counters rise steadily: their second differences are the small numbers
    order2 = np.zeros(k, bool)
    if t > 2:
        step = planes[1, :, 1:]
        order2 = np.abs(np.diff(step, axis=1)).sum(axis=1) < np.abs(step[:, 1:]).sum(axis=1)
        sel = planes[1:, order2, 1:]
        sel[..., 1:] = np.diff(sel, axis=-1)
        planes[1:, order2, 1:] = sel
    ids = np.diff(block.key_ids, prepend=0)
    flat = np.concatenate([ids, planes.ravel(), dec, order2.astype(np.int64)])
    zz = (flat << 1) ^ (flat >> 63)  # zigzag: small negatives become small positives
    shuffled = zz.astype("<i8").view(np.uint8).reshape(-1, 8).T.tobytes()
    return _HEADER.pack(LAYOUT, 0, k, t) + zlib.compress(shuffled, 6)


def decode(data: bytes) -> Block:
    """Unpack a block written by :func:`encode` (any layout this version knows)."""
    layout, _, k, t = _HEADER.unpack_from(data)
    if layout != LAYOUT:
        raise ValueError(f"reading block layout {layout} is unknown to this version")
    raw = np.frombuffer(zlib.decompress(bytes(data[_HEADER.size :])), np.uint8)
    zz = raw.reshape(8, -1).T.copy().view("<u8").ravel().astype(np.uint64)
    flat = (zz >> np.uint64(1)).view(np.int64) ^ -((zz & np.uint64(1)).view(np.int64))
    ids = np.cumsum(flat[:k])
    planes = flat[k : k + 4 * k * t].reshape(4, k, t).copy()
    dec = flat[k + 4 * k * t : k + 4 * k * t + k]
    order2 = flat[k + 4 * k * t + k :].astype(bool)
    if order2.any():
        planes[1:, order2, 1:] = np.cumsum(planes[1:, order2, 1:], axis=-1)
    planes = np.cumsum(planes, axis=2)
    n = planes[0]
    present = n > 0
    a = planes[1]
    lo, avg, hi = (
        np.where(present, _from_ints(p, dec), np.nan) for p in (planes[2] + a, a, planes[3] + a)
    )
    return Block(ids.astype(np.int64), n.astype(np.int64), lo, avg, hi)


def block_cells(block: Block, t0: int, step: int) -> Cells:
    """The present cells of a block, ordered by key then time."""
    rows, cols = np.nonzero(block.n > 0)
    return Cells(
        block.key_ids[rows],
        (t0 + cols * step).astype(np.int64),
        block.n[rows, cols],
        block.lo[rows, cols],
        block.avg[rows, cols],
        block.hi[rows, cols],
    )


def bucket_cells(cells: Cells, width: int) -> Cells:
    """Aggregate cells into ``width``-second buckets per key: min, n-weighted avg, max, Σn.

    Ordered by key then bucket start — the history query and the roll-up in one place.
    """
    if not len(cells):
        return cells
    bucket = (cells.ts // width) * width
    order = np.lexsort((bucket, cells.key_id))
    kid, bucket = cells.key_id[order], bucket[order]
    c = cells.take(order)
    new = np.ones(kid.size, bool)
    new[1:] = (kid[1:] != kid[:-1]) | (bucket[1:] != bucket[:-1])
    starts = np.flatnonzero(new)
    n = np.add.reduceat(c.n, starts)
    weighted = np.add.reduceat(c.avg * c.n, starts)
    return Cells(
        kid[starts],
        bucket[starts],
        n,
        np.minimum.reduceat(c.lo, starts),
        weighted / n,
        np.maximum.reduceat(c.hi, starts),
    )


def split_by_block(cells: Cells, span: int) -> dict[int, Cells]:
    """Cells grouped by the start of the ``span``-second block they fall into."""
    if not len(cells):
        return {}
    t0 = (cells.ts // span) * span
    return {int(b): cells.take(t0 == b) for b in np.unique(t0)}


def concat_cells(parts: Iterable[Cells]) -> Cells:
    items = list(parts)
    if not items:
        z = np.zeros(0, np.int64)
        return Cells(z, z.copy(), z.copy(), z.astype(float), z.astype(float), z.astype(float))
    return Cells(*(np.concatenate([getattr(c, f) for c in items]) for f in Cells.__slots__))
