"""Surge features of one window's voltage samples: peak, steepest slope, SPD let-through energy.

Pure functions on plain arrays (phases × n), so they are tested against analytic waveforms. The
cheap part (two reductions per phase) runs every window; the energy only where a phase exceeded
its threshold.

Energy: the SPD is a varistor, ``I = I_c·(|V|/V_c)^α`` (its datasheet's clamping point and
exponent), so the energy it absorbs is ``∫ |v|·I(v) dt``, summed over the samples above the
threshold — when at least ``MIN_SAMPLED`` samples are and the samples saw the peak. A surge shorter
than a few sample periods (1.2/50 µs lightning against 156 µs at 6.4 kS/s) leaves at most a sample
on its tail; then the energy is estimated from the peak (the front end's peak detector where the
hardware has one, else the highest sample: a lower bound) with an energy-equivalent pulse width.
The varistor current is capped at its rated maximum (docs/safety.md, "sample rate").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["SurgeFeatures", "spd_current_a", "surge_features"]

FArray = npt.NDArray[np.float64]

MIN_SAMPLED = 3
"""Samples above the threshold needed to integrate the energy from the samples."""
_MISSED = 1.05
"""Peak detector above the sampled peak by more than this factor: the samples missed the peak."""


@dataclass(frozen=True, slots=True)
class SurgeFeatures:
    """Per phase of one window."""

    peak_v: FArray
    """Highest |v|: the samples or, when the hardware has one, the analog peak detector."""
    dvdt_v_per_s: FArray
    """Steepest slope between two consecutive samples."""
    energy_j: FArray
    """Energy the SPD absorbed (0 where no sample or peak exceeded the threshold)."""
    samples_above: npt.NDArray[np.intp]


def spd_current_a(
    v: npt.ArrayLike,
    clamp_v: float,
    clamp_current_a: float,
    alpha: float,
    max_current_a: float = math.inf,
) -> FArray:
    """Varistor current at voltage ``v`` (A, magnitude), at most ``max_current_a``."""
    x = np.abs(np.asarray(v, dtype=np.float64)) / clamp_v
    return np.minimum(clamp_current_a * np.power(x, alpha), max_current_a)


def surge_features(
    voltage: npt.ArrayLike,
    fs: float,
    threshold_v: float,
    *,
    clamp_v: float,
    clamp_current_a: float,
    alpha: float,
    pulse_equivalent_s: float,
    max_current_a: float = math.inf,
    peak_detector_v: npt.ArrayLike | None = None,
) -> SurgeFeatures:
    """Surge features of the (phases × n) voltage rows sampled at ``fs``."""
    v = np.asarray(voltage)
    n_ph = v.shape[0]
    sampled = np.abs(v).max(axis=1).astype(np.float64) if v.shape[1] else np.zeros(n_ph)
    if v.shape[1] > 1:
        dvdt = np.abs(np.diff(v, axis=1)).max(axis=1).astype(np.float64) * fs
    else:
        dvdt = np.zeros(n_ph)
    peak = sampled
    if peak_detector_v is not None:
        peak = np.maximum(sampled, np.asarray(peak_detector_v, dtype=np.float64))
    energy = np.zeros(n_ph)
    above = np.zeros(n_ph, dtype=np.intp)
    for k in np.flatnonzero(peak > threshold_v).tolist():
        row = np.asarray(v[k], dtype=np.float64)
        hot = row[np.abs(row) > threshold_v]
        above[k] = hot.size
        if hot.size >= MIN_SAMPLED and peak[k] <= _MISSED * sampled[k]:
            i_hot = spd_current_a(hot, clamp_v, clamp_current_a, alpha, max_current_a)
            energy[k] = float(np.sum(np.abs(hot) * i_hot)) / fs
        else:  # a pulse shorter than a few sample periods: one sample is no rectangle of fs⁻¹
            i_pk = float(spd_current_a(peak[k], clamp_v, clamp_current_a, alpha, max_current_a))
            energy[k] = float(peak[k]) * i_pk * pulse_equivalent_s
    return SurgeFeatures(peak, dvdt, energy, above)
