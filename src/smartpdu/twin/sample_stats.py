"""Per-row statistics of sample windows, written for the twin's per-window hot path.

The ufuncs are called directly (``np.vecdot``, ``np.maximum.reduce``): on rows of a few thousand
float32 samples the Python wrappers of ``np.einsum``/``np.max``/``np.mean`` cost as much as the
arithmetic.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["mean_square", "row_peak"]

Samples = npt.NDArray[np.floating]


def mean_square(x: Samples) -> npt.NDArray[np.float64]:
    """Mean of ``x²`` along the last axis (a scalar array for one row), in float64."""
    return np.vecdot(x, x).astype(np.float64) / x.shape[-1]


def row_peak(x: Samples) -> Samples:
    """Largest ``|x|`` along the last axis."""
    return np.maximum.reduce(np.abs(x), axis=-1)
