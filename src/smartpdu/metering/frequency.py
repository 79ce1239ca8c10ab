"""Fundamental frequency from rising zero crossings of the voltage.

Crossing instants are located by linear interpolation between the samples around each sign change and
a straight line is fitted through (cycle index, crossing time); the slope is the period. The fit
uses every crossing in the window, so per-crossing jitter (noise, interpolation error that varies
with the sampling phase) averages out; harmonics do not bias it because they repeat every period
and shift all crossings equally. The loop is compiled (``kernels.frequency_from_crossings``): the DSP
calls it on every window.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from smartpdu.metering.kernels import frequency_from_crossings

__all__ = ["estimate_frequency"]


def estimate_frequency(
    voltage: npt.NDArray[np.floating], sample_rate_hz: float, nominal_hz: float
) -> float:
    """Return the fundamental frequency of one voltage row in Hz, or NaN if it cannot lock.

    Needs at least three rising crossings of the mean; crossings closer than half a nominal period
    to the previous one (noise around zero) are discarded.
    """
    v = np.ascontiguousarray(voltage, dtype=np.float64).reshape(-1)
    return float(frequency_from_crossings(v, float(sample_rate_hz), float(nominal_hz)))
