import math

import numpy as np
import pytest

from smartpdu.config import load_config
from smartpdu.config.models import RackConfig
from smartpdu.hardware.samples import SensorReading, SensorStatus
from smartpdu.twin.environment import (
    HUMIDITY_TAU_S,
    VOC_BASELINE_PPB,
    VOC_DECAY_TAU_S,
    VOC_RISE_TAU_S,
    Environment,
)

DT = 0.2


@pytest.fixture(scope="module")
def rack() -> RackConfig:
    return load_config("configs/demo-rack.yaml")


def _by_id(readings: tuple[SensorReading, ...]) -> dict[str, SensorReading]:
    return {r.sensor_id: r for r in readings}


def _run(env: Environment, seconds: float, power_w: float = 8000.0) -> dict[str, SensorReading]:
    out: dict[str, SensorReading] = {}
    for _ in range(round(seconds / DT)):
        out = _by_id(env.step(0.0, DT, power_w))
    return out


def test_one_reading_per_config_sensor_with_units(rack: RackConfig) -> None:
    readings = Environment(rack, seed=1).step(0.0, DT, 8000.0)
    assert [r.sensor_id for r in readings] == [s.id for s in rack.sensors]
    units = {r.kind: r.unit for r in readings}
    assert units["temperature"] == "degC" and units["voc"] == "ppb" and units["vibration"] == "g"
    assert all(r.status is SensorStatus.OK for r in readings)


def test_baseline_values_plausible(rack: RackConfig) -> None:
    r = _run(Environment(rack, seed=3), 10.0, power_w=8000.0)
    assert r["temp-bottom"].value == pytest.approx(22.0, abs=0.3)
    assert r["temp-top"].value == pytest.approx(22.0 + 12.0 * 8000 / 20000, abs=0.3)
    assert r["hum-1"].value == pytest.approx(45.0, abs=1.0)
    assert r["voc-1"].value == pytest.approx(VOC_BASELINE_PPB, abs=15.0)
    assert r["vib-1"].value == pytest.approx(0.02, abs=0.01)
    assert r["door-front"].value == 0.0


def test_same_seed_identical_and_different_seed_differs(rack: RackConfig) -> None:
    a = [Environment(rack, seed=7).step(0.0, DT, 5000.0) for _ in range(2)]
    assert a[0] == a[1]
    b = Environment(rack, seed=8).step(0.0, DT, 5000.0)
    assert b != a[0]


def test_voc_release_rises_then_decays_exponentially(rack: RackConfig) -> None:
    env = Environment(rack, seed=0)
    env.voc_release(1000.0, 120.0)
    for _ in range(600):  # exactly the release
        env.step(0.0, DT, 8000.0)
    peak = 1000.0 * (1 - math.exp(-120.0 / VOC_RISE_TAU_S))
    assert env.voc_ppb == pytest.approx(VOC_BASELINE_PPB + peak, rel=1e-9)
    for _ in range(3000):  # 600 s of decay
        env.step(0.0, DT, 8000.0)
    assert env.voc_ppb == pytest.approx(
        VOC_BASELINE_PPB + peak * math.exp(-600.0 / VOC_DECAY_TAU_S), rel=1e-9
    )


def test_voc_release_ending_inside_a_step_is_exact(rack: RackConfig) -> None:
    fine, coarse = Environment(rack, seed=0), Environment(rack, seed=0)
    fine.voc_release(500.0, 30.1)
    coarse.voc_release(500.0, 30.1)
    for _ in range(500):
        fine.step(0.0, 0.1, 0.0)
    coarse.step(0.0, 50.0, 0.0)
    assert coarse.voc_ppb == pytest.approx(fine.voc_ppb, rel=1e-9)


def test_smoulder_plume_warms_top_sensor_only(rack: RackConfig) -> None:
    env = Environment(rack, seed=0)
    base = _run(env, 1.0)
    env.voc_release(3000.0, 900.0, temp_rise_c=4.0)
    hot = _run(env, 900.0)
    assert hot["temp-top"].value - base["temp-top"].value == pytest.approx(4.0, abs=0.3)
    assert hot["temp-bottom"].value == pytest.approx(base["temp-bottom"].value, abs=0.3)


