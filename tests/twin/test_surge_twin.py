"""The twin's surge physics (issue 14): varistor clamp against its law, determinism under the seed,
and the controller's energy estimate against the twin's fine-grid truth."""

from __future__ import annotations

import math

import numpy as np
import pytest

from smartpdu.app.factory import demo_config_path
from smartpdu.config import load_config
from smartpdu.metering.surge import surge_features
from smartpdu.twin.rack import RackTwin
from smartpdu.twin.surge import mov_clamp, peak_time_s, surge_shape

SPD = {"clamp_v": 800.0, "clamp_current_a": 100.0, "alpha": 30.0, "pulse_equivalent_s": 40e-6}


def test_double_exponential_has_unit_peak_and_its_half_value_time() -> None:
    rise, dur = 1.2e-6, 50e-6
    tp = peak_time_s(rise, dur)
    assert surge_shape([tp], rise, dur)[0] == pytest.approx(1.0)
    t = np.linspace(tp, 400e-6, 200001)
    half = t[np.argmax(surge_shape(t, rise, dur) < 0.5)]
    assert half == pytest.approx(dur, rel=0.06)  # ≈ 50 µs to half value (τ2 = T2/ln 2: +5 %)
    assert surge_shape([-1e-6], rise, dur)[0] == 0.0


def test_varistor_clamp_solves_the_source_and_varistor_equation() -> None:
    v_oc = np.array([300.0, 800.0, 2000.0, -4000.0, 10000.0])
    v, i = mov_clamp(v_oc, 800.0)
    # Kirchhoff: v_oc = v + Z_s·I(v), I = 100 A·(|v|/800 V)^30, sign of the surge
    assert v + 2.0 * i == pytest.approx(v_oc, rel=1e-9)
    assert i == pytest.approx(np.sign(v_oc) * 100.0 * (np.abs(v) / 800.0) ** 30, rel=1e-9)
    assert abs(v[0] - 300.0) < 1e-6  # far below the clamp the varistor draws nothing
    assert 800.0 < v[4] < 1.15 * 800.0  # 10 kV open circuit: let through ≈ 1.1 × clamp


def _run(seed: int, step: dict[str, float], windows: int = 8) -> tuple[list, list]:
    twin = RackTwin(load_config(demo_config_path()), seed=seed)
    for _ in range(3):
        twin.acquire()
    twin.surge("A", **step)  # type: ignore[arg-type]
    blocks = [twin.acquire().blocks["pdu-a"] for _ in range(windows)]
    truth = [e for e in twin.physical_log if e.kind == "surge_let_through"]
    return blocks, truth


def _estimate(blocks: list) -> float:
    total = 0.0
    for b in blocks:
        f = surge_features(b.voltage_v, b.sample_rate_hz, 1.6 * 325.27, **SPD,
                           peak_detector_v=b.voltage_peak_v)  # fmt: skip
        total += float(f.energy_j.sum())
    return total


def test_lightning_surge_energy_from_the_peak_detector_matches_the_truth() -> None:
    blocks, truth = _run(3, {"phase": "L1", "peak_v": 4000.0})
    assert [e.target for e in truth] == ["pdu-a/inlet/L1"]
    true_j = float(truth[0].detail["energy_j"])
    assert 20.0 < true_j < 100.0  # a 4 kV / 2 Ω combination wave into an 800 V varistor
    # the 50 µs pulse falls between the 156 µs samples: the peak detector saw it
    peak = max(float(b.voltage_peak_v[0]) for b in blocks)
    assert peak == pytest.approx(float(truth[0].detail["let_through_v"]), rel=1e-3)
    assert _estimate(blocks) == pytest.approx(true_j, rel=0.35)


def test_long_switching_surge_energy_integrated_from_the_samples() -> None:
    blocks, truth = _run(5, {"phase": "L2", "peak_v": 1500.0, "rise_s": 50e-6,
                             "duration_s": 3e-3})  # fmt: skip
    true_j = float(truth[0].detail["energy_j"])
    assert _estimate(blocks) == pytest.approx(true_j, rel=0.15)


def test_surges_are_deterministic_under_the_seed_and_only_on_their_feed() -> None:
    a, _ = _run(7, {"peak_v": 2000.0, "count": 2, "interval_s": 0.05})
    b, _ = _run(7, {"peak_v": 2000.0, "count": 2, "interval_s": 0.05})
    assert all(np.array_equal(x.voltage_v, y.voltage_v) for x, y in zip(a, b, strict=True))
    twin = RackTwin(load_config(demo_config_path()), seed=7)
    twin.surge("A", peak_v=4000.0)
    acq = twin.acquire()
    assert float(np.max(acq.blocks["pdu-b"].voltage_peak_v)) < 1.2 * math.sqrt(2) * 230
    assert float(np.max(acq.blocks["pdu-a"].voltage_peak_v)) > 800.0
