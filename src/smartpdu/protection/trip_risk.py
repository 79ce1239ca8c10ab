"""Estimate how close a breaker is to tripping, from measured per-window currents.

The estimator runs the very same model as the twin's breaker (:func:`step_breaker`) on the
controller's measurements, so its thermal position follows the real curve, and grades it:

- ``position_pct`` = θ·100 (100 % trips). An MCB carrying exactly In settles at (1/1.28)² ≈ 61 %,
  an MCCB at IR at (1/1.12)² ≈ 80 % — hence default position thresholds of 70 % / 90 %.
- ``time_to_trip_s`` if the window's currents continued. It only counts once the breaker has been
  overloaded (a finite time to trip) for ``min_overload_s``, so one inrush window cannot alarm.

Levels rise at once and fall only past a hysteresis margin *and* after the level's condition
has been absent for ``min_hold_s`` (30 s) without a break, so a load that swings around the
pickup (a GPU node's steps) raises one warning, not one every few seconds::

    raise warning : position ≥ 70 %  or  time_to_trip ≤ 600 s
    raise critical: position ≥ 90 %  or  time_to_trip ≤ 60 s
    keep a level  : position ≥ threshold − 10 %  or  time_to_trip ≤ threshold · 1.5
                    or the keep condition failed for less than min_hold_s
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from smartpdu.protection.breaker_model import (
    BreakerThermalState,
    TripBand,
    TripEvent,
    step_breaker,
    time_to_trip,
)
from smartpdu.protection.trip_curves import BreakerSpec

__all__ = [
    "RiskLevel",
    "TripRiskAssessment",
    "TripRiskEstimator",
    "TripRiskEvidence",
    "TripRiskState",
    "TripRiskThresholds",
]

RiskLevel = Literal["ok", "warning", "critical"]
_RANK: dict[str, int] = {"ok": 0, "warning": 1, "critical": 2}
_LEVELS: tuple[RiskLevel, ...] = ("ok", "warning", "critical")


@dataclass(frozen=True, slots=True)
class TripRiskThresholds:
    """When a breaker's trip risk is a warning or critical, and how far it must fall to clear."""

    warning_position_pct: float = 70.0
    critical_position_pct: float = 90.0
    warning_time_s: float = 600.0
    critical_time_s: float = 60.0
    clear_position_margin_pct: float = 10.0
    clear_time_factor: float = 1.5
    min_overload_s: float = 1.0
    min_hold_s: float = 30.0
    """A raised level falls only after its keep condition has failed this long in a row."""

    def __post_init__(self) -> None:
        if not 0.0 < self.warning_position_pct <= self.critical_position_pct <= 100.0:
            raise ValueError(
                "position thresholds must satisfy 0 < warning_position_pct <= "
                f"critical_position_pct <= 100, got {self.warning_position_pct}, "
                f"{self.critical_position_pct}"
            )
        if not 0.0 <= self.critical_time_s <= self.warning_time_s:
            raise ValueError(
                "time thresholds must satisfy 0 <= critical_time_s <= warning_time_s, got "
                f"{self.critical_time_s}, {self.warning_time_s}"
            )
        if not 0.0 <= self.clear_position_margin_pct < self.warning_position_pct:
            raise ValueError(
                "clear_position_margin_pct must be in [0, warning_position_pct), got "
                f"{self.clear_position_margin_pct}"
            )
        if not self.clear_time_factor >= 1.0:
            raise ValueError(f"clear_time_factor must be >= 1, got {self.clear_time_factor}")
        if not self.min_overload_s >= 0.0:
            raise ValueError(f"min_overload_s must be >= 0 s, got {self.min_overload_s}")
        if not self.min_hold_s >= 0.0:
            raise ValueError(f"min_hold_s must be >= 0 s, got {self.min_hold_s}")


@dataclass(frozen=True, slots=True)
class TripRiskState:
    """What the estimator carries from one window to the next for one breaker."""

    breaker: BreakerThermalState = field(default_factory=BreakerThermalState)
    level: RiskLevel = "ok"
    overload_s: float = 0.0
    falling_s: float = 0.0
    """How long the current level's keep condition has failed in a row."""


@dataclass(frozen=True, slots=True)
class TripRiskEvidence:
    """Event evidence (DESIGN §5): the deciding value against its limit over the window."""

    value: float
    limit: float
    unit: str
    window_s: float
    peak: float


