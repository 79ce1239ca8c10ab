"""The alarm stage on the real runtime: survives a restart, NaN/flagged values, quiet baseline."""

from __future__ import annotations

import asyncio
from pathlib import Path

from smartpdu.app.factory import build_twin_runtime, demo_config_path
from smartpdu.app.replay import replay_scenario
from smartpdu.config import load_config
from smartpdu.config.alarms import AlarmRuleConfig, AlarmsConfig
from smartpdu.twin.scenario import parse_scenario

TRIGGER = AlarmRuleConfig(
    id="test-phase-load", level="phase", metric="load_pct", match="pdu-a/inlet/L3",
    high_warning=1, latch=True,
)  # fmt: skip


def _rack(alarms: AlarmsConfig):
    return load_config(demo_config_path()).model_copy(update={"alarms": alarms})


async def _raise_then_restart(tmp_path: Path) -> None:
    cfg = _rack(AlarmsConfig(use_defaults=False, rules=[TRIGGER]))
    async with build_twin_runtime(cfg, tmp_path) as rt:
        await rt.run_ticks(10)
        desk = rt.alarm_desk
        assert desk is not None
        (alarm,) = desk.active()
        assert alarm.rule == "test-phase-load" and alarm.state == "raised"
    async with build_twin_runtime(cfg, tmp_path) as rt:
        desk = rt.alarm_desk
        assert desk is not None
        (again,) = desk.active()
        assert (again.id, again.state, again.raised_utc) == (alarm.id, "raised", alarm.raised_utc)
        await rt.run_ticks(10)  # still violated: no second raise, same occurrence
        assert [a.id for a in desk.active()] == [alarm.id]
        acked, sealed = desk.acknowledge(alarm.id, "user/alice", "after restart", rt.now_utc())
        assert acked.state == "acknowledged" and sealed[0].event_code == "ALARM_ACKNOWLEDGED"
    async with build_twin_runtime(cfg, tmp_path) as rt:
        (third,) = rt.alarm_desk.active()  # type: ignore[union-attr]
        assert third.state == "acknowledged" and third.acknowledged_by == "user/alice"
        raised = [
            e for e in rt.store.events_since("pdu-a", 0, 10_000) if e.event_code == "ALARM_RAISED"
        ]
        assert len(raised) == 1


def test_an_alarm_survives_restarts_with_its_acknowledgement(tmp_path: Path) -> None:
    asyncio.run(_raise_then_restart(tmp_path))


HUMID = """
name: humid-then-sensor-open
steps:
  - {at: 1s, do: humidity, rh_pct: 92}
  - {at: 50s, do: sensor_fault, sensor: hum-1, fault: open}
  - {at: 1m40s, do: humidity, rh_pct: 30}
"""


def test_a_faulty_sensor_never_clears_an_alarm_it_is_stale_instead(tmp_path: Path) -> None:
    rule = AlarmRuleConfig(id="hum", level="sensor", metric="value", sensor_kind="humidity",
                           high_warning=60, event_code="HUMIDITY_HIGH")  # fmt: skip
    cfg = _rack(AlarmsConfig(use_defaults=False, rules=[rule]))
    result = asyncio.run(
        replay_scenario(cfg, parse_scenario(HUMID), duration_s=150.0, data_dir=tmp_path)
    )
    codes = [e.event_code for e in result.events if e.evidence.get("rule") == "hum"]
    # raised while the sensor worked; the open sensor (and the dry air behind it) clears nothing
    assert codes == ["HUMIDITY_HIGH"], codes
    raised = next(e for e in result.events if e.event_code == "HUMIDITY_HIGH")
    assert raised.timestamp_utc < "2026-01-01T00:00:50"
    assert raised.evidence["value"] > 60 and raised.evidence["limit"] == 60
    assert raised.evidence["rule"] == "hum" and raised.source == "sensor/hum-1"
    assert any(e.event_code == "SENSOR_FAULT" for e in result.events)


def test_the_demo_rack_at_rest_raises_no_default_alarm() -> None:
    rack = load_config(demo_config_path())
    quiet = parse_scenario("name: quiet\nsteps: []\n")
    result = asyncio.run(replay_scenario(rack, quiet, duration_s=90.0))
    alarms = [e for e in result.events if (e.action_taken == "alarm")]
    assert alarms == [], [e.message for e in alarms]
