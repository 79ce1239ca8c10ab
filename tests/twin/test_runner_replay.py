"""Scenario replays on the real RackTwin of the demo rack (acceptance of issue 2, item 6)."""

import time
from pathlib import Path

import pytest

from smartpdu.config import load_config
from smartpdu.config.models import RackConfig
from smartpdu.twin.runner import run_scenario
from smartpdu.twin.scenario import ACTIONS, load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rack() -> RackConfig:
    return load_config(ROOT / "configs/demo-rack.yaml")


def test_feed_loss_step_produces_psu_failover(rack: RackConfig) -> None:
    sc = parse_scenario("name: short\nsteps:\n  - {at: 1s, do: feed_loss, feed: A}\n")
    s = run_scenario(rack, sc, duration_s=3.0, seed=1)
    assert s.windows == 15 and s.steps_applied == 1
    assert s.event_counts.get("feed_loss") == 1
    assert s.event_counts.get("psu_failover", 0) >= 10  # every dual-fed device with a PSU on A
    failover = [e for e in s.events if e.kind == "psu_failover"]
    assert all(1.0 <= e.t_s <= 1.5 for e in failover)
    assert s.controller_power == "feed_b"


def test_every_action_runs_on_the_real_twin(rack: RackConfig) -> None:
    text = """
name: all-actions
steps:
  - {at: 0.2, do: sag, feed: A, depth_pct: 30, duration: 300ms}
  - {at: 0.2, do: frequency_offset, feed: B, delta_hz: -0.2}
  - {at: 0.2, do: lost_neutral, pdu: pdu-b, lost: false}
  - {at: 0.2, do: device_load, device: gpu-01, load_fraction: 1.0}
  - {at: 0.4, do: device_power, device: lab-02, state: off}
  - {at: 0.4, do: outlet, pdu: pdu-b, outlet: '22', state: off}
  - {at: 0.4, do: relay_fault, pdu: pdu-a, outlet: '1', fault: slow}
  - {at: 0.4, do: contact_ageing, pdu: pdu-a, outlet: '9', resistance_mohm: 60}
  - {at: 0.4, do: leakage, device: srv-02, ma_per_psu: 2.0}
  - {at: 0.6, do: voc_release, ppb: 800, duration: 10s, temp_rise_c: 3}
  - {at: 0.6, do: humidity, rh_pct: 80}
  - {at: 0.6, do: vibration_burst, g: 0.5, duration: 1s}
  - {at: 0.6, do: door, sensor: door-front, state: open}
  - {at: 0.6, do: cooling_failure}
  - {at: 0.8, do: sensor_fault, sensor: hum-1, fault: open}
  - {at: 0.8, do: surge, feed: B, phase: L1, peak_kv: 2}
  - {at: 0.8, do: arcing, pdu: pdu-b, outlet: '21', intensity: 0.5, duration: 400ms}
  - {at: 0.8, do: load_signature, pdu: pdu-a, outlet: '3', kind: dimmer, duration: 400ms}
  - {at: 0.8, do: lever, lever: lever-front, action: unlock}
  - {at: 0.8, do: lever, lever: lever-front, action: handle_open}
  - {at: 0.8, do: keypad, lever: lever-rear, card: '04A1B2C3'}
  - {at: 1.0, do: feed_loss, feed: A}
  - {at: 1.0, do: poe, present: true}
  - {at: 1.6, do: feed_restore, feed: A}
  - {at: 1.6, do: breaker_reset, pdu: pdu-a, breaker: inlet}
  - {at: 1.6, do: device_load, device: gpu-01, load_fraction: null}
  - {at: 1.8, do: relay_fault, pdu: pdu-a, outlet: '1', fault: clear}
"""
    sc = parse_scenario(text)
    assert {s.do for s in sc.steps} == set(ACTIONS)
    s = run_scenario(rack, sc, duration_s=2.4, seed=2)
    assert s.steps_applied == len(sc.steps)
    assert s.final_sensors["hum-1"].status == "open" and s.final_sensors["hum-1"].value is None
    assert s.final_sensors["door-front"].value == 1.0
    assert s.final_sensors["vib-1"].value is not None and s.final_sensors["vib-1"].value < 0.1
    assert {"feed_loss", "feed_restore", "psu_failover"} <= set(s.event_counts)


@pytest.mark.slow
def test_one_hour_demo_day_replay_is_bit_for_bit_reproducible(rack: RackConfig) -> None:
    sc = load_scenario(ROOT / "scenarios/demo-day.yaml")
    started = time.perf_counter()
    first = run_scenario(rack, sc, duration_s=3600.0, seed=2024)
    elapsed = time.perf_counter() - started
    second = run_scenario(rack, sc, duration_s=3600.0, seed=2024)
    print(f"1 h replay: {elapsed:.1f} s wall, {3600.0 / elapsed:.0f}x real time")
    assert first.windows == 18000 and first.simulated_s == pytest.approx(3600.0)
    assert first.steps_applied == len(sc.steps)
    assert second.digest == first.digest
    assert second.to_dict() == first.to_dict()
    # the replay did what the timeline says
    assert first.event_counts.get("feed_loss") == 1 and first.event_counts.get("feed_restore") == 1
    assert first.event_counts.get("psu_failover", 0) >= 10
    assert first.hottest_terminal is not None and first.hottest_terminal.sensor_id == (
        "terminal/pdu-b/21"
    )
    total_kwh = sum(sum(p.values()) for p in first.energy_kwh.values())
    assert 4.0 < total_kwh < 15.0  # ~8 kW rack for an hour
