"""Surges on a feed, clipped by each PDU's surge protective device (SPD).

Physics (IEC 61000-4-5 style):

- the **open-circuit surge** is a double exponential ``V̂·(e^{−t/τ2} − e^{−t/τ1})/norm`` on top of
  the mains, with ``τ1 = rise/2.96`` and ``τ2 = duration/ln 2`` (≈ a 1.2/50 µs wave for the
  defaults: front ≈ 1.2 µs, time to half value 52 µs — the approximation puts it 5 % late); its
  source impedance is ``SOURCE_OHM`` (2 Ω, the combination-wave generator's);
- the **SPD** is a metal-oxide varistor at the PDU inlet, ``I = I_c·(|V|/V_c)^α`` with ``V_c``
  the step's let-through (clamping) voltage at ``I_c = MOV_REF_A``; the terminal voltage solves
  ``v + Z_s·I(v) = v_oc`` (Newton from above on a convex, increasing function: monotone);
- the **energy** the varistor absorbs, ``∫ v·I dt``, is integrated on a fine grid (the twin's
  truth, logged with each pulse) while the ADC sees only the samples at the block's rate and the
  front end's analog **peak detector** sees the true peak of the window.

A ``surge`` step may be a burst: ``count`` pulses ``interval`` apart. Where in the window the
first pulse starts is drawn from the twin's seeded generator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "MOV_ALPHA",
    "MOV_REF_A",
    "SOURCE_OHM",
    "Pulse",
    "mov_clamp",
    "pulse_energy_j",
    "surge_shape",
]

FArray = npt.NDArray[np.float64]

SOURCE_OHM = 2.0
MOV_REF_A = 100.0
MOV_ALPHA = 30.0
_TAIL = 12.0
"""A pulse is over after this many τ2 (e^-12 ≈ 6e-6 of its peak)."""


def _taus(rise_s: float, duration_s: float) -> tuple[float, float]:
    tau1, tau2 = rise_s / 2.96, duration_s / math.log(2.0)
    if not 0.0 < tau1 < tau2:
        raise ValueError("a surge needs 0 < rise < duration")
    return tau1, tau2


def surge_shape(t: npt.ArrayLike, rise_s: float, duration_s: float) -> FArray:
    """Unit-peak double exponential at times ``t`` after the pulse start (0 before it)."""
    tau1, tau2 = _taus(rise_s, duration_s)
    t_pk = math.log(tau2 / tau1) * tau1 * tau2 / (tau2 - tau1)
    norm = math.exp(-t_pk / tau2) - math.exp(-t_pk / tau1)
    tt = np.asarray(t, dtype=np.float64)
    pos = np.maximum(tt, 0.0)
    return np.where(tt >= 0.0, (np.exp(-pos / tau2) - np.exp(-pos / tau1)) / norm, 0.0)


def peak_time_s(rise_s: float, duration_s: float) -> float:
    tau1, tau2 = _taus(rise_s, duration_s)
    return math.log(tau2 / tau1) * tau1 * tau2 / (tau2 - tau1)


def mov_clamp(
    v_oc: npt.ArrayLike,
    clamp_v: float,
    *,
    source_ohm: float = SOURCE_OHM,
    ref_a: float = MOV_REF_A,
    alpha: float = MOV_ALPHA,
) -> tuple[FArray, FArray]:
    """Terminal voltage and varistor current for open-circuit voltages ``v_oc`` (signed)."""
    u = np.abs(np.asarray(v_oc, dtype=np.float64))
    k = source_ohm * ref_a
    v = np.minimum(u, clamp_v * np.power(u / k, 1.0 / alpha))  # both bound the root from above
    for _ in range(200):
        x = np.power(v / clamp_v, alpha)
        g = v + k * x - u
        if float(np.max(np.abs(g), initial=0.0)) < 1e-9 * max(1.0, float(u.max(initial=0.0))):
            break
        v = v - g / (1.0 + k * alpha * x / np.maximum(v, 1e-300))
    i = ref_a * np.power(v / clamp_v, alpha)
    sign = np.sign(np.asarray(v_oc, dtype=np.float64))
    return sign * v, sign * i


def pulse_energy_j(
    mains_t: FArray,
    mains_v: FArray,
    peak_v: float,
    rise_s: float,
    duration_s: float,
    clamp_v: float,
) -> tuple[float, float]:
    """(terminal peak |v|, varistor energy J) of one pulse on a fine time grid: the twin's truth.

    ``mains_t``/``mains_v``: the mains samples around the pulse, times relative to its start
    (interpolated on the grid, held beyond their ends).
    """
    _, tau2 = _taus(rise_s, duration_s)
    end = _TAIL * tau2
    t = np.concatenate([np.linspace(0.0, 20 * rise_s, 2001), np.linspace(20 * rise_s, end, 8001)])
    v_oc = np.interp(t, mains_t, mains_v) + peak_v * surge_shape(t, rise_s, duration_s)
    v, i = mov_clamp(v_oc, clamp_v)
    p = v * i
    energy = float(np.sum(0.5 * (p[1:] + p[:-1]) * np.diff(t)))
    return float(np.abs(v).max()), energy


@dataclass(slots=True)
class Pulse:
    """One surge pulse on one feed."""

    feed: str
    phases: tuple[int, ...] | None
    """Voltage rows hit (None: every phase)."""
    start_s: float
    peak_v: float
    rise_s: float
    duration_s: float
    clamp_v: float

    @property
    def end_s(self) -> float:
        return self.start_s + _TAIL * _taus(self.rise_s, self.duration_s)[1]

    def apply(self, v: npt.NDArray[np.float32], t0: float, fs: float) -> dict[int, float]:
        """Add the clamped pulse to the rows of ``v`` (window starting at ``t0``) in place.

        Returns the true terminal peak |v| per row hit, where the pulse peaks in this window.
        """
        n = v.shape[1]
        k0 = max(0, math.ceil((self.start_s - t0) * fs))
        k1 = min(n, math.floor((self.end_s - t0) * fs) + 1)
        rows = range(v.shape[0]) if self.phases is None else self.phases
        t_pk = self.start_s + peak_time_s(self.rise_s, self.duration_s)
        peaks: dict[int, float] = {}
        shape = None
        if k1 > k0:
            tk = t0 + np.arange(k0, k1) / fs - self.start_s
            shape = self.peak_v * surge_shape(tk, self.rise_s, self.duration_s)
        for r in rows:
            if r >= v.shape[0]:
                continue
            mains = v[r].astype(np.float64)
            if shape is not None:
                clamped, _ = mov_clamp(mains[k0:k1] + shape, self.clamp_v)
                v[r, k0:k1] = clamped.astype(v.dtype)
            if t0 <= t_pk < t0 + n / fs:
                at = float(np.interp((t_pk - t0) * fs, np.arange(n), mains))
                top, _ = mov_clamp(np.array([at + self.peak_v]), self.clamp_v)
                peaks[r] = abs(float(top[0]))
        return peaks
