"""Risk score of a rack, 0–100, with the factors that make it up (pure, no I/O).

Each factor turns one analytic into points between 0 and its cap; the points combine like
independent probabilities ("noisy OR")::

    score = 100 · (1 − Π (1 − points_i / 100))

so one factor alone can reach its cap, several moderate ones add up without exceeding 100, and a
healthy rack scores 0. ``ramp(x, a, b)`` is 0 below a, 1 above b, linear between.

| factor | points |
|---|---|
| alarms | 30 per critical + 8 per warning active alarm, at most 60 |
| residual current | 40·ramp(value/critical, 1/3, 1) + 20·ramp(30 − days to critical, 0, 30) |
| hotspot | 60·ramp(estimated R / alert limit, 0.5, 1) |
| redundancy | 20 if a device is miswired + 40·ramp(worst failover load %, 80, 100) |
| breaker trip risk | 50·ramp(highest trip-curve position %, 50, 100) |
| climate | 40·ramp(5 − dew-point margin K, 0, 5) + 30·ramp(inlet °C − 27, 0, 5) |
| fire | 50 at pre-alarm, 100 at alarm |
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from smartpdu.model.snapshot import RiskFactor, RiskScore

__all__ = ["RiskFactor", "RiskInputs", "RiskScore", "ramp", "risk_score"]


def ramp(x: float | None, a: float, b: float) -> float:
    """0 below ``a``, 1 above ``b``, linear between; 0 for a missing value."""
    if x is None or not math.isfinite(x):
        return 0.0
    return min(1.0, max(0.0, (x - a) / (b - a)))


@dataclass(frozen=True, slots=True)
class RiskInputs:
    critical_alarms: int = 0
    warning_alarms: int = 0
    residual_ratio: float | None = None
    """Highest residual current / its critical level."""
    residual_days_to_critical: float | None = None
    hotspot_ratio: float | None = None
    """Highest estimated contact resistance / its alert limit."""
    miswired_devices: int = 0
    failover_pct: float | None = None
    """Worst projected branch/phase load % if one feed failed."""
    trip_risk_pct: float | None = None
    dew_point_margin_c: float | None = None
    inlet_temp_c: float | None = None
    fire_level: int = 0
    """0 normal, 1 pre-alarm, 2 alarm."""


def _fmt(x: float | None, unit: str = "", digits: int = 1) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.{digits}f}{unit}"


def risk_score(x: RiskInputs) -> RiskScore:
    """The score and every factor (zero-point factors included, so the formula is visible)."""
    factors = [
        RiskFactor("alarms", min(60.0, 30.0 * x.critical_alarms + 8.0 * x.warning_alarms),
                   f"{x.critical_alarms} critical, {x.warning_alarms} warning active"),
        RiskFactor("residual_current",
                   40.0 * ramp(x.residual_ratio, 1 / 3, 1.0)
                   + 20.0 * ramp(None if x.residual_days_to_critical is None
                                 else 30.0 - x.residual_days_to_critical, 0.0, 30.0),
                   f"highest {_fmt(x.residual_ratio and 100 * x.residual_ratio, ' %', 0)} of "
                   f"critical, forecast {_fmt(x.residual_days_to_critical, ' days')}"),
        RiskFactor("hotspot", 60.0 * ramp(x.hotspot_ratio, 0.5, 1.0),
                   f"highest contact resistance at "
                   f"{_fmt(x.hotspot_ratio and 100 * x.hotspot_ratio, ' %', 0)} of its limit"),
        RiskFactor("redundancy",
                   (20.0 if x.miswired_devices else 0.0) + 40.0 * ramp(x.failover_pct, 80, 100),
                   f"{x.miswired_devices} miswired device(s), worst failover load "
                   f"{_fmt(x.failover_pct, ' %', 0)}"),
        RiskFactor("breaker_trip_risk", 50.0 * ramp(x.trip_risk_pct, 50, 100),
                   f"highest trip-curve position {_fmt(x.trip_risk_pct, ' %', 0)}"),
        RiskFactor("climate",
                   40.0 * ramp(None if x.dew_point_margin_c is None
                               else 5.0 - x.dew_point_margin_c, 0.0, 5.0)
                   + 30.0 * ramp(None if x.inlet_temp_c is None else x.inlet_temp_c - 27.0,
                                 0.0, 5.0),
                   f"dew-point margin {_fmt(x.dew_point_margin_c, ' K')}, inlet "
                   f"{_fmt(x.inlet_temp_c, ' °C')}"),
        RiskFactor("fire", (0.0, 50.0, 100.0)[max(0, min(2, x.fire_level))],
                   ("normal", "pre-alarm", "alarm")[max(0, min(2, x.fire_level))]),
    ]  # fmt: skip
    keep = 1.0
    for f in factors:
        keep *= 1.0 - min(100.0, max(0.0, f.points)) / 100.0
    return RiskScore(round(100.0 * (1.0 - keep), 1), tuple(factors))
