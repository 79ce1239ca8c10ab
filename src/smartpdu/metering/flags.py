"""Quality flags that travel with every per-channel value."""

from __future__ import annotations

from enum import IntFlag
from functools import lru_cache

import numpy as np
import numpy.typing as npt

__all__ = ["QualityFlag", "flag_names", "flag_tuple"]


class QualityFlag(IntFlag):
    """Bit mask per channel; stored as an int array so flags stay vectorised."""

    CLIPPING = 1
    """Flat top of ≥3 samples at the peak: the ADC (or sensor) saturated."""
    LOW_SIGNAL = 2
    """RMS below the usable range: PF, cos φ and THD are not meaningful (reported as NaN)."""
    CALIBRATION_DEGRADED = 4
    """Coefficients failed their CRC: raw (unit-gain) values are reported instead."""
    NO_FREQUENCY = 8
    """No usable voltage to lock to: harmonic groups are placed at the nominal frequency."""
    SHORT_WINDOW = 16
    """Fewer than 8 cycles in the window: harmonic groups overlap the window's main lobe."""


def flag_names(mask: int | np.integer | npt.NDArray[np.integer]) -> list[str]:
    """Names (lower snake case) of the flags set in one mask."""
    return list(flag_tuple(int(mask)))


@lru_cache(maxsize=64)
def flag_tuple(mask: int) -> tuple[str, ...]:
    """:func:`flag_names` as a shared tuple, cached per mask: IntFlag arithmetic is slow and
    every channel of every window asks (``()`` for no flag)."""
    return tuple(f.name.lower() for f in QualityFlag if f.name and mask & f)
