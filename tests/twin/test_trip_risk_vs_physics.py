"""The controller's trip-risk estimator against the twin's *physical* breakers, not its own model.

``tests/protection/test_trip_risk.py`` races the estimator against the controller's breaker model
itself; here the breaker is the twin's bimetal with manufacturing tolerances, so a controller
model that is off (pickup, time constant) shows up as a late or missing warning.
"""

from __future__ import annotations

import math

import pytest

from smartpdu.config.models import BreakerConfig
from smartpdu.protection import McbSpec, TripRiskEstimator
from smartpdu.twin.breaker_physics import PhysicsState, Tolerance, mcb_physics, step_device

SQRT2 = math.sqrt(2.0)
DT = 0.2


def _race(seed: int, ramp_s: float) -> tuple[dict[str, float], float | None]:
    dev = mcb_physics(BreakerConfig(curve="C", rating_a=16.0), Tolerance.draw(seed, "C16"))
    est = TripRiskEstimator(McbSpec("C", 16.0))
    risk_state, state = est.initial_state(), PhysicsState()
    first: dict[str, float] = {}
    for k in range(int(7200 / DT)):
        t = k * DT
        i = 16.0 * min(0.5 + 1.1 * t / ramp_s, 1.6)  # slow overload to 1.6 x In, then held
        state, release = step_device(dev, state, DT, i_rms=i, i_peak=i * SQRT2, t_cross_s=math.inf)
        if release is not None:
            return first, t + release.at_s
        risk_state, risk = est.update(risk_state, i_rms_a=i, i_peak_a=i * SQRT2, window_s=DT)
        if risk.raised:
            first.setdefault(risk.level, t + DT)
    return first, None


@pytest.mark.parametrize("ramp_s", [300.0, 1800.0])
def test_estimator_warns_before_every_manufactured_breaker_trips(ramp_s: float) -> None:
    for seed in range(20):
        first, tripped_at = _race(seed, ramp_s)
        assert tripped_at is not None
        assert "warning" in first and "critical" in first, (seed, first)
        # Lead times measured on 30 devices: >= 35 s warning / 13 s critical at a 5 min ramp.
        assert tripped_at - first["warning"] > 20.0, (seed, first, tripped_at)
        assert tripped_at - first["critical"] > 5.0, (seed, first, tripped_at)
