"""Risk score (issue 13 item 12): the documented formula on plain inputs."""

from __future__ import annotations

import pytest

from smartpdu.analytics import RiskInputs, ramp, risk_score


def _points(score, name: str) -> float:  # type: ignore[no-untyped-def]
    return next(f.points for f in score.factors if f.name == name)


def test_a_healthy_rack_scores_zero_and_lists_every_factor() -> None:
    s = risk_score(RiskInputs(residual_ratio=0.1, hotspot_ratio=0.2, failover_pct=50,
                              trip_risk_pct=10, dew_point_margin_c=12, inlet_temp_c=22))  # fmt: skip
    assert s.score == 0.0
    names = [f.name for f in s.factors]
    assert names == ["alarms", "residual_current", "hotspot", "redundancy",
                     "breaker_trip_risk", "climate", "fire"]  # fmt: skip


def test_factor_points_follow_the_documented_ramps() -> None:
    s = risk_score(RiskInputs(warning_alarms=2, critical_alarms=1, residual_ratio=2 / 3,
                              residual_days_to_critical=15, hotspot_ratio=0.75,
                              miswired_devices=1, failover_pct=90, trip_risk_pct=75,
                              dew_point_margin_c=2.5, inlet_temp_c=29.5))  # fmt: skip
    assert _points(s, "alarms") == pytest.approx(30 + 16)
    assert _points(s, "residual_current") == pytest.approx(40 * 0.5 + 20 * 0.5)
    assert _points(s, "hotspot") == pytest.approx(30)
    assert _points(s, "redundancy") == pytest.approx(20 + 20)
    assert _points(s, "breaker_trip_risk") == pytest.approx(25)
    assert _points(s, "climate") == pytest.approx(20 + 15)
    keep = 1.0
    for p in (46, 30, 30, 40, 25, 35, 0):
        keep *= 1 - p / 100
    assert s.score == pytest.approx(round(100 * (1 - keep), 1))


def test_noisy_or_never_exceeds_100_and_a_fire_alarm_is_the_maximum() -> None:
    assert risk_score(RiskInputs(fire_level=2)).score == 100.0
    assert risk_score(RiskInputs(fire_level=1)).score == 50.0
    worst = risk_score(RiskInputs(critical_alarms=10, residual_ratio=5, hotspot_ratio=5,
                                  miswired_devices=3, failover_pct=300, trip_risk_pct=300,
                                  dew_point_margin_c=-3, inlet_temp_c=50))  # fmt: skip
    assert 90 < worst.score <= 100
    assert _points(worst, "alarms") == 60  # capped


def test_ramp() -> None:
    assert [ramp(x, 1, 3) for x in (0, 1, 2, 3, 4)] == [0, 0, 0.5, 1, 1]
    assert ramp(None, 0, 1) == 0 and ramp(float("nan"), 0, 1) == 0
