"""Scenarios replayed through the full controller, asserted on the events it logged (issue 13)."""

from __future__ import annotations

import asyncio

import pytest

from smartpdu.app.factory import demo_config_path
from smartpdu.app.replay import ReplayResult, replay_scenario
from smartpdu.config import load_config
from smartpdu.twin.scenario import parse_scenario


def replay(text: str, duration_s: float) -> ReplayResult:
    rack = load_config(demo_config_path())
    return asyncio.run(replay_scenario(rack, parse_scenario(text), duration_s=duration_s))


# The shipped humidity-condensation timeline, compressed: wet room air and a cooling failure.
CONDENSATION = """
name: condensation-fast
steps:
  - {at: 2s, do: humidity, rh_pct: 90}
  - {at: 2s, do: cooling_failure, failed: true}
"""


@pytest.fixture(scope="module")
def condensation() -> ReplayResult:
    return replay(CONDENSATION, 180.0)


def test_humidity_rise_with_cooling_failure_raises_dew_point_risk(
    condensation: ReplayResult,
) -> None:
    by_code = {e.event_code: e for e in reversed(condensation.events)}  # first of each code
    risk = by_code["DEW_POINT_RISK"]
    assert risk.source == "rack" and risk.evidence["rule"] == "dew-point-margin"
    assert risk.evidence["value"] < risk.evidence["limit"] == 5.0
    assert risk.evidence["unit"] == "K" and risk.severity == "warning"
    humid = by_code["HUMIDITY_HIGH"]
    assert humid.source == "sensor/hum-1" and humid.evidence["value"] > 60
    assert "TEMPERATURE_HIGH" in by_code  # the inlet air passes ASHRAE A1's 27 °C
    assert by_code["TEMPERATURE_HIGH"].source == "sensor/temp-bottom"


def test_climate_alarms_carry_the_event_fields(condensation: ReplayResult) -> None:
    alarms = [e for e in condensation.events if e.action_taken == "alarm"]
    assert alarms
    for e in alarms:
        assert e.timestamp_utc.endswith("Z") and e.sequence_id > 0
        assert e.reason_code and {"rule", "value", "limit", "unit", "window_s"} <= set(e.evidence)
