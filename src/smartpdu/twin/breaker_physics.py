"""The twin's own protective devices: bimetal, magnetic armature, residual toroid, electronic LSI.

This is the *physics* the controller's breaker model (its ``protection`` package) tries to
predict, so it is written independently of it, in physical terms, with each manufactured device a
little off its nominal design: a wrong controller model then shows up as a mismatch instead of
agreeing with itself.

- **Bimetal** (MCB/RCBO thermal release, first-order): the heater dissipates ``I²·R_h``; the strip's
  temperature rise ``ΔT`` above ambient follows ``C·dΔT/dt = I²·R_h − ΔT/R_th``, i.e. it heats
  towards ``I²·R_h·R_th`` and cools with ``τ = R_th·C``. The latch releases when ``ΔT`` reaches the
  calibrated deflection ``ΔT_trip``. Its memory is ``ΔT`` itself (a warm strip trips sooner).
- **Magnetic armature** (MCB curves B/C/D) and the MCCB's **instantaneous** release: pulled in as
  soon as the *instantaneous* current reaches the threshold's peak ``√2·I_m``; the contacts open a
  mechanical ``release_delay_s`` later.
- **Electronic long time** (MCCB L): the trip unit's digital thermal image, same first-order law in
  per-unit of its pickup (``ΔT_trip = 1``), τ set from the tR dial (trip time at 6·IR from cold).
- **Short time / neutral / residual**: definite-time releases: the quantity must stay at or above
  the pickup for the set time (the timer survives window boundaries, resets when it drops).

Tolerances (a device's position inside them is drawn once per device from the rack seed, see
:class:`Tolerance`): bimetal calibration ±8 % of ``ΔT_trip`` (±4 % on the pickup current), thermal
capacity ±20 %, magnetic threshold anywhere in the middle 70 % of the curve's band (log scale),
armature travel 5–11 ms, residual pickup 0.6–0.9·IΔn after 15–35 ms, electronic pickups ±10 %,
long-time pickup 1.085–1.165·IR, tR ±15 %, tsd and neutral time −10 %…0.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from smartpdu.config.models import BreakerConfig, MccbConfig
from smartpdu.twin.sample_stats import mean_square, row_peak

__all__ = [
    "CURVE_BANDS",
    "BreakerPhysics",
    "PhysicsState",
    "Release",
    "ReleaseBand",
    "Tolerance",
    "cool",
    "first_crossing_s",
    "mcb_physics",
    "mccb_physics",
    "step_device",
    "step_physics",
]

FArray = npt.NDArray[np.float64]
Samples = npt.NDArray[np.floating]
ReleaseBand = Literal["thermal", "magnetic", "short_time", "instantaneous", "residual", "neutral"]

CURVE_BANDS: dict[str, tuple[float, float]] = {"B": (3.0, 5.0), "C": (5.0, 10.0), "D": (10.0, 20.0)}
"""Where a manufacturer places the magnetic release of each curve, in multiples of In."""

_SQRT2 = math.sqrt(2.0)

# Nominal MCB design: pickup 1.30·In, τ 45 s (2.55·In trips in ≈14 s from cold).
_MCB_PICKUP_X = 1.30
_MCB_TAU_S = 45.0
_BIMETAL_TRIP_RISE_K = 80.0  # strip rise above ambient at which the latch lets go
_HEATER_MOHM_AT_16A = 6.0  # heater resistance scales ~1/In (thicker strip for larger ratings)
_MCB_DELAY_S = 0.008
_MCCB_PICKUP_X = 1.125  # electronic long-time pickup, multiples of IR
_MCCB_DELAY_S = 0.008


@dataclass(frozen=True, slots=True)
class Tolerance:
    """Where one manufactured device sits in each tolerance band, each in [-1, 1] (0 = nominal)."""

    calibration: float = 0.0
    capacity: float = 0.0
    magnetic: float = 0.0
    delay: float = 0.0
    residual: float = 0.0
    residual_delay: float = 0.0

    @classmethod
    def draw(cls, seed: int, device: str) -> Tolerance:
        """Deterministic per (seed, device name), independent of which other devices exist."""
        rng = np.random.default_rng([seed, zlib.crc32(device.encode())])
        return cls(*(float(x) for x in rng.uniform(-1.0, 1.0, 6)))


@dataclass(frozen=True, slots=True)
class BreakerPhysics:
    """One device's physical parameters. A ``None`` pickup means the release is absent/OFF.

    The thermal release is ``heater_ohm``/``r_th_k_per_w``/``capacity_j_per_k``/``trip_rise_k``;
    for an electronic unit the "heater" is 1/pickup² and ``trip_rise_k`` is 1 (per unit).
    """

    kind: Literal["MCB", "RCBO", "MCCB"]
    rating_a: float
    heater_ohm: float
    r_th_k_per_w: float
    capacity_j_per_k: float
    trip_rise_k: float
    magnetic_a: float
    magnetic_band: Literal["magnetic", "instantaneous"]
    release_delay_s: float
    short_time_a: float | None = None
    short_time_s: float = 0.0
    neutral_a: float | None = None
    neutral_s: float = 0.0
    residual_ma: float | None = None
    residual_s: float = 0.0

    @property
    def tau_s(self) -> float:
        return self.r_th_k_per_w * self.capacity_j_per_k

    @property
    def thermal_pickup_a(self) -> float:
        """Current whose steady temperature rise just reaches the trip deflection."""
        return math.sqrt(self.trip_rise_k / (self.heater_ohm * self.r_th_k_per_w))


@dataclass(frozen=True, slots=True)
class PhysicsState:
    """What a device remembers: thermal rise (K, or per unit) and the definite-time timers (s)."""

    rise: float = 0.0
    short_time_s: float = 0.0
    neutral_s: float = 0.0
    residual_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Release:
    """A release operated ``at_s`` after the start of the step: which one, value against limit."""

    band: ReleaseBand
    value: float
    limit: float
    unit: str
    at_s: float


def _bimetal(rating_a: float, pickup_x: float, tau_s: float, tol: Tolerance) -> dict[str, float]:
    trip_rise = _BIMETAL_TRIP_RISE_K * (1.0 + 0.08 * tol.calibration)
    heater = _HEATER_MOHM_AT_16A * 1e-3 * 16.0 / rating_a
    # Designed so the *nominal* strip trips at pickup_x·In; calibration error moves ΔT_trip only.
    r_th = _BIMETAL_TRIP_RISE_K / ((pickup_x * rating_a) ** 2 * heater)
    capacity = tau_s * (1.0 + 0.2 * tol.capacity) / r_th
    return {
        "heater_ohm": heater,
        "r_th_k_per_w": r_th,
        "capacity_j_per_k": capacity,
        "trip_rise_k": trip_rise,
    }


def mcb_physics(cfg: BreakerConfig, tol: Tolerance = Tolerance()) -> BreakerPhysics:
    """An MCB (or RCBO with its residual toroid) built to the branch's config."""
    rating = float(cfg.rating_a)
    lo, hi = CURVE_BANDS[cfg.curve]
    position = 0.5 + 0.35 * tol.magnetic  # middle 70 % of the band, log scale
    residual = cfg.kind == "RCBO"
    return BreakerPhysics(
        kind=cfg.kind,
        rating_a=rating,
        **_bimetal(rating, _MCB_PICKUP_X, _MCB_TAU_S, tol),
        magnetic_a=lo * (hi / lo) ** position * rating,
        magnetic_band="magnetic",
        release_delay_s=_MCB_DELAY_S + 0.003 * tol.delay,
        residual_ma=(0.75 + 0.15 * tol.residual) * float(cfg.residual_ma) if residual else None,
        residual_s=0.025 + 0.010 * tol.residual_delay,
    )


