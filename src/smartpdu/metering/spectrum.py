"""Window function and IEC 61000-4-7 style harmonic groups on a frequency-tracked spectrum.

The window is a DFT-periodic 4-term Blackman-Harris: its main lobe is ±4 bins and its sidelobes
are below -92 dB, so with ≥ 8 cycles in the window (bin spacing ≤ f/8) every harmonic's energy
stays inside its own group of ±f/2 and the fundamental leaks < 1e-9 of its energy into group 2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

__all__ = ["BH4", "MAIN_LOBE_BINS", "GroupPlan", "group_plan", "window"]

BH4 = (0.35875, 0.48829, 0.14128, 0.01168)
MAIN_LOBE_BINS = 4

FloatArray = npt.NDArray[np.float64]


@lru_cache(maxsize=16)
def window(n: int) -> tuple[FloatArray, float, FloatArray]:
    """Return (w, Σw², rfft(w)[:4]) for a window of n samples (cached: fixed block sizes)."""
    x = 2.0 * np.pi * np.arange(n) / n
    a0, a1, a2, a3 = BH4
    w = a0 - a1 * np.cos(x) + a2 * np.cos(2 * x) - a3 * np.cos(3 * x)
    w.setflags(write=False)
    dc_bins = n * np.array([a0, -a1 / 2, a2 / 2, -a3 / 2])
    return w, float(w @ w), dc_bins


@dataclass(frozen=True, slots=True)
class GroupPlan:
    """Group g sums ``weights[g, 0, s] * power[start + g·step + s]`` over slots s < width.

    The windows are equally spaced (``step`` = nearest integer to the group width in bins), so a
    strided *view* of the power array serves every group without copying it, and one batched
    matmul sums every group of every channel. ``width`` covers the group plus the drift between
    the integer step and the true (fractional) group width; slots outside a group weigh 0.
    """

    start: int
    step: int
    width: int
    weights: FloatArray

    @property
    def rows_needed(self) -> int:
        """Rows the power array must have after the first bin (zero-padded beyond the last)."""
        return self.start + (self.weights.shape[0] - 1) * self.step + self.width


@lru_cache(maxsize=8)
def _centres(n_groups: int) -> FloatArray:
    out: FloatArray = np.arange(n_groups + 1, dtype=np.float64) + 0.5
    out.setflags(write=False)
    return out


@lru_cache(maxsize=64)
def _slots(n_groups: int, step: int, start: int, width: int) -> tuple[FloatArray, FloatArray]:
    """Lower and upper bin edge of every slot, (G, W) each (cached: integer layout)."""
    lower = ((np.arange(n_groups) * step + start)[:, None] + np.arange(width)).astype(np.float64)
    upper = lower + 1.0
    lower.setflags(write=False)
    upper.setflags(write=False)
    return lower, upper


def group_plan(cycles: float, n_groups: int, nb: int, front: int) -> GroupPlan:
    """Groups 1..n_groups around h·cycles bins: group h spans [(h-½)·cycles, (h+½)·cycles).

    Bin k covers [k-½, k+½); an edge inside a bin splits it linearly, which gives the IEC half
    weight to a bin centred exactly on a group boundary. ``start`` may be negative down to
    ``-front`` (zero rows the caller keeps before bin 0); if the layout would need more, as when
    many groups lie beyond Nyquist (short blocks), every group spans all bins instead (slow, but
    only in that degenerate case).
    """
    x = _centres(n_groups) * cycles
    x += 0.5  # edges in "bin + ½" units: bin k covers [k, k+1)
    step = max(1, round(cycles))
    # slot layout from the integer parts; x[g] - g·step is linear in g, so its extremes are at
    # the ends (clipping at Nyquist below keeps it concave: the minimum stays at an end)
    last = (n_groups - 1) * step
    top = nb - 1e-9
    width = int(max(1.5 * cycles + 0.5, (n_groups + 0.5) * cycles + 0.5 - last))
    start = math.floor(
        min(min(top, 0.5 * cycles + 0.5), min(top, (n_groups - 0.5) * cycles + 0.5) - last)
    )
    if x[-1] > top:  # groups beyond Nyquist: short blocks / low sample rates
        np.minimum(x, top, out=x)
    width += 1 - start
    if start < -front:
        step, start, width = 0, 0, nb
    lower, upper = _slots(n_groups, step, start, width)
    weights = np.minimum(upper, x[1:, None])
    weights -= np.maximum(lower, x[:-1, None])
    np.maximum(weights, 0.0, out=weights)
    return GroupPlan(start, step, width, weights[:, None, :])
