"""1 s readings as columns: what the runtime hands the store writer once a minute.

The runtime aggregates ~570 values per second (min/avg/max per stored key); building one
:class:`~smartpdu.storage.records.Reading` object per value every second and having the store
writer take them apart again one by one cost ≈ 0.17 ms of CPU per 200 ms window — a tenth of a
window's budget in a 100× replay. :class:`ReadingColumns` keeps one second as arrays over a key
list, :class:`ReadingBatch` a run of seconds; both are ``Sequence[Reading]`` (a ``Reading`` is
built only when someone indexes or iterates them), and the block store reads their columns
directly (:func:`~smartpdu.storage.readings_sql.reading_cells`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import chain
from typing import overload

import numpy as np
import numpy.typing as npt

from smartpdu.storage.records import Reading

__all__ = ["ReadingBatch", "ReadingColumns"]

F64 = npt.NDArray[np.float64]


class ReadingColumns(Sequence[Reading]):
    """One second's readings: row ``rows[j]`` of ``keys`` with ``avg[j]``, ``lo[j]``, ``hi[j]``."""

    __slots__ = ("avg", "hi", "keys", "lo", "rows", "ts")

    def __init__(
        self,
        ts: datetime,
        keys: tuple[tuple[str, str], ...],
        rows: npt.NDArray[np.intp],
        lo: F64,
        avg: F64,
        hi: F64,
    ) -> None:
        if not rows.shape[0] == lo.shape[0] == avg.shape[0] == hi.shape[0]:
            raise ValueError("one value of each column per row")
        self.ts = ts
        self.keys = keys
        """``(pdu_id, key)`` of the aggregator's layout (shared by every second of it)."""
        self.rows = rows
        """Positions in ``keys`` of the readings present (keys without a value are left out)."""
        self.lo, self.avg, self.hi = lo, avg, hi

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    @overload
    def __getitem__(self, j: int) -> Reading: ...

    @overload
    def __getitem__(self, j: slice) -> Sequence[Reading]: ...

    def __getitem__(self, j: int | slice) -> Reading | Sequence[Reading]:
        if isinstance(j, slice):
            return [self[k] for k in range(*j.indices(len(self)))]
        pdu_id, key = self.keys[int(self.rows[j])]
        return Reading(
            pdu_id=pdu_id,
            key=key,
            ts=self.ts,
            avg=float(self.avg[j]),
            min=float(self.lo[j]),
            max=float(self.hi[j]),
        )

    def __iter__(self) -> Iterator[Reading]:
        return (self[j] for j in range(len(self)))


class ReadingBatch(Sequence[Reading]):
    """Consecutive seconds of readings, in order, as one sequence."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: Sequence[ReadingColumns]) -> None:
        self.seconds = list(seconds)

    def __len__(self) -> int:
        return sum(len(s) for s in self.seconds)

    @overload
    def __getitem__(self, j: int) -> Reading: ...

    @overload
    def __getitem__(self, j: slice) -> Sequence[Reading]: ...

    def __getitem__(self, j: int | slice) -> Reading | Sequence[Reading]:
        if isinstance(j, slice):
            return list(self)[j]
        if j < 0:
            j += len(self)
        for s in self.seconds:
            if 0 <= j < len(s):
                return s[j]
            j -= len(s)
        raise IndexError("reading index out of range")

    def __iter__(self) -> Iterator[Reading]:
        return chain.from_iterable(self.seconds)
