"""1 s readings held as columns until they are written: no per-value object in between.

The persist stage gathers a minute of 1 s readings (~290 keys × 60 s for the demo rack) before
handing them to the writer. Held as :class:`~smartpdu.storage.records.Reading` objects, that is
~17,000 garbage-collected objects alive for up to a minute: promoted to the collector's oldest
generation, they made it run a full collection about once a minute (more than a quarter of that
generation was new), each walking them and the rest of the heap not frozen by
:func:`~smartpdu.runtime.heap.freeze_startup_heap` while every thread, the HTTP event loop
included, waits. A :class:`ReadingBatch` keeps each second as one small record of numpy arrays
(arrays are not tracked by the collector: a minute is ~60 tracked objects instead of ~17,000),
is still a ``Sequence[Reading]`` for any reader (a ``Reading`` is made when an item is asked
for and dropped right after), and lets the store build its packed cells straight from the
columns (:meth:`ReadingBatch.seconds`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import chain
from typing import NamedTuple, overload

import numpy as np
import numpy.typing as npt

from smartpdu.storage.records import Reading

__all__ = ["ReadingBatch", "SecondColumns"]

F64 = npt.NDArray[np.float64]


class SecondColumns(NamedTuple):
    """The readings of one second: ``keys[j]`` is ``(pdu_id, key)`` of ``lo/avg/hi[j]``."""

    ts: datetime
    keys: tuple[tuple[str, str], ...]
    lo: F64
    avg: F64
    hi: F64


class ReadingBatch(Sequence[Reading]):
    """An immutable sequence of 1 s readings stored as one :class:`SecondColumns` per second.

    Iterates second by second, in key order within a second, like the list of readings it
    stands for. Keys whose ``avg`` is NaN ("no value all second") are not part of it.
    """

    __slots__ = ("_len", "_seconds")

    def __init__(self, seconds: Sequence[SecondColumns] = ()) -> None:
        self._seconds = tuple(seconds)
        self._len = sum(len(s.keys) for s in self._seconds)

    @classmethod
    def of_second(
        cls,
        ts: datetime,
        keys: tuple[tuple[str, str], ...],
        lo: F64,
        avg: F64,
        hi: F64,
    ) -> ReadingBatch:
        """One second's readings, leaving out the keys whose ``avg`` is NaN."""
        if len(keys) != avg.size or lo.size != avg.size or hi.size != avg.size:
            raise ValueError("keys and columns differ in length")
        ok = ~np.isnan(avg)
        if not ok.all():
            keys = tuple(k for k, keep in zip(keys, ok.tolist(), strict=True) if keep)
            lo, avg, hi = lo[ok], avg[ok], hi[ok]
        if not keys:
            return cls()
        # copies: the caller's accumulators are reused for the next second
        return cls((SecondColumns(ts, keys, lo.copy(), avg.copy(), hi.copy()),))

    @property
    def seconds(self) -> tuple[SecondColumns, ...]:
        """The columns, one entry per second, in order."""
        return self._seconds

    def __add__(self, other: object) -> ReadingBatch:
        if not isinstance(other, ReadingBatch):
            return NotImplemented
        if not other._seconds:
            return self
        if not self._seconds:
            return other
        return ReadingBatch(self._seconds + other._seconds)

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Reading]:
        return chain.from_iterable(map(_readings, self._seconds))

    @overload
    def __getitem__(self, index: int) -> Reading: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Reading]: ...

    def __getitem__(self, index: int | slice) -> Reading | Sequence[Reading]:
        if isinstance(index, slice):
            return list(self)[index]
        i = index + self._len if index < 0 else index
        if not 0 <= i < self._len:
            raise IndexError("ReadingBatch index out of range")
        for s in self._seconds:
            if i < len(s.keys):
                pdu_id, key = s.keys[i]
                return Reading(pdu_id, key, s.ts, float(s.avg[i]), float(s.lo[i]), float(s.hi[i]))
            i -= len(s.keys)
        raise AssertionError("unreachable: index checked against the length")

    def __repr__(self) -> str:
        return f"ReadingBatch({self._len} readings in {len(self._seconds)} seconds)"


def _readings(s: SecondColumns) -> Iterator[Reading]:
    ts = s.ts
    for (pdu_id, key), lo, avg, hi in zip(
        s.keys, s.lo.tolist(), s.avg.tolist(), s.hi.tolist(), strict=True
    ):
        yield Reading(pdu_id, key, ts, avg, lo, hi)
