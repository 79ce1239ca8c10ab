"""Feeds A/B: phase angle, frequency drift, voltage harmonics, sags, loss and lost neutral.

Every waveform in the twin is a sum of odd harmonics of one feed's phase angle θ(t), so one
*basis* per feed and window (rows ``sin(hθ)`` then ``cos(hθ)`` for h in :data:`HARMONICS`) turns
any waveform into a matrix product: a complex harmonic vector ``C`` (``x(t) = Im Σ C_h e^{jhθ}``)
becomes the real coefficient row ``[Re C, Im C]``. Phase k of a wye lags phase L1 by k·120°, so a
harmonic h is rotated by ``e^{-jhk2π/3}`` (:func:`phase_rotation`). The frequency is constant
inside a window and follows a bounded random walk stepped once a second (phase stays
continuous: each window's start phase rotates the coefficients, ``e^{jhθ0}``).

Lost neutral: with the PDU neutral open, the star point of the loads floats to the
admittance-weighted mean of the phase voltages, ``v_N' = Σ w_k v_k`` with ``w_k = Y_k / ΣY``; each
load sees ``v_k − v_N'`` (:func:`star_point_matrix`). Loads are modelled as their equivalent
conductances ``Y_k ∝ P_k`` measured in the previous window — simple, and it reproduces the
classic symptom: the lightly loaded phase swings towards line-to-line voltage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = [
    "DRIFT_STEP_WINDOWS",
    "HARMONICS",
    "N_HARMONICS",
    "FeedState",
    "Supply",
    "phase_rotation",
    "star_point_matrix",
]

HARMONICS = np.arange(1, 32, 2)
"""Odd harmonic orders every twin waveform is built from (1..31)."""
N_HARMONICS = len(HARMONICS)

_VOLTAGE_HARMONIC_SHARE = {3: 0.55, 5: 0.7, 7: 0.45}
"""Relative size of the 3rd/5th/7th voltage harmonics (typical IT-load distortion)."""

DRIFT_STEP_WINDOWS = 5
"""The frequency random walk steps once per second (5 windows): grid frequency moves slowly, and
an unchanged frequency lets the harmonic basis be reused."""

CArray = npt.NDArray[np.complex128]
FArray = npt.NDArray[np.float64]


def phase_rotation(phase: int) -> CArray:
    """Return the per-harmonic factor that moves an L1 waveform to phase ``phase`` (0, 1, 2)."""
    return np.exp(-1j * HARMONICS * (2.0 * math.pi * phase / 3.0))


def star_point_matrix(weights: FArray) -> tuple[FArray, CArray]:
    """Return ``M`` (3×3, ``v_load = M @ v``) and each phase's fundamental phasor ratio.

    ``weights`` are the phase conductances (any scale); all zero means no load, and the star point
    then sits at the centroid. The ratio ``r_k = V'_k / V_k`` carries the magnitude change and
    angle shift the loads of phase k see.
    """
    w = np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    w = w / total if total > 0.0 else np.full(3, 1.0 / 3.0)
    m = np.eye(3) - np.outer(np.ones(3), w)
    a = np.exp(-1j * 2.0 * math.pi * np.arange(3) / 3.0)
    ratio = (m @ a) / a
    return m, ratio


@dataclass(slots=True)
class FeedState:
    """Runtime state of one feed."""

    name: str
    voltage_harmonics: CArray
    """Complex harmonic vector of the L1 voltage relative to its fundamental (``[0] == 1``)."""
    present: bool = True
    offset_hz: float = 0.0
    drift_hz: float = 0.0
    phase_rad: float = 0.0
    sags: list[tuple[float, float, float]] = field(default_factory=list)
    """(start_s, end_s, remaining fraction of nominal voltage)."""


class Supply:
    """The feeds of a rack, advanced one window at a time."""

    def __init__(
        self,
        feeds: tuple[str, ...],
        rng: np.random.Generator,
        *,
        drift_hz: float = 0.05,
        thd_u_pct: float | None = None,
    ) -> None:
        if drift_hz < 0.0:
            raise ValueError(f"drift_hz must be >= 0, got {drift_hz}")
        if thd_u_pct is not None and not 0.0 <= thd_u_pct <= 20.0:
            raise ValueError(f"thd_u_pct must be in [0, 20] %, got {thd_u_pct}")
        self._rng = rng
        self._windows = 0
        self._drift_limit = drift_hz
        self._drift_sigma = drift_hz / 20.0
        self.feeds: dict[str, FeedState] = {}
        self._scratch: dict[tuple[str, int], tuple[tuple[float, float], FArray]] = {}
        for name in feeds:
            thd = rng.uniform(1.0, 4.0) if thd_u_pct is None else thd_u_pct
            vh = np.zeros(N_HARMONICS, dtype=np.complex128)
            vh[0] = 1.0
            shares = np.array(list(_VOLTAGE_HARMONIC_SHARE.values()))
            shares = shares / np.sqrt(np.sum(shares**2))
            for (h, _), s in zip(_VOLTAGE_HARMONIC_SHARE.items(), shares, strict=True):
                vh[(h - 1) // 2] = thd / 100.0 * s * np.exp(1j * rng.uniform(0, 2 * math.pi))
            drift = rng.uniform(-drift_hz, drift_hz) / 2.0 if drift_hz > 0 else 0.0
            self.feeds[name] = FeedState(name, vh, drift_hz=drift)

    def feed(self, name: str) -> FeedState:
        try:
            return self.feeds[name]
        except KeyError:
            raise KeyError(f"no feed {name!r}; known feeds: {sorted(self.feeds)}") from None

    def frequency_hz(self, name: str, nominal_hz: float) -> float:
        f = self.feed(name)
        return nominal_hz + f.offset_hz + f.drift_hz

    def add_sag(self, name: str, start_s: float, depth_pct: float, duration_s: float) -> None:
        if not 0.0 <= depth_pct <= 100.0:
            raise ValueError(f"depth_pct must be in [0, 100] %, got {depth_pct}")
        if duration_s <= 0.0:
            raise ValueError(f"duration_s must be > 0 s, got {duration_s}")
        self.feed(name).sags.append((start_s, start_s + duration_s, 1.0 - depth_pct / 100.0))

    def basis(self, name: str, nominal_hz: float, fs: float, n: int) -> FArray:
        """Return the (2·H, n) basis ``[sin hθ; cos hθ]`` for θ starting at 0 (see module doc).

        The window's start phase is applied to the coefficients instead
        (:meth:`start_rotation`), so the basis only changes with the frequency and is cached
        per feed and length until it does. Callers must not modify it.
        """
        freq = self.frequency_hz(name, nominal_hz)
        key = (name, n)
        hit = self._scratch.get(key)
        if hit is not None and hit[0] == (freq, fs):
            return hit[1]
        w = 2.0 * math.pi * freq / fs
        zs = np.empty((N_HARMONICS, n), dtype=np.complex128)
        np.exp(1j * w * np.arange(n), out=zs[0])
        z2 = zs[0] * zs[0]
        for k in range(1, N_HARMONICS):
            np.multiply(zs[k - 1], z2, out=zs[k])
        out = np.empty((2 * N_HARMONICS, n))
        out[:N_HARMONICS] = zs.imag
        out[N_HARMONICS:] = zs.real
        out.flags.writeable = False
        self._scratch[key] = ((freq, fs), out)
        return out

    def start_rotation(self, name: str) -> CArray:
        """Per-harmonic factor ``e^{jhθ0}`` that moves a θ=0 waveform to this window's start."""
        return np.exp(1j * HARMONICS * self.feed(name).phase_rad)

    def envelope(self, name: str, t0_s: float, fs: float, n: int) -> FArray | None:
        """Per-sample voltage factor of the window from sags, or ``None`` when there is none."""
        f = self.feed(name)
        t1 = t0_s + n / fs
        active = [s for s in f.sags if s[0] < t1 and s[1] > t0_s]
        if not active:
            return None
        env = np.ones(n)
        for start, end, level in active:
            a = max(0, math.ceil((start - t0_s) * fs - 1e-6))
            b = min(n, math.ceil((end - t0_s) * fs - 1e-6))
            np.minimum(env[a:b], level, out=env[a:b])
        return env

    def advance(self, t_end_s: float, dt_s: float, nominal_hz: dict[str, float]) -> None:
        """Move every feed's phase to the end of the window and take one drift step."""
        for name, f in self.feeds.items():
            freq = self.frequency_hz(name, nominal_hz.get(name, 50.0))
            f.phase_rad = (f.phase_rad + 2.0 * math.pi * freq * dt_s) % (2.0 * math.pi)
            if self._drift_limit > 0.0 and self._windows % DRIFT_STEP_WINDOWS == 0:
                d = f.drift_hz + self._rng.normal(0.0, self._drift_sigma)
                lim = self._drift_limit
                if d > lim:
                    d = 2 * lim - d
                elif d < -lim:
                    d = -2 * lim - d
                f.drift_hz = d
            f.sags = [s for s in f.sags if s[1] > t_end_s]
        self._windows += 1
