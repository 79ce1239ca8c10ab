"""Fundamental frequency from rising zero crossings of the voltage.

Crossing instants are located by linear interpolation between the samples around each sign change
and a straight line is fitted through (cycle index, crossing time); the slope is the period. The
fit uses every crossing in the window, so per-crossing jitter (noise, interpolation error that
varies with the sampling phase) averages out; harmonics do not bias it because they repeat every
period and shift all crossings equally.

Only the crossing search touches every sample (three numpy passes); the fit runs on the ~10
crossing times in plain Python, which is cheaper than a dozen tiny numpy calls.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import numpy.typing as npt

__all__ = ["estimate_frequency"]


def estimate_frequency(
    voltage: npt.NDArray[np.floating], sample_rate_hz: float, nominal_hz: float
) -> float:
    """Return the fundamental frequency of one voltage row in Hz, or NaN if it cannot lock.

    Needs at least three rising crossings of the mean; crossings closer than half a nominal period
    to the previous one (noise around zero) are discarded.
    """
    v = np.asarray(voltage, dtype=np.float64)
    if v.size < 2:
        return float("nan")
    level = float(np.add.reduce(v)) / v.size
    pos = v >= level
    k = np.flatnonzero(pos[1:] > pos[:-1])  # v[k] < level <= v[k+1]
    if k.size < 3:
        return float("nan")
    v0 = v[k] - level
    crossings = (k + v0 / (v0 - (v[k + 1] - level))).tolist()  # crossing times in samples
    min_gap = 0.5 * sample_rate_hz / nominal_hz
    t = [crossings[0]]
    t += [b for a, b in pairwise(crossings) if b - a >= min_gap]
    count = len(t)
    if count < 3:
        return float("nan")
    t0 = t[0]
    period0 = (t[-1] - t0) / (count - 1)
    m = [round((x - t0) / period0) for x in t]
    m_mean = sum(m) / count
    t_mean = sum(t) / count
    denom = sum((a - m_mean) ** 2 for a in m)
    if denom <= 0.0:
        return float("nan")
    period = sum((a - m_mean) * (b - t_mean) for a, b in zip(m, t, strict=True)) / denom
    if not (0.5 * min_gap < period < 4.0 * min_gap):
        return float("nan")
    return sample_rate_hz / period
