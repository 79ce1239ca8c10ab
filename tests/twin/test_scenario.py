from pathlib import Path
from typing import Any

import pytest

from smartpdu.config import load_config
from smartpdu.config.models import RackConfig
from smartpdu.hardware.interface import LeverAction
from smartpdu.twin.scenario import (
    ACTIONS,
    ScenarioError,
    apply,
    check_scenario,
    load_scenario,
    parse_duration,
    parse_scenario,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rack() -> RackConfig:
    return load_config(ROOT / "configs/demo-rack.yaml")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("500ms", 0.5),
        ("90s", 90.0),
        ("5m", 300.0),
        ("5min", 300.0),
        ("1h", 3600.0),
        ("1h30m", 5400.0),
        ("1.5s", 1.5),
        ("42", 42.0),
        (42, 42.0),
        (0.25, 0.25),
        ("2h 5m 3s", 7503.0),
    ],
)
def test_parse_duration(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["", "5x", "m5", "1h-3m", "-5", True, None, "nan", [1]])
def test_parse_duration_rejects(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_parse_minimal_scenario_sorts_steps() -> None:
    sc = parse_scenario(
        """
name: t
seed: 42
duration: 10m
steps:
  - {at: 5m, do: feed_restore, feed: A}
  - {at: 90s, do: feed_loss, feed: A}
  - {at: 10m, do: device_load, device: gpu-01, load_fraction: 1.0}
"""
    )
    assert sc.seed == 42 and sc.duration == 600.0
    assert [(s.at, s.do) for s in sc.ordered_steps()] == [
        (90.0, "feed_loss"),
        (300.0, "feed_restore"),
        (600.0, "device_load"),
    ]


def test_every_error_names_its_path() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(
            """
name: bad
steps:
  - {at: 90s, do: feed_loss, feed: A}
  - {at: 1h30m, do: feed_loss, feed: C}
  - {at: 5x, do: feed_restore, feed: A}
  - {at: 5, do: explode}
  - {at: 5}
  - {at: 1, do: sag, feed: A, depth_pct: 130, extra: 1}
  - {at: 1, do: outlet, pdu: pdu-a, outlet: '1', state: maybe}
"""
        )
    paths = {i.path: i.message for i in info.value.issues}
    assert set(paths) == {
        "steps[1].feed",
        "steps[2].at",
        "steps[3]",
        "steps[4]",
        "steps[5].depth_pct",
        "steps[5].duration",
        "steps[5].extra",
        "steps[6].state",
    }
    assert "'C'" in paths["steps[1].feed"]
    assert "explode" in paths["steps[3]"] and "feed_loss" in paths["steps[3]"]
    assert paths["steps[5].duration"] == "required field is missing"


def test_yaml_errors_and_non_mapping() -> None:
    with pytest.raises(ScenarioError, match="line"):
        parse_scenario("name: [unclosed")
    with pytest.raises(ScenarioError, match="mapping"):
        parse_scenario("- just a list")
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario("/nonexistent/scenario.yaml")


def test_on_off_stay_text_not_yaml11_booleans() -> None:
    sc = parse_scenario(
        "name: t\nsteps:\n  - {at: 1, do: device_power, device: srv-01, state: off}\n"
    )
    assert sc.steps[0].state == "off"  # type: ignore[union-attr]


def test_unknown_ids_checked_against_rack(rack: RackConfig) -> None:
    sc = parse_scenario(
        """
name: ids
steps:
  - {at: 1, do: outlet, pdu: pdu-a, outlet: '99', state: on}
  - {at: 1, do: outlet, pdu: pdu-z, outlet: '1', state: off}
  - {at: 1, do: door, sensor: hum-1, state: open}
  - {at: 1, do: device_load, device: gpu-09, load_fraction: null}
  - {at: 1, do: breaker_reset, pdu: pdu-a, breaker: B9}
  - {at: 1, do: lever, lever: side, action: unlock}
  - {at: 1, do: sensor_fault, sensor: nope, fault: stuck}
  - {at: 1, do: contact_ageing, pdu: pdu-b, outlet: '7', resistance_mohm: 40}
"""
    )
    issues = {i.path: i.message for i in check_scenario(sc, rack)}
    assert set(issues) == {
        "steps[0].outlet",
        "steps[1].pdu",
        "steps[2].sensor",
        "steps[3].device",
        "steps[4].breaker",
        "steps[5].lever",
        "steps[6].sensor",
    }
    assert "'99'" in issues["steps[0].outlet"] and "24" in issues["steps[0].outlet"]
    assert "door-front" in issues["steps[2].sensor"]
    assert "inlet" in issues["steps[4].breaker"]


class _Recorder:
    """Stands in for RackTwin/Environment/LeverBank: records every call."""

    def __init__(self, log: list[tuple[str, tuple[Any, ...], dict[str, Any]]], prefix: str):
        self._log, self._prefix = log, prefix

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> None:
            self._log.append((self._prefix + name, args, kwargs))

        return call


def test_apply_maps_every_action(rack: RackConfig) -> None:
    text = """
name: all
steps:
  - {at: 0, do: feed_loss, feed: A}
  - {at: 0, do: feed_restore, feed: B}
  - {at: 0, do: sag, feed: A, depth_pct: 30, duration: 500ms}
  - {at: 0, do: frequency_offset, feed: B, delta_hz: -0.2}
  - {at: 0, do: lost_neutral, pdu: pdu-a}
  - {at: 0, do: device_load, device: gpu-01, load_fraction: null}
  - {at: 0, do: device_power, device: srv-01, state: off}
  - {at: 0, do: outlet, pdu: pdu-b, outlet: '3', state: on}
  - {at: 0, do: relay_fault, pdu: pdu-a, outlet: '2', fault: clear}
  - {at: 0, do: contact_ageing, pdu: pdu-a, outlet: '9', resistance_mohm: 60}
  - {at: 0, do: leakage, device: srv-02, ma_per_psu: 4.5}
  - {at: 0, do: voc_release, ppb: 800, duration: 10m, temp_rise_c: 3}
  - {at: 0, do: humidity, rh_pct: 80}
  - {at: 0, do: vibration_burst, g: 0.5, duration: 2s}
  - {at: 0, do: door, sensor: door-front, state: open}
  - {at: 0, do: cooling_failure}
  - {at: 0, do: sensor_fault, sensor: voc-1, fault: noisy}
  - {at: 0, do: lever, lever: lever-front, action: unlock}
  - {at: 0, do: lever, lever: lever-rear, action: handle_open}
  - {at: 0, do: keypad, lever: lever-front, user: op, pin: '2468'}
  - {at: 0, do: poe, present: false}
  - {at: 0, do: breaker_reset, pdu: pdu-a, breaker: inlet}
  - {at: 0, do: surge, feed: A, phase: L2, peak_kv: 2, let_through_v: 900, count: 3}
  - {at: 0, do: arcing, pdu: pdu-b, outlet: '21', intensity: 0.4, duration: 30s}
  - {at: 0, do: load_signature, pdu: pdu-a, outlet: '5', kind: motor_start, period: 1m}
"""
    sc = parse_scenario(text)
    assert {s.do for s in sc.steps} == set(ACTIONS)
    assert check_scenario(sc, rack) == []
    log: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
    twin = _Recorder(log, "twin.")
    twin.__dict__["environment"] = _Recorder(log, "env.")
    twin.__dict__["levers"] = _Recorder(log, "levers.")
    for step in sc.steps:
        apply(step, twin)  # type: ignore[arg-type]
    assert log == [
        ("twin.feed_loss", ("A",), {}),
        ("twin.feed_restore", ("B",), {}),
        ("twin.voltage_sag", ("A", 30.0, 0.5), {}),
        ("twin.frequency_offset", ("B", -0.2), {}),
        ("twin.lost_neutral", ("pdu-a", True), {}),
        ("twin.set_device_load", ("gpu-01", None), {}),
        ("twin.device_power", ("srv-01", False), {}),
        ("twin.set_outlet", ("pdu-b", "3", True), {}),
        ("twin.relay_fault", ("pdu-a", "2", None), {}),
        ("twin.contact_ageing", ("pdu-a", "9", 60.0), {}),
        ("twin.set_leakage", ("srv-02", 4.5), {}),
        ("env.voc_release", (800.0, 600.0), {"temp_rise_c": 3.0}),
        ("env.set_humidity", (80.0,), {}),
        ("env.vibration_burst", (0.5, 2.0), {}),
        ("env.door", ("door-front", True), {}),
        ("env.cooling_failure", (True,), {}),
        ("env.sensor_fault", ("voc-1", "noisy"), {}),
        ("twin.operate_lever", ("lever-front", LeverAction.UNLOCK), {}),
        ("levers.open_handle", ("lever-rear", True), {}),
        ("levers.present", ("lever-front",), {"user": "op", "pin": "2468", "card": None}),
        ("twin.set_poe", (False,), {}),
        ("twin.reset_breaker", ("pdu-a", "inlet"), {}),
        ("twin.surge", ("A",), {"phase": "L2", "peak_v": 2000.0, "let_through_v": 900.0,
                                "rise_s": 1.2e-6, "duration_s": 50e-6, "count": 3,
                                "interval_s": 0.1}),
        ("twin.arcing", ("pdu-b", "21", 0.4, 30.0), {}),
        ("twin.look_alike", ("pdu-a", "5", "motor_start", None),
         {"ripple_pct": 3.0, "switching_hz": 65300.0, "firing_deg": 90.0, "ratio": 6.0,
          "tau_s": 0.8, "period_s": 60.0}),
    ]  # fmt: skip


def test_surge_and_arc_steps_are_validated(rack: RackConfig) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_scenario("""
name: bad
steps:
  - {at: 0, do: surge, feed: A, peak_kv: 0, rise: 60us, duration: 50us}
  - {at: 0, do: arcing, pdu: pdu-a, outlet: '1', intensity: 2}
  - {at: 0, do: load_signature, pdu: pdu-a, outlet: '1', kind: vacuum}
""")
    paths = {i.path for i in err.value.issues}
    assert {"steps[0].peak_kv", "steps[1].intensity", "steps[2].kind"} <= paths
    sc = parse_scenario("""
name: ids
steps:
  - {at: 0, do: arcing, pdu: pdu-a, outlet: '99'}
  - {at: 0, do: load_signature, pdu: pdu-q, outlet: '1', kind: dimmer}
""")
    assert {i.path for i in check_scenario(sc, rack)} == {"steps[0].outlet", "steps[1].pdu"}


def test_shipped_scenarios_are_valid_for_demo_rack(rack: RackConfig) -> None:
    files = sorted((ROOT / "scenarios").glob("*.yaml"))
    names = {f.stem for f in files}
    assert {
        "feed-a-loss",
        "gpu-burst",
        "hotspot",
        "smoulder",
        "humidity-condensation",
        "door-and-levers",
        "relay-weld",
        "demo-day",
        "cleaning-agent",
    } <= names
    for f in files:
        sc = load_scenario(f)
        assert check_scenario(sc, rack) == [], f.name
