"""A series arc in one outlet terminal, and three loads that resemble it in one way or another.

**Series arc** (loose or oxidised terminal, the late stage of the hotspot story). Per half-cycle
of the load current, with probability ``0.35 + 0.6·intensity`` the half-cycle arcs (intermittent):

- the arc extinguishes shortly before the current zero (``0.35·t_flat``) and re-ignites only when
  the source voltage exceeds the re-ignition voltage ``V_re``: a flat spot ("shoulder") of
  ``t_flat = asin(V_re/V̂)/ω`` after the crossing. ``V_re = (30 + 120·intensity)·(0.6 + 0.8·u)`` V,
  25 % higher in positive half-cycles (electrode polarity: half-cycle asymmetry);
- while burning, the arc voltage (≈ 25 V) lowers the current by ``V_arc/V̂`` and its column's
  random fluctuation adds broadband noise of ``(0.03 + 0.12·intensity)`` × the local peak;
- the re-strike discharges the wiring capacitance: a spike of ``0.3·intensity`` × the peak.

**Look-alikes** (counter-examples the detector must not call arcs):

- ``smps_ripple``: the switching ripple of a power supply (default 65.3 kHz, ±0.5 % slow drift)
  left after the front end's anti-alias filter, aliased into the sampled band, ``ripple_pct`` of the
  current's peak, following the current's envelope;
- ``dimmer``: a leading-edge phase-cut dimmer: no current from each zero crossing until the firing
  angle, then the load current (a hard shoulder every half-cycle, perfectly regular);
- ``motor_start``: a motor's start current, ``ratio`` × the running current decaying with ``tau``
  (repeated every ``period`` if given).

Every random draw comes from the generator the twin hands over (seeded).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["ArcFault", "LookAlike", "apply_arc", "apply_look_alike", "half_cycles"]

FArray = npt.NDArray[np.float64]
SArray = npt.NDArray[np.float32]

V_ARC_V = 25.0


def half_cycles(x: npt.ArrayLike) -> list[tuple[int, int, bool, bool]]:
    """Half-cycle segments ``(start, stop, starts_at_crossing, ends_at_crossing)`` of ``x``."""
    s = np.asarray(x) >= 0
    cross = (np.flatnonzero(s[1:] != s[:-1]) + 1).tolist()
    bounds = [0, *cross, len(s)]
    out = []
    for j in range(len(bounds) - 1):
        a, b = bounds[j], bounds[j + 1]
        if b > a:
            out.append((a, b, j > 0, j < len(bounds) - 2))
    return out


@dataclass(slots=True)
class ArcFault:
    outlet: int
    """Global outlet index (twin topology)."""
    intensity: float
    until_s: float


def apply_arc(
    x: SArray, fs: float, f0: float, v_peak: float, intensity: float, rng: np.random.Generator
) -> None:
    """Turn the load current ``x`` (one outlet row) into an arcing current, in place."""
    src = x.astype(np.float64)
    peak = float(np.abs(src).max()) if src.size else 0.0
    if peak <= 0.0:
        return
    out = src.copy()
    p_arc = min(1.0, 0.35 + 0.6 * intensity)
    for a, b, at_start, at_end in half_cycles(src):
        u = rng.random(4)
        if u[0] > p_arc:
            continue
        positive = src[(a + b) // 2] >= 0
        v_re = (30.0 + 120.0 * intensity) * (0.6 + 0.8 * u[1]) * (1.25 if positive else 1.0)
        t_flat = math.asin(min(v_re / v_peak, 0.9)) / (2.0 * math.pi * f0)
        n_flat = round(t_flat * fs) if at_start else 0
        n_pre = round(0.35 * t_flat * fs) if at_end else 0
        c0, c1 = a + n_flat, max(a + n_flat, b - n_pre)
        out[a:c0] = 0.0
        out[c1:b] = 0.0
        if c1 > c0:
            seg = out[c0:c1]
            local = float(np.abs(seg).max())
            seg *= 1.0 - V_ARC_V * (1.0 + 0.5 * u[2]) / v_peak
            seg += rng.normal(0.0, (0.03 + 0.12 * intensity) * local, seg.size)
            if at_start:
                seg[0] += (1.0 if positive else -1.0) * 0.3 * intensity * peak * (0.5 + u[3])
    x[:] = out.astype(x.dtype)


@dataclass(slots=True)
class LookAlike:
    outlet: int
    kind: str
    """``smps_ripple``, ``dimmer`` or ``motor_start``."""
    start_s: float
    until_s: float
    ripple_pct: float = 3.0
    switching_hz: float = 65300.0
    firing_deg: float = 90.0
    ratio: float = 6.0
    tau_s: float = 0.8
    period_s: float | None = None


def _phase_cut(src: FArray, fs: float, spc: int, firing_deg: float) -> FArray:
    """Conduction weight 0..1 per sample of a leading-edge dimmer firing ``firing_deg`` after each
    zero crossing. Crossings are interpolated and the edge sample is weighted by the part of its
    sample period after the firing instant (an integrating ADC), so the edge moves smoothly with
    the mains frequency instead of jumping a whole sample now and then."""
    s = src >= 0
    k = np.flatnonzero(s[1:] != s[:-1])
    if not k.size:
        return np.ones_like(src)
    frac = src[k] / (src[k] - src[k + 1])
    tc = (k + frac).tolist()  # crossing times in samples
    half = spc / 2.0
    tc = [tc[0] - half, *tc]
    delay = firing_deg / 180.0 * half
    idx = np.arange(src.size, dtype=np.float64)
    w = np.ones_like(src)
    for c in tc:
        fire = c + delay
        lo, hi = max(0, math.floor(c) + 1), min(src.size, math.ceil(fire) + 1)
        if hi > lo:
            w[lo:hi] = np.minimum(w[lo:hi], np.clip(idx[lo:hi] + 0.5 - fire, 0.0, 1.0))
    return w


def apply_look_alike(x: SArray, t0: float, fs: float, spc: int, la: LookAlike) -> None:
    """Add the look-alike's signature to one outlet row ``x`` (window starting at ``t0``)."""
    src = x.astype(np.float64)
    peak = float(np.abs(src).max()) if src.size else 0.0
    if peak <= 0.0:
        return
    t = t0 + np.arange(src.size) / fs
    if la.kind == "smps_ripple":
        # f_sw·(1 + 0.005·sin(2πt/7 s)), integrated to a phase
        drift = 7.0 * 0.005 / (2.0 * np.pi) * np.cos(2.0 * np.pi * t / 7.0)
        phase = 2.0 * np.pi * la.switching_hz * (t - drift)
        env = 0.5 + 0.5 * np.abs(src) / peak
        out = src + la.ripple_pct / 100.0 * peak * env * np.sin(phase)
    elif la.kind == "dimmer":
        out = src * _phase_cut(src, fs, spc, la.firing_deg)
    elif la.kind == "motor_start":
        since = t - la.start_s
        if la.period_s:
            since = np.mod(since, la.period_s)
        out = src * (1.0 + (la.ratio - 1.0) * np.exp(-np.maximum(since, 0.0) / la.tau_s))
    else:  # pragma: no cover - validated by the scenario model
        raise ValueError(f"unknown look-alike {la.kind!r}")
    x[:] = out.astype(x.dtype)
