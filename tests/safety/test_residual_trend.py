"""Residual-current trend and forecast: the pure fit, then an RCM creep replayed through the
controller (issue 13 item 6)."""

from __future__ import annotations

import asyncio

import pytest

from smartpdu.app.factory import demo_config_path
from smartpdu.app.replay import replay_scenario
from smartpdu.config import load_config
from smartpdu.config.safety import ResidualTrendConfig, SafetyConfig
from smartpdu.safety.residual import WEEK_S, ResidualTrend
from smartpdu.twin.scenario import parse_scenario

HOUR, DAY = 3600.0, 86400.0


def test_a_linear_creep_gives_its_slope_and_the_analytic_forecast() -> None:
    trend = ResidualTrend(HOUR, 14 * DAY, min_buckets=6)
    rate = 1.5 / WEEK_S  # 1.5 mA per week
    t = 0.0
    while t < 10 * DAY:
        trend.add(t, 3.0 + rate * t)
        t += 60.0
    est = trend.estimate(critical_ma=15.0)
    assert est is not None
    assert est.slope_ma_per_week == pytest.approx(1.5, rel=1e-6)
    # the last complete bucket's mean sits at its centre: value and time to 15 mA follow exactly
    assert est.seconds_to_critical == pytest.approx((15.0 - est.value_ma) / rate, rel=1e-6)
    assert est.buckets == 239 and est.span_s == pytest.approx(238 * HOUR)


def test_flat_or_missing_values_forecast_nothing_and_state_round_trips() -> None:
    trend = ResidualTrend(10.0, 1000.0, min_buckets=3)
    for k in range(200):
        trend.add(float(k), None if k % 7 == 0 else 2.0)
    est = trend.estimate(critical_ma=15.0)
    assert est is not None and est.slope_ma_per_week == pytest.approx(0.0, abs=1e-9)
    assert est.seconds_to_critical is None
    again = ResidualTrend(10.0, 1000.0, min_buckets=3)
    again.load(trend.dump())
    assert again.estimate(15.0) == est
    assert ResidualTrend(10.0, 1000.0).estimate(15.0) is None  # no bucket yet


# Leakage creeping up on lab-01 (RCBO branch B6 of both PDUs), compressed: +1 mA per PSU every
# 20 s instead of every few days. Trend buckets of 10 s stand in for hours.
CREEP = "name: rcm-creep\nsteps:\n" + "".join(
    f"  - {{at: {20 + 20 * k}s, do: leakage, device: lab-01, ma_per_psu: {1 + k}}}\n"
    for k in range(14)
)


def test_rcm_creep_forecast_then_warning_long_before_critical_and_no_trip() -> None:
    rack = load_config(demo_config_path())
    fast = ResidualTrendConfig(bucket_s=10, window_s=120, min_buckets=4, horizon_s=3600)
    rack = rack.model_copy(update={"safety": SafetyConfig(residual=fast)})
    result = asyncio.run(replay_scenario(rack, parse_scenario(CREEP), duration_s=330.0))
    b6 = [
        e for e in result.events
        if e.pdu_id == "pdu-a" and e.source == "branch/B6"
        and (e.event_code == "RESIDUAL_CURRENT_TREND" or e.evidence.get("rule") == "branch-residual")
    ]  # fmt: skip
    seq = [
        (e.event_code, e.evidence.get("condition")) for e in b6 if e.event_code != "ALARM_CLEARED"
    ]
    assert seq[:3] == [
        ("RESIDUAL_CURRENT_TREND", None),
        ("RESIDUAL_CURRENT_HIGH", "high_warning"),
        ("RESIDUAL_CURRENT_HIGH", "high_critical"),
    ], seq
    branch_warnings = [
        e for e in result.events
        if e.event_code == "RESIDUAL_CURRENT_HIGH" and e.source.startswith("branch/")
    ]  # fmt: skip
    assert {e.evidence.get("rule") for e in branch_warnings} == {"branch-residual"}  # one owner
    trend, warning, critical = b6[0], b6[1], b6[2]
    assert trend.evidence["slope_ma_per_week"] > 0 and trend.evidence["limit"] == 15.0
    assert trend.evidence["forecast_critical_utc"] > trend.timestamp_utc
    assert warning.evidence["rule"] == "branch-residual" and warning.evidence["limit"] == 10.0
    assert critical.timestamp_utc > warning.timestamp_utc
    assert not [e for e in result.events if e.event_code == "BREAKER_TRIPPED"]
    # PDU B measures each outlet: the leaking PSU itself (lab-01 on outlet 22) is named, at its
    # own 3.5 mA level, before its branch warns; no other outlet of PDU B raises anything
    outlet = [e for e in result.events
              if e.pdu_id == "pdu-b" and e.source.startswith("outlet/")
              and e.evidence.get("rule") == "outlet-residual"]  # fmt: skip
    raised = [e for e in outlet if e.event_code == "RESIDUAL_CURRENT_HIGH"]
    assert {e.source for e in outlet} == {"outlet/22"}
    assert [e.evidence["condition"] for e in raised][:2] == ["high_warning", "high_critical"]
    b6_b = next(e for e in result.events if e.pdu_id == "pdu-b" and e.source == "branch/B6"
                and e.event_code == "RESIDUAL_CURRENT_HIGH")  # fmt: skip
    assert raised[0].timestamp_utc < b6_b.timestamp_utc
    assert raised[0].evidence["limit"] == 3.5
