"""The analysis window of the metering DSP (harmonic groups are summed in ``kernels.spectral_pass``).

The window is a DFT-periodic 4-term Blackman-Harris: its main lobe is ±4 bins and its sidelobes
are below -92 dB, so with ≥ 8 cycles in the window (bin spacing ≤ f/8) every harmonic's energy
stays inside its own group of ±f/2 and the fundamental leaks < 1e-9 of its energy into group 2.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

__all__ = ["BH4", "MAIN_LOBE_BINS", "window"]

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