def mccb_physics(
    cfg: MccbConfig | None, rating_a: float, tol: Tolerance = Tolerance()
) -> BreakerPhysics:
    """The inlet MCCB's electronic LSI(+N) unit; ``None`` is the factory DIP setting."""
    c = MccbConfig() if cfg is None else cfg
    rating = float(rating_a)
    ir_a = float(c.ir_x) * rating
    pickup_a = (_MCCB_PICKUP_X + 0.04 * tol.calibration) * ir_a
    x6 = 6.0 * ir_a / pickup_a
    tau = float(c.tr_s) * (1.0 + 0.15 * tol.capacity) / math.log(x6 * x6 / (x6 * x6 - 1.0))
    spread = 1.0 + 0.10 * tol.magnetic  # pickups of one unit share its current-sensor error
    return BreakerPhysics(
        kind="MCCB",
        rating_a=rating,
        heater_ohm=1.0 / pickup_a**2,
        r_th_k_per_w=1.0,
        capacity_j_per_k=tau,
        trip_rise_k=1.0,
        magnetic_a=float(c.ii_x) * rating * spread,
        magnetic_band="instantaneous",
        release_delay_s=_MCCB_DELAY_S + 0.003 * tol.delay,
        short_time_a=None if c.isd_x is None else float(c.isd_x) * rating * spread,
        short_time_s=float(c.tsd_s) * (1.0 - 0.10 * abs(tol.residual_delay)),
        neutral_a=None if c.neutral_x is None else float(c.neutral_x) * rating * spread,
        neutral_s=float(c.neutral_t_s) * (1.0 - 0.10 * abs(tol.residual_delay)),
    )


def first_crossing_s(current: Samples, limit_a: float, fs: float) -> float:
    """Seconds into the step at which any row's |i| first reaches ``√2·limit_a`` (inf if never)."""
    rows = current.reshape(-1, current.shape[-1])
    hits = np.flatnonzero(np.any(np.abs(rows) >= _SQRT2 * limit_a, axis=0))
    return float(hits[0] / fs) if len(hits) else math.inf


