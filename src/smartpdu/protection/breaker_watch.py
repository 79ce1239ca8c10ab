"""Watch one breaker: trip-curve position before a trip, evidence and likely cause after one.

Reuses :class:`TripRiskEstimator` (the twin's own breaker model run on measurements) for the
position, and keeps a short ring of windows so that a trip can be explained: the peak and rms of
the last windows, how long the current had been above the rating, which release it most likely
was (:func:`~smartpdu.protection.trip_cause.classify_trip`: residual current, overcurrent or
unknown) and — for an overcurrent trip only — the outlet whose current rose most (the likely
cause). A residual-current trip never blames an outlet's current.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from smartpdu.protection.trip_cause import TripVerdict, classify_trip
from smartpdu.protection.trip_curves import BreakerSpec, RcboSpec
from smartpdu.protection.trip_risk import (
    TripRiskAssessment,
    TripRiskEstimator,
    TripRiskState,
    TripRiskThresholds,
)

__all__ = [
    "BreakerTrip",
    "BreakerWatch",
    "CauseEstimate",
    "likely_cause",
]


@dataclass(frozen=True, slots=True)
class CauseEstimate:
    outlet_id: str
    rise_a: float
    peak_a: float


def likely_cause(
    history: Mapping[str, Sequence[tuple[float, float]]], *, recent: int = 3
) -> CauseEstimate | None:
    """Name the outlet with the largest current rise: max rms of the last ``recent`` windows
    minus the min rms before them; ties go to the larger peak.

    ``history`` maps outlet id → [(rms, peak)] oldest first.
    """
    best: CauseEstimate | None = None
    best_key = (0.0, 0.0)
    for outlet_id, rows in history.items():
        if not rows:
            continue
        tail = rows[-recent:]
        head = rows[:-recent] or [(0.0, 0.0)]
        rise = max(r for r, _ in tail) - min(r for r, _ in head)
        peak = max(p for _, p in tail)
        key = (round(rise, 3), peak)
        if rise > 0.0 and key > best_key:
            best, best_key = CauseEstimate(outlet_id, rise, peak), key
    return best


@dataclass(frozen=True, slots=True)
class BreakerTrip:
    """Evidence of a breaker seen tripped: peak and rms of the last windows, time over rating."""

    peak_a: float
    rms_a: float
    duration_s: float
    window_s: float
    rating_a: float
    position_pct: float
    cause: CauseEstimate | None
    verdict: TripVerdict


@dataclass(slots=True)
class BreakerWatch:
    """Follow one breaker window by window (typed runtime state, owned by the control plane)."""

    spec: BreakerSpec
    rating_a: float
    thresholds: TripRiskThresholds = field(default_factory=TripRiskThresholds)
    history_windows: int = 25
    estimator: TripRiskEstimator = field(init=False)
    risk: TripRiskState = field(init=False)
    tripped: bool = False
    over_rating_s: float = 0.0
    last_position_pct: float = 0.0
    ring: deque[tuple[float, float, float]] = field(init=False)
    """(rms A, peak A, residual mA) of the last windows."""

    def __post_init__(self) -> None:
        self.estimator = TripRiskEstimator(self.spec, self.thresholds)
        self.risk = self.estimator.initial_state()
        self.ring = deque(maxlen=self.history_windows)

    def update(
        self,
        *,
        state: str,
        i_rms_a: float,
        i_peak_a: float,
        window_s: float,
        residual_ma: float = 0.0,
        neutral_a: float = 0.0,
        outlet_history: Mapping[str, Sequence[tuple[float, float]]] | None = None,
    ) -> tuple[TripRiskAssessment | None, BreakerTrip | None, bool]:
        """Feed one window. Returns (risk assessment while closed, trip evidence on the window
        the breaker is first seen tripped, True on the window it is seen closed again)."""
        self.ring.append((i_rms_a, i_peak_a, residual_ma))
        if state == "tripped":
            if self.tripped:
                return None, None, False
            self.tripped = True
            rows = list(self.ring)
            verdict = classify_trip(
                self.spec.releases,
                self.spec.idn_ma if isinstance(self.spec, RcboSpec) else None,
                rows,
                over_rating_s=self.over_rating_s,
                position_pct=self.last_position_pct,
            )
            trip = BreakerTrip(
                peak_a=max(p for _, p, _ in rows),
                rms_a=max(r for r, _, _ in rows[-3:]),
                duration_s=self.over_rating_s,
                window_s=len(rows) * window_s,
                rating_a=self.rating_a,
                position_pct=self.last_position_pct,
                cause=likely_cause(outlet_history or {}) if verdict.blames_outlet else None,
                verdict=verdict,
            )
            self.over_rating_s = 0.0
            return None, trip, False
        reclosed = self.tripped
        self.tripped = False
        self.over_rating_s = self.over_rating_s + window_s if i_rms_a > self.rating_a else 0.0
        self.risk, risk = self.estimator.update(
            self.risk,
            i_rms_a=i_rms_a,
            i_peak_a=i_peak_a,
            window_s=window_s,
            residual_ma=residual_ma,
            neutral_a=neutral_a,
        )
        self.last_position_pct = risk.position_pct
        return risk, None, reclosed
