"""Row extremes and flat-top (clipping) detection for the voltage and current blocks.

Two reductions per block (argmax, argmin) touch every sample; everything else is a gather of three
samples per row side, so the cost stays at two passes whatever the channel count.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["extremes"]


@lru_cache(maxsize=32)
def _row_offsets(rows: int, n: int) -> npt.NDArray[np.intp]:
    """Flat index of each row start, twice (max side, min side)."""
    base = np.arange(rows, dtype=np.intp) * n
    out = np.concatenate((base, base))
    out.setflags(write=False)
    return out


_NEXT = np.arange(3, dtype=np.intp)[:, None]


def extremes(
    v: npt.NDArray[Any], i: npt.NDArray[Any]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Extremes and flat-top flags laid out as [v max | v min | i max | i min].

    A row clips if ≥3 consecutive samples sit at its max or min: argmax/argmin return the first
    extreme, so a flat top shows as the next two samples equal to it; one gather per array reads
    all three for both sides of every row.
    """
    n_v, n = v.shape
    idx_v = np.concatenate((v.argmax(1), v.argmin(1)))
    idx_i = np.concatenate((i.argmax(1), i.argmin(1)))
    vals = np.concatenate(
        (
            v.reshape(-1)[np.minimum(idx_v + _NEXT, n - 1) + _row_offsets(n_v, n)],
            i.reshape(-1)[np.minimum(idx_i + _NEXT, n - 1) + _row_offsets(i.shape[0], n)],
        ),
        axis=1,
    )
    if vals.dtype != np.float64:
        vals = vals.astype(np.float64)
    peak = vals[0]
    tol = 1e-9 * np.abs(peak)
    flat = (np.abs(vals[1:] - peak).max(axis=0) <= tol) & (tol > 0)
    flat &= np.concatenate((idx_v, idx_i)) <= n - 3
    return peak, flat
