"""Breaker specifications and their trip curves (IEC 60898-1 MCB, IEC 61009 RCBO, LSI MCCB).

Each spec validates itself and precomputes its :class:`Releases` — the handful of numbers
(pickup currents, time constants, definite times) the stepping model in ``breaker_model`` needs,
so a step is a few float operations.

Thermal (long-time) release, shared by MCB and MCCB — a first-order thermal image::

    dθ/dt = ((I / I_p)² − θ) / τ          θ = 0 cold, θ ≥ 1 trips
    t_trip(I, θ0) = τ · ln((x² − θ0) / (x² − 1)),   x = I / I_p > 1;  never if x ≤ 1

``I_p`` (the thermal pickup) sits between the conventional non-tripping and tripping currents,
so the conventional points hold by construction; ``τ`` fixes the time scale. When the current
drops, θ relaxes to the new (lower) level with the same τ: that is the memory and the cooling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "MAGNETIC_BANDS",
    "MAGNETIC_RELEASE_S",
    "MCB_THERMAL_PICKUP_X",
    "MCCB_II_SETTINGS",
    "MCCB_IR_SETTINGS",
    "MCCB_ISD_SETTINGS",
    "MCCB_LONG_TIME_PICKUP_X",
    "MCCB_NEUTRAL_SETTINGS",
    "MCCB_NEUTRAL_T_SETTINGS",
    "MCCB_TR_SETTINGS",
    "MCCB_TSD_SETTINGS",
    "BreakerSpec",
    "Curve",
    "McbSpec",
    "MccbSpec",
    "RcboSpec",
    "Releases",
    "thermal_trip_time_s",
]

Curve = Literal["B", "C", "D"]

MAGNETIC_BANDS: dict[str, tuple[float, float]] = {
    "B": (3.0, 5.0),
    "C": (5.0, 10.0),
    "D": (10.0, 20.0),
}
"""IEC 60898-1 instantaneous-tripping bands in multiples of In: no trip below, trip at or above."""

MAGNETIC_RELEASE_S = 0.01
"""Operating time of a magnetic/instantaneous release once its threshold is reached (half a
50 Hz cycle); well inside the 0.1 s the standard allows."""

MCB_THERMAL_PICKUP_X = 1.28
"""Default thermal pickup of an MCB in multiples of In: the geometric middle of the conventional
non-tripping (1.13) and tripping (1.45) currents, ~13 % margin to each."""

MCB_TAU_DEFAULT_S = 60.0
"""Default MCB thermal time constant: 2.55·In trips in ~17 s from cold, 1.45·In in ~91 s."""

MCCB_LONG_TIME_PICKUP_X = 1.12
"""Long-time pickup of the electronic MCCB release in multiples of IR: between the IEC 60947-2
non-tripping 1.05·IR and the usual 1.20·IR tripping current of electronic trip units."""

# StageSmarts smartPDU main-breaker DIP-switch values (user manual, "Trip current settings").
MCCB_IR_SETTINGS = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)
MCCB_ISD_SETTINGS = (None, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0)
MCCB_II_SETTINGS = (1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0, 12.0)
MCCB_TR_SETTINGS = (3.0, 6.0, 12.0, 18.0)
MCCB_TSD_SETTINGS = (0.1, 0.2, 0.3, 0.4)
MCCB_NEUTRAL_SETTINGS = (None, 0.5, 1.0)
MCCB_NEUTRAL_T_SETTINGS = (0.1, 0.2, 0.3, 0.4)

_IEC_2_55_MAX_S_SMALL = 60.0  # 2.55·In must trip in 1..60 s for In <= 32 A
_IEC_2_55_MAX_S_LARGE = 120.0  # ... and in 1..120 s above 32 A


def thermal_trip_time_s(x2: float, theta0: float, tau_s: float) -> float:
    """Return the time for θ to reach 1 from ``theta0`` at constant (I/I_p)² = ``x2``.

    ``0.0`` if already at or above 1 with current flowing, ``math.inf`` if θ never reaches 1.
    """
    if theta0 >= 1.0:
        return 0.0 if x2 > 0.0 else math.inf
    if x2 <= 1.0:
        return math.inf
    return tau_s * math.log((x2 - theta0) / (x2 - 1.0))


@dataclass(frozen=True, slots=True)
class Releases:
    """The numbers one step of the breaker model needs, precomputed from a spec.

    A ``None`` pickup means that release is absent or switched OFF.
    """

    thermal_pickup_a: float
    tau_s: float
    instantaneous_a: float
    instantaneous_band: Literal["magnetic", "instantaneous"]
    short_time_a: float | None = None
    short_time_s: float = 0.0
    neutral_a: float | None = None
    neutral_s: float = 0.0
    residual_ma: float | None = None
    residual_s: float = 0.0


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


@dataclass(frozen=True, slots=True)
class McbSpec:
    """Miniature circuit breaker per IEC 60898-1: thermal I²t with memory plus a magnetic release.

    ``magnetic_multiple`` is where, inside the curve's band (B 3–5, C 5–10, D 10–20 × In), this
    particular breaker's magnetic release operates; default the band's geometric middle
    (B 3.87, C 7.07, D 14.1), so both band edges hold with margin. ``thermal_tau_s`` must keep
    2.55·In tripping in 1–60 s from cold (1–120 s above 32 A); ``thermal_pickup_x`` must lie
    strictly between the conventional currents 1.13 and 1.45.
    """

    curve: Curve
    rating_a: float
    magnetic_multiple: float | None = None
    thermal_tau_s: float = MCB_TAU_DEFAULT_S
    thermal_pickup_x: float = MCB_THERMAL_PICKUP_X
    releases: Releases = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check(self.curve in MAGNETIC_BANDS, f"curve must be one of B, C, D, got {self.curve!r}")
        _check(
            0.0 < self.rating_a <= 125.0,
            f"rating_a must be in (0, 125] A (IEC 60898-1), got {self.rating_a}",
        )
        lo, hi = MAGNETIC_BANDS[self.curve]
        multiple = math.sqrt(lo * hi) if self.magnetic_multiple is None else self.magnetic_multiple
        _check(
            lo <= multiple <= hi,
            f"magnetic_multiple for curve {self.curve} must be in [{lo}, {hi}] x In, "
            f"got {multiple}",
        )
        k = self.thermal_pickup_x
        _check(1.13 < k < 1.45, f"thermal_pickup_x must be in (1.13, 1.45) x In, got {k}")
        x2 = (2.55 / k) ** 2
        per_tau = math.log(x2 / (x2 - 1.0))  # trip time at 2.55·In from cold, in units of τ
        t_max = _IEC_2_55_MAX_S_SMALL if self.rating_a <= 32.0 else _IEC_2_55_MAX_S_LARGE
        tau_lo, tau_hi = 1.0 / per_tau, t_max / per_tau
        _check(
            tau_lo < self.thermal_tau_s < tau_hi,
            f"thermal_tau_s must be in ({tau_lo:.3g}, {tau_hi:.3g}) s so that 2.55 x In trips "
            f"in 1..{t_max:g} s, got {self.thermal_tau_s}",
        )
        releases = Releases(
            thermal_pickup_a=k * self.rating_a,
            tau_s=self.thermal_tau_s,
            instantaneous_a=multiple * self.rating_a,
            instantaneous_band="magnetic",
        )
        object.__setattr__(self, "releases", releases)

    @property
    def magnetic_a(self) -> float:
        """Equivalent rms current at which the magnetic release operates."""
        return self.releases.instantaneous_a


@dataclass(frozen=True, slots=True)
class RcboSpec:
    """MCB with a residual-current release (IEC 61009-1, general type).

    Residual current at or above ``trip_fraction``·IΔn trips after ``operate_time_s``. The
    standard requires no trip at 0.5·IΔn and a trip at IΔn within 0.3 s (0.04 s at 5·IΔn), hence
    ``trip_fraction`` in (0.5, 1] and ``operate_time_s`` in (0, 0.04].
    """

    mcb: McbSpec
    idn_ma: float = 30.0
    trip_fraction: float = 0.75
    operate_time_s: float = 0.025
    releases: Releases = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check(isinstance(self.mcb, McbSpec), "mcb must be an McbSpec")
        _check(0.0 < self.idn_ma <= 1000.0, f"idn_ma must be in (0, 1000] mA, got {self.idn_ma}")
        _check(
            0.5 < self.trip_fraction <= 1.0,
            f"trip_fraction must be in (0.5, 1] x IΔn, got {self.trip_fraction}",
        )
        _check(
            0.0 < self.operate_time_s <= 0.04,
            f"operate_time_s must be in (0, 0.04] s, got {self.operate_time_s}",
        )
        base = self.mcb.releases
        releases = Releases(
            thermal_pickup_a=base.thermal_pickup_a,
            tau_s=base.tau_s,
            instantaneous_a=base.instantaneous_a,
            instantaneous_band=base.instantaneous_band,
            residual_ma=self.trip_fraction * self.idn_ma,
            residual_s=self.operate_time_s,
        )
        object.__setattr__(self, "releases", releases)

    @property
    def rating_a(self) -> float:
        return self.mcb.rating_a


@dataclass(frozen=True, slots=True)
class MccbSpec:
    """Moulded-case breaker with an electronic LSI(+N) release, StageSmarts DIP semantics.

    All pickups are multiples of the rating In (as in the manual):

    - **L** long time: IR = ``ir_x``·In, inverse-time I²t with thermal memory. Convention:
      ``tr_s`` is the trip time *from cold at 6·IR* (exact); at high multiples t ≈ tR·36/(I/IR)².
      Pickup at 1.12·IR (no trip at 1.05·IR, trip at 1.2·IR).
    - **S** short time: above Isd = ``isd_x``·In, definite time ``tsd_s``; ``isd_x=None`` is OFF.
    - **I** instantaneous: above Ii = ``ii_x``·In, operates in :data:`MAGNETIC_RELEASE_S`.
    - **N** neutral: neutral current above ``neutral_x``·In for ``neutral_t_s`` (definite time, as
      the manual's neutral response-time switch); ``neutral_x=None`` is OFF (factory default).

    Ranges are validated (the DIP values are in ``MCCB_*_SETTINGS``); defaults are the factory
    settings.
    """

    rating_a: float
    ir_x: float = 1.0
    tr_s: float = 6.0
    isd_x: float | None = 6.0
    tsd_s: float = 0.3
    ii_x: float = 10.0
    neutral_x: float | None = None
    neutral_t_s: float = 0.4
    releases: Releases = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check(
            0.0 < self.rating_a <= 6300.0, f"rating_a must be in (0, 6300] A, got {self.rating_a}"
        )
        _check(0.4 <= self.ir_x <= 1.0, f"ir_x must be in [0.4, 1] x In, got {self.ir_x}")
        _check(3.0 <= self.tr_s <= 18.0, f"tr_s must be in [3, 18] s, got {self.tr_s}")
        _check(
            self.isd_x is None or 1.5 <= self.isd_x <= 8.0,
            f"isd_x must be None (OFF) or in [1.5, 8] x In, got {self.isd_x}",
        )
        _check(0.1 <= self.tsd_s <= 0.4, f"tsd_s must be in [0.1, 0.4] s, got {self.tsd_s}")
        _check(1.5 <= self.ii_x <= 12.0, f"ii_x must be in [1.5, 12] x In, got {self.ii_x}")
        _check(
            self.neutral_x is None or 0.5 <= self.neutral_x <= 1.0,
            f"neutral_x must be None (OFF) or in [0.5, 1] x In, got {self.neutral_x}",
        )
        _check(
            0.1 <= self.neutral_t_s <= 0.4,
            f"neutral_t_s must be in [0.1, 0.4] s, got {self.neutral_t_s}",
        )
        x6 = 6.0 / MCCB_LONG_TIME_PICKUP_X
        tau = self.tr_s / math.log(x6 * x6 / (x6 * x6 - 1.0))
        releases = Releases(
            thermal_pickup_a=MCCB_LONG_TIME_PICKUP_X * self.ir_a,
            tau_s=tau,
            instantaneous_a=self.ii_x * self.rating_a,
            instantaneous_band="instantaneous",
            short_time_a=None if self.isd_x is None else self.isd_x * self.rating_a,
            short_time_s=self.tsd_s,
            neutral_a=None if self.neutral_x is None else self.neutral_x * self.rating_a,
            neutral_s=self.neutral_t_s,
        )
        object.__setattr__(self, "releases", releases)

    @property
    def ir_a(self) -> float:
        """Long-time setting IR in amperes."""
        return self.ir_x * self.rating_a


BreakerSpec = McbSpec | RcboSpec | MccbSpec
