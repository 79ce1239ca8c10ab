"""Contact-resistance estimation (issue 13 item 7): the estimator against the first-order terminal
model, then the hotspot scenario replayed through the controller."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import numpy as np
import pytest

from smartpdu.app.factory import demo_config_path
from smartpdu.app.replay import replay_scenario
from smartpdu.config import load_config
from smartpdu.safety.hotspot import ContactEstimator
from smartpdu.twin.scenario import load_scenario, parse_scenario


def _terminal(r_mohm: np.ndarray, i_a: np.ndarray, steps: int, dt: float, tau: float, r_th: float):
    """Exact first-order terminal: y → r_th·R·I² with time constant tau."""
    a = math.exp(-dt / tau)
    y = np.zeros_like(r_mohm)
    for _ in range(steps):
        yield i_a**2, y.copy()
        y = a * y + (1 - a) * r_th * r_mohm * 1e-3 * i_a**2


def test_estimates_the_contact_resistance_of_the_first_order_model_exactly() -> None:
    r = np.array([2.0, 30.0, 80.0, 5.0])
    i = np.array([6.0, 6.0, 10.0, 0.5])  # the last one carries too little current to tell
    est = ContactEstimator(4, dt_s=5, tau_s=300, memory_s=120, r_th_c_per_w=8, min_current_a=2)
    for u, y in _terminal(r, i, 30, 5.0, 300.0, 8.0):
        est.update(u, y)
    got = est.resistance_mohm()
    assert got[:3] == pytest.approx(r[:3], rel=1e-9)
    assert math.isnan(got[3])


def test_a_step_in_resistance_is_seen_within_the_memory_not_after_warm_up() -> None:
    est = ContactEstimator(1, dt_s=5, tau_s=300, memory_s=60, r_th_c_per_w=8, min_current_a=2)
    a, u, y = math.exp(-5 / 300), np.array([36.0]), np.array([0.0])
    for n in range(120):  # 10 min: 2 mΩ, then 50 mΩ at constant current
        r = 2.0 if n < 60 else 50.0
        y_next = a * y + (1 - a) * 8 * r * 1e-3 * u
        est.update(u, y)
        y = y_next
        if n == 59:
            assert est.resistance_mohm()[0] == pytest.approx(2.0, rel=1e-6)
    # the terminal is far from its new steady state (τ = 5 min) but the estimate has moved
    assert y[0] < 0.9 * 8 * 50e-3 * 36
    # exponentially weighted mean of the resistances behind each sample (sample n sees r[n-1])
    lam = math.exp(-5 / 60)
    w = [lam ** (119 - n) for n in range(1, 120)]
    rs = [2.0 if n - 1 < 60 else 50.0 for n in range(1, 120)]
    expected = sum(wi * ri for wi, ri in zip(w, rs, strict=True)) / sum(w)
    assert est.resistance_mohm()[0] == pytest.approx(expected, rel=1e-9)
    assert expected > 49.0


def test_drifting_rack_air_with_a_current_step_is_not_read_as_a_resistance_rise() -> None:
    """Feed loss: the surviving outlet's current doubles while the rack air cools 0.4 K/min. The
    terminal (2 mΩ, fine) lags the air; the estimate must stay at 2 mΩ."""
    dt, tau, r_th, sub = 5.0, 300.0, 8.0, 25  # the "twin" integrates in 0.2-s windows
    a_w = math.exp(-dt / sub / tau)
    lagging = ContactEstimator(1, dt_s=dt, tau_s=tau, memory_s=120, r_th_c_per_w=r_th,
                               min_current_a=2)  # fmt: skip
    on_rise = ContactEstimator(1, dt_s=dt, tau_s=tau, memory_s=120, r_th_c_per_w=r_th,
                               min_current_a=2)  # fmt: skip
    amb, term, t = 25.0, np.array([25.0 + 8 * 2e-3 * 2.4**2]), 0.0
    for n in range(72):  # 6 min
        i = 2.4 if n < 24 else 4.8  # failover at 2 min
        u = np.array([i * i])
        lagging.update(u, term, amb)
        on_rise.update(u, term - amb)  # regressing the rise T − Ta: the old model
        for _ in range(sub):
            t += dt / sub
            if t > 120.0:
                amb -= 0.4 / 60 * dt / sub
            term = a_w * term + (1 - a_w) * (amb + r_th * 2e-3 * i * i)
    assert lagging.resistance_mohm()[0] == pytest.approx(2.0, rel=0.02)
    assert on_rise.resistance_mohm()[0] > 3 * 2.0  # what raised the false alarms


HOTSPOT = """
name: hotspot-fast
steps:
  - {at: 0s, do: device_load, device: gpu-01, load_fraction: 1.0}
  - {at: 1m, do: contact_ageing, pdu: pdu-b, outlet: '21', resistance_mohm: 30}
  - {at: 2m, do: contact_ageing, pdu: pdu-b, outlet: '21', resistance_mohm: 80}
"""


def test_hotspot_scenario_detected_long_before_the_terminal_overheats() -> None:
    rack = load_config(demo_config_path())
    result = asyncio.run(replay_scenario(rack, parse_scenario(HOTSPOT), duration_s=200.0))
    found = [e for e in result.events if e.event_code == "CONTACT_RESISTANCE_SUSPECTED"]
    assert [(e.pdu_id, e.source) for e in found] == [("pdu-b", "outlet/21")]
    ev = found[0]
    assert ev.timestamp_utc > "2026-01-01T00:01:00"  # not before the contact aged
    assert ev.evidence["value"] >= ev.evidence["limit"] >= 12.0
    assert ev.evidence["increase_mohm"] > 10 and ev.evidence["nominal_mohm"] == 2.0
    assert ev.evidence["terminal_c"] < 70.0  # protection's first limit is still far away
    assert not [e for e in result.events if e.event_code in ("TEMPERATURE_HIGH", "BREAKER_TRIPPED")]


def test_feed_loss_failover_raises_no_contact_resistance_alarm() -> None:
    """The shipped feed-a-loss scenario: at 90 s the B-side outlets take their devices' whole load
    while the rack air drifts; no terminal's contact changed, so nothing may be suspected."""
    rack = load_config(demo_config_path())
    path = Path(__file__).resolve().parents[2] / "scenarios" / "feed-a-loss.yaml"
    result = asyncio.run(replay_scenario(rack, load_scenario(path), duration_s=240.0))
    codes = [e.event_code for e in result.events]
    assert "FEED_LOST" in codes
    assert "CONTACT_RESISTANCE_SUSPECTED" not in codes
