"""Series-arc features of one window's current samples, every outlet at once (IEC 62606-inspired).

A series arc in a loose or oxidised terminal leaves three marks on the load current:

- **shoulders** (flat spots) at the current zero crossings: the arc extinguishes as the current
  falls and re-ignites only when the source voltage has risen above its re-ignition voltage;
- **broadband high-frequency content** while it burns (the arc column's random fluctuation);
- **half-cycle irregularity**: each half-cycle arcs differently, and some not at all.

Loads that look similar in one of them (a phase-cut dimmer has shoulders, a switch-mode supply
has switching ripple, a motor start changes its amplitude) repeat themselves from cycle to cycle.
So the HF content is taken from the *cycle-to-cycle residual* ``d[k] = x[k] − x[k−N]`` (N samples
per nominal cycle), which cancels every periodic waveform whatever its harmonics, then
differenced once more (``h[k] = d[k] − d[k−1]``, over the window's n − N − 1 samples where it is
defined) to keep only the fast part of what changed (a slow amplitude
change such as a motor's decaying start current is suppressed by ``2·sin(πf/fs)``).

Features per row (``rms``: the row's rms over the window):

- ``hf = rms(h) / rms``. White noise of σ gives ``rms(h) = 2σ``; a periodic signal gives 0.
- ``irregularity``: mean |second difference| of ``Σh²`` over the half-cycle slots (N/2 samples of
  h each), over the slots' mean. A smooth change — a switching ripple's aliased tone beating
  against the cycle difference, a load ramp — has small second differences (0.03–0.25 in the
  twin's look-alikes); an arc that burns in some half-cycles and not in others, or differently
  in each, gives 0.4–2. (Stationary white noise gives ≈ 0.43, but noise alone never passes the
  ``hf`` limit at a current that can sustain an arc.)
- ``shoulder_s``: time per half-cycle the current spends within ``flat_fraction`` of zero, beyond
  what a sine spends there (``2·asin(ε)/π`` of a half-cycle).
- ``asymmetry``: (positive − negative half-wave energy) / total energy (evidence only).

All of it is a handful of vectorised passes over the (rows × n) block. The window must hold at
least two whole cycles; the features need the samples per cycle stated in docs/safety.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["ArcFeatures", "arc_features", "arc_hf", "half_wave_asymmetry", "sine_flat_samples"]

FArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ArcFeatures:
    """One value per current row; NaN where the row carries no current."""

    hf: FArray
    irregularity: FArray
    shoulder_s: FArray
    asymmetry: FArray
    rms_a: FArray
    peak_a: FArray


def sine_flat_samples(spc: int, flat_fraction: float) -> float:
    """Samples per half-cycle a sine spends within ``flat_fraction`` of its peak around zero."""
    return 2.0 * math.asin(flat_fraction) / math.pi * (spc / 2.0)


def _whole_cycles(current: npt.ArrayLike, spc: int) -> npt.NDArray[np.floating]:
    x = np.asarray(current)
    if x.ndim != 2:
        raise ValueError(f"expected (rows, samples), got shape {x.shape}")
    cycles = x.shape[1] // spc
    if cycles < 2 or spc < 8 or spc % 2:
        raise ValueError(
            f"need ≥ 2 cycles of an even number ≥ 8 of samples, got {x.shape[1]} at {spc}/cycle"
        )
    return x[:, : cycles * spc]


def _residual(x: npt.NDArray[np.floating], spc: int) -> npt.NDArray[np.floating]:
    """``h[j] = Δx[k] − Δx[k−N]`` for k = j + N + 1: the differenced cycle-to-cycle residual."""
    dx = np.diff(x, axis=1)
    return dx[:, spc:] - dx[:, :-spc]


def arc_hf(current: npt.ArrayLike, spc: int, rms_a: npt.ArrayLike) -> FArray:
    """Only the ``hf`` feature, for rows whose rms is already known (the meter's): three passes,
    the screen every loaded outlet goes through each window before the full features. Rows
    without current (rms ≤ 0) give 0, rows with a NaN rms NaN."""
    h = _residual(_whole_cycles(current, spc), spc)
    ss = np.vecdot(h, h).astype(np.float64)
    rms = np.asarray(rms_a, dtype=np.float64)
    return np.sqrt(ss / h.shape[1]) / np.where(rms > 0, rms, np.inf)


def half_wave_asymmetry(current: npt.ArrayLike) -> FArray:
    """(positive − negative half-wave energy) / total energy per row (NaN without current)."""
    x = np.asarray(current, dtype=np.float64)
    sq = x * x
    total = sq.sum(axis=1)
    pos = np.where(x > 0, sq, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (2.0 * pos - total) / total, np.nan)


def arc_features(
    current: npt.ArrayLike,
    spc: int,
    fs: float,
    *,
    flat_fraction: float = 0.05,
    rms_a: npt.ArrayLike | None = None,
    peak_a: npt.ArrayLike | None = None,
) -> ArcFeatures:
    """Features of the (rows × n) current samples, ``spc`` samples per nominal cycle at ``fs``.

    ``rms_a``/``peak_a``: the meter's values of the rows, when known (saves two passes);
    ``asymmetry`` is left NaN then — :func:`half_wave_asymmetry` computes it where it is needed.
    """
    x = _whole_cycles(current, spc)
    m, n = x.shape
    cycles = n // spc
    if rms_a is None or peak_a is None:
        rms = np.sqrt(np.vecdot(x, x).astype(np.float64) / n)
        peak = np.abs(x).max(axis=1).astype(np.float64)
        asym = half_wave_asymmetry(x)
    else:
        rms = np.asarray(rms_a, dtype=np.float64)
        peak = np.asarray(peak_a, dtype=np.float64)
        asym = np.full(m, np.nan)
    thr = (flat_fraction * peak).astype(x.dtype)[:, None]
    flat = np.count_nonzero((x < thr) & (x > -thr), axis=1)
    h = _residual(x, spc)
    h2 = np.zeros((m, (cycles - 1) * spc))  # one short of whole cycles: the last slot padded
    np.multiply(h, h, out=h2[:, : h.shape[1]])
    e = h2.reshape(m, 2 * (cycles - 1), spc // 2).sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        live = rms > 0
        hf = np.where(live, np.sqrt(e.sum(axis=1) / h.shape[1]) / rms, np.nan)
        mean_e = e.mean(axis=1)
        step = np.abs(np.diff(e, n=2, axis=1)).mean(axis=1)
        irr = np.where(live & (mean_e > 0), step / mean_e, np.nan)
        extra = flat / (2.0 * cycles) - sine_flat_samples(spc, flat_fraction)
        shoulder = np.where(live, np.maximum(extra, 0.0) / fs, np.nan)
    return ArcFeatures(hf, irr, shoulder, asym, rms, peak)
