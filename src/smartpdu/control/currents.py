"""The outlets' metered currents of one PDU as arrays, readable as a mapping by outlet id.

The control plane classifies all outlets of a PDU at once (:mod:`smartpdu.protection.
classify_batch`) on the meter's rows; building one :class:`MeteredCurrent` object per outlet per
window only to read them back into arrays cost more than the classification itself. This
mapping keeps the rows (copies taken when built, so later edits of the meter's arrays do not
show) and builds a ``MeteredCurrent`` only for an outlet someone looks up — the scalar path of
an outlet where something happens, or a test.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from smartpdu.metering.flags import flag_tuple
from smartpdu.protection.classify import MeteredCurrent

__all__ = ["OutletCurrents"]

_INDEX: dict[tuple[str, ...], dict[str, int]] = {}
_ROWS: dict[tuple[tuple[str, ...], tuple[str, ...]], npt.NDArray[np.intp] | None] = {}
_MAX = 64


class OutletCurrents(Mapping[str, MeteredCurrent]):
    """Currents as metered (NaN is "no value") and quality flag masks, one row per outlet id."""

    __slots__ = ("flags", "i_peak_a", "i_rms_a", "ids")

    def __init__(
        self,
        ids: tuple[str, ...],
        i_rms_a: npt.NDArray[np.float64],
        i_peak_a: npt.NDArray[np.float64],
        flags: npt.NDArray[np.integer],
    ) -> None:
        if not len(ids) == i_rms_a.shape[0] == i_peak_a.shape[0] == flags.shape[0]:
            raise ValueError("one row per outlet id")
        self.ids = ids
        self.i_rms_a = i_rms_a
        self.i_peak_a = i_peak_a
        self.flags = flags

    def _index(self) -> dict[str, int]:
        index = _INDEX.get(self.ids)
        if index is None:
            if len(_INDEX) >= _MAX:
                _INDEX.clear()
            index = _INDEX[self.ids] = {oid: k for k, oid in enumerate(self.ids)}
        return index

    def __getitem__(self, outlet_id: str) -> MeteredCurrent:
        k = self._index()[outlet_id]
        f = int(self.flags[k])
        return MeteredCurrent(
            float(self.i_rms_a[k]), float(self.i_peak_a[k]), flag_tuple(f) if f else ()
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self, outlet_ids: Sequence[str]) -> npt.NDArray[np.intp] | None:
        """Row of each of ``outlet_ids`` (in that order); None if one of them has no row."""
        key = (self.ids, tuple(outlet_ids))
        if key in _ROWS:
            return _ROWS[key]
        if len(_ROWS) >= _MAX:
            _ROWS.clear()
        index = self._index()
        rows = (
            np.array([index[o] for o in outlet_ids], dtype=np.intp)
            if all(o in index for o in outlet_ids)
            else None
        )
        _ROWS[key] = rows
        return rows