@dataclass(frozen=True, slots=True)
class TripRiskAssessment:
    """One window's verdict for one breaker.

    ``band`` is the release that would trip first if the window's currents continued (``None``:
    none would). ``predicted_trip`` is set when the model itself tripped in this window.
    """

    position_pct: float
    time_to_trip_s: float
    band: TripBand | None
    level: RiskLevel
    previous_level: RiskLevel
    evidence: TripRiskEvidence
    predicted_trip: TripEvent | None = None

    @property
    def changed(self) -> bool:
        return self.level != self.previous_level

    @property
    def raised(self) -> bool:
        """True when the level went up this window (the moment to emit BREAKER_TRIP_RISK)."""
        return _RANK[self.level] > _RANK[self.previous_level]


@dataclass(frozen=True, slots=True)
class TripRiskEstimator:
    """Grade one breaker's trip risk window by window; state passes by value.

    >>> from smartpdu.protection import McbSpec
    >>> est = TripRiskEstimator(McbSpec("C", 16.0))
    >>> state = est.initial_state()
    >>> state, risk = est.update(state, i_rms_a=25.0, i_peak_a=35.4, window_s=0.2)
    """

    spec: BreakerSpec
    thresholds: TripRiskThresholds = field(default_factory=TripRiskThresholds)

    def initial_state(self, theta: float = 0.0) -> TripRiskState:
        """Start from a cold breaker, or from a known thermal position ``theta``."""
        return TripRiskState(breaker=BreakerThermalState(theta=theta))

    def update(
        self,
        state: TripRiskState,
        *,
        i_rms_a: float,
        i_peak_a: float,
        window_s: float,
        residual_ma: float = 0.0,
        neutral_a: float = 0.0,
    ) -> tuple[TripRiskState, TripRiskAssessment]:
        """Feed one measured window; return the new state and the assessment."""
        breaker, trip = step_breaker(
            self.spec,
            state.breaker,
            i_rms_a=i_rms_a,
            i_peak_a=i_peak_a,
            dt_s=window_s,
            residual_ma=residual_ma,
            neutral_a=neutral_a,
        )
        if trip is not None:
            evidence = TripRiskEvidence(trip.value, trip.limit, trip.unit, window_s, i_peak_a)
            new_state = TripRiskState(breaker=breaker, level="critical", overload_s=0.0)
            risk = TripRiskAssessment(
                100.0, 0.0, trip.band, "critical", state.level, evidence, predicted_trip=trip
            )
            return new_state, risk
        pending = time_to_trip(
            self.spec,
            breaker,
            i_rms_a,
            i_peak_a=i_peak_a,
            residual_ma=residual_ma,
            neutral_a=neutral_a,
        )
        ttt = math.inf if pending is None else pending.elapsed_s
        overload_s = state.overload_s + window_s if pending is not None else 0.0
        position = breaker.theta * 100.0
        level = self._level(position, ttt, overload_s, state.level)
        falling_s = 0.0
        if _RANK[level] < _RANK[state.level]:
            falling_s = state.falling_s + window_s
            if falling_s < self.thresholds.min_hold_s - 1e-9:
                level = state.level  # held: not yet long enough below
            else:  # one step down at a time; the next level is held in turn
                falling_s = 0.0
                level = _LEVELS[max(_RANK[level], _RANK[state.level] - 1)]
        if pending is not None:
            evidence = TripRiskEvidence(
                pending.value, pending.limit, pending.unit, window_s, i_peak_a
            )
        else:
            limit = self.spec.releases.thermal_pickup_a
            evidence = TripRiskEvidence(abs(i_rms_a), limit, "A", window_s, i_peak_a)
        risk = TripRiskAssessment(
            position, ttt, None if pending is None else pending.band, level, state.level, evidence
        )
        new_state = TripRiskState(breaker, level, overload_s, falling_s)
        return new_state, risk

    def _level(self, position: float, ttt: float, overload_s: float, prev: RiskLevel) -> RiskLevel:
        th = self.thresholds
        timed = overload_s >= th.min_overload_s
        if position >= th.critical_position_pct or (timed and ttt <= th.critical_time_s):
            raw: RiskLevel = "critical"
        elif position >= th.warning_position_pct or (timed and ttt <= th.warning_time_s):
            raw = "warning"
        else:
            raw = "ok"
        if _RANK[raw] >= _RANK[prev]:
            return raw
        margin = th.clear_position_margin_pct
        factor = th.clear_time_factor
        if prev == "critical" and (
            position >= th.critical_position_pct - margin or ttt <= th.critical_time_s * factor
        ):
            return "critical"
        if position >= th.warning_position_pct - margin or ttt <= th.warning_time_s * factor:
            return "warning"
        return raw