def step_physics(
    dev: BreakerPhysics,
    state: PhysicsState,
    current: Samples,
    fs: float,
    dt_s: float,
    *,
    residual_ma: float = 0.0,
    neutral: Samples | None = None,
) -> tuple[PhysicsState, Release | None]:
    """Advance a *closed* device by one step of samples ``current`` (one row, or one per pole).

    Returns the state at the end of the step (cooling after the opening, if it opened) and the
    release that opened it, if any. Multi-pole: the thermal and short-time releases act on the
    most loaded pole, the instantaneous on the first pole to reach its threshold.
    """
    rows = current.reshape(-1, current.shape[-1])
    i_rms = math.sqrt(float(mean_square(rows).max()))
    peak = float(row_peak(rows).max())
    t_cross = (
        first_crossing_s(rows, dev.magnetic_a, fs) if peak >= _SQRT2 * dev.magnetic_a else math.inf
    )
    i_n = 0.0 if neutral is None else math.sqrt(float(mean_square(neutral)))
    return step_device(
        dev,
        state,
        dt_s,
        i_rms=i_rms,
        i_peak=peak,
        t_cross_s=t_cross,
        residual_ma=residual_ma,
        neutral_a=i_n,
    )


def step_device(
    dev: BreakerPhysics,
    state: PhysicsState,
    dt_s: float,
    *,
    i_rms: float,
    i_peak: float,
    t_cross_s: float,
    residual_ma: float = 0.0,
    neutral_a: float = 0.0,
) -> tuple[PhysicsState, Release | None]:
    """:func:`step_physics` on the step's figures: rms of the most loaded pole, highest |i|, and
    when |i| first reached the magnetic threshold's peak (inf if never)."""
    # Release times as plain floats; a Release is built only for the one that opens (cheap when
    # nothing trips, which is almost every step). Ties go to the first in this order.
    inf = math.inf
    t_mag = min(t_cross_s + dev.release_delay_s, dt_s) if t_cross_s < inf else inf
    st_on = dev.short_time_a is not None and i_rms >= dev.short_time_a
    n_on = dev.neutral_a is not None and neutral_a >= dev.neutral_a
    res_on = dev.residual_ma is not None and residual_ma >= dev.residual_ma
    t_st = max(dev.short_time_s - state.short_time_s, 0.0) if st_on else inf
    t_n = max(dev.neutral_s - state.neutral_s, 0.0) if n_on else inf
    t_res = max(dev.residual_s - state.residual_s, 0.0) if res_on else inf
    tau = dev.r_th_k_per_w * dev.capacity_j_per_k
    steady = i_rms * i_rms * dev.heater_ohm * dev.r_th_k_per_w
    if state.rise >= dev.trip_rise_k and i_rms > 0.0:
        t_th = 0.0  # a strip still bent past its latch point opens at once
    elif steady > dev.trip_rise_k:
        t_th = tau * math.log((steady - state.rise) / (steady - dev.trip_rise_k))
    else:
        t_th = inf
    t = min(t_mag, t_st, t_n, t_res, t_th)
    if t <= dt_s:
        first = _release(dev, t, (t_mag, t_st, t_n, t_res), i_rms, i_peak, neutral_a, residual_ma)
        rise_at = steady + (state.rise - steady) * math.exp(-t / tau)
        if first.band == "thermal":
            rise_at = max(rise_at, dev.trip_rise_k)
        return PhysicsState(rise_at * math.exp(-(dt_s - t) / tau)), first
    rise = steady + (state.rise - steady) * math.exp(-dt_s / tau)
    return (
        PhysicsState(
            rise,
            state.short_time_s + dt_s if st_on else 0.0,
            state.neutral_s + dt_s if n_on else 0.0,
            state.residual_s + dt_s if res_on else 0.0,
        ),
        None,
    )


def _release(
    dev: BreakerPhysics,
    t: float,
    times: tuple[float, float, float, float],
    i_rms: float,
    i_peak: float,
    neutral_a: float,
    residual_ma: float,
) -> Release:
    """The release that opens at ``t`` (the first of magnetic, short time, neutral, residual,
    thermal whose time is ``t``)."""
    t_mag, t_st, t_n, t_res = times
    if t_mag == t:
        return Release(dev.magnetic_band, i_peak / _SQRT2, dev.magnetic_a, "A", t)
    if t_st == t and dev.short_time_a is not None:
        return Release("short_time", i_rms, dev.short_time_a, "A", t)
    if t_n == t and dev.neutral_a is not None:
        return Release("neutral", neutral_a, dev.neutral_a, "A", t)
    if t_res == t and dev.residual_ma is not None:
        return Release("residual", residual_ma, dev.residual_ma, "mA", t)
    return Release("thermal", i_rms, dev.thermal_pickup_a, "A", t)


def cool(dev: BreakerPhysics, state: PhysicsState, dt_s: float) -> PhysicsState:
    """An open device: no current, the strip (or the image) cools; timers reset."""
    return PhysicsState(state.rise * math.exp(-dt_s / dev.tau_s))
