"""Fundamental frequency from rising zero crossings of the voltage.

Crossing instants are located by linear interpolation between the samples around each sign change
and a straight line is fitted through (cycle index, crossing time); the slope is the period. The
fit uses every crossing in the window, so per-crossing jitter (noise, interpolation error that
varies with the sampling phase) averages out; harmonics do not bias it because they repeat every
period and shift all crossings equally.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["estimate_frequency"]


def estimate_frequency(
    voltage: npt.NDArray[np.floating], sample_rate_hz: float, nominal_hz: float
) -> float:
    """Return the fundamental frequency of one voltage row in Hz, or NaN if it cannot lock.

    Needs at least three rising crossings; crossings closer than half a nominal period to the
    previous one (noise around zero) are discarded.
    """
    v = np.asarray(voltage, dtype=np.float64)
    v = v - v.mean()
    pos = v >= 0.0
    k = np.flatnonzero(~pos[:-1] & pos[1:])
    if k.size < 3:
        return float("nan")
    v0 = v[k]
    v1 = v[k + 1]
    t = k + v0 / (v0 - v1)  # crossing time in samples
    min_gap = 0.5 * sample_rate_hz / nominal_hz
    gaps = np.diff(t, prepend=-np.inf)
    t = t[gaps >= min_gap]
    if t.size < 3:
        return float("nan")
    period0 = float(t[-1] - t[0]) / (t.size - 1)
    m = np.rint((t - t[0]) / period0)
    mc = m - m.mean()
    denom = float(mc @ mc)
    if denom <= 0.0:
        return float("nan")
    period = float(mc @ (t - t.mean())) / denom
    if not (0.5 * min_gap < period < 4.0 * min_gap):
        return float("nan")
    return sample_rate_hz / period