def test_humidity_follows_setpoint_with_time_constant(rack: RackConfig) -> None:
    env = Environment(rack, seed=0)
    env.set_humidity(85.0)
    _run(env, HUMIDITY_TAU_S)
    assert env.humidity_pct == pytest.approx(85.0 + (45.0 - 85.0) * math.exp(-1.0), rel=1e-9)
    with pytest.raises(ValueError, match="rh_pct"):
        env.set_humidity(120.0)


def test_vibration_burst_for_its_duration(rack: RackConfig) -> None:
    env = Environment(rack, seed=0)
    env.vibration_burst(0.8, 1.0)
    during = [_by_id(env.step(0.0, DT, 0.0))["vib-1"].value for _ in range(5)]
    after = _by_id(env.step(0.0, DT, 0.0))["vib-1"].value
    assert all(v is not None and v > 0.7 for v in during)
    assert after is not None and after < 0.1


def test_doors_and_unknown_ids(rack: RackConfig) -> None:
    env = Environment(rack, seed=0)
    env.door("door-rear", True)
    r = _by_id(env.step(0.0, DT, 0.0))
    assert r["door-rear"].value == 1.0 and r["door-front"].value == 0.0
    with pytest.raises(KeyError, match=r"'hum-1'.*door-front"):
        env.door("hum-1", True)
    with pytest.raises(KeyError, match=r"'nope'.*temp-top"):
        env.sensor_fault("nope", "open")
    with pytest.raises(ValueError, match="unknown sensor fault"):
        env.sensor_fault("hum-1", "melted")


def test_cooling_failure_heats_air(rack: RackConfig) -> None:
    env = Environment(rack, seed=0)
    _run(env, 1.0)
    before = env.ambient_c
    env.cooling_failure(True)
    _run(env, 600.0)
    assert env.ambient_c > before + 10.0
    env.cooling_failure(False)
    _run(env, 3600.0)
    assert env.ambient_c == pytest.approx(before, abs=0.05)


def test_sensor_faults_stuck_noisy_open_and_clear(rack: RackConfig) -> None:
    env = Environment(rack, seed=11)
    last = _run(env, 1.0)
    env.sensor_fault("temp-top", "stuck")
    env.sensor_fault("hum-1", "open")
    env.sensor_fault("temp-bottom", "noisy")
    env.cooling_failure(True)
    stuck, bottoms = [], []
    for _ in range(300):
        r = _by_id(env.step(0.0, DT, 8000.0))
        stuck.append(r["temp-top"].value)
        bottoms.append(r["temp-bottom"].value)
        assert r["hum-1"].value is None and r["hum-1"].status is SensorStatus.OPEN
        assert r["temp-top"].status is SensorStatus.OK
    assert set(stuck) == {last["temp-top"].value}  # frozen although the air warms
    diffs = np.diff(np.array(bottoms, dtype=float))
    assert np.std(diffs) > 3.0  # large noise: σ 4 K per reading
    env.sensor_fault("temp-top", None)
    env.sensor_fault("hum-1", None)
    r = _by_id(env.step(0.0, DT, 8000.0))
    assert r["temp-top"].value != last["temp-top"].value
    assert r["hum-1"].status is SensorStatus.OK and r["hum-1"].value is not None


def test_fault_on_one_sensor_does_not_shift_others(rack: RackConfig) -> None:
    a, b = Environment(rack, seed=5), Environment(rack, seed=5)
    b.sensor_fault("temp-top", "noisy")
    for _ in range(20):
        ra, rb = _by_id(a.step(0.0, DT, 5000.0)), _by_id(b.step(0.0, DT, 5000.0))
        assert ra["temp-bottom"] == rb["temp-bottom"] and ra["voc-1"] == rb["voc-1"]
