import numpy as np
import pytest

from smartpdu.twin.thermal import (
    RackAirModel,
    air_steady_state,
    terminal_steady_state,
    terminal_temperature_step,
)


def test_terminal_step_matches_analytic_exponential() -> None:
    i = np.array([10.0, 16.0, 0.0])
    r = np.array([2.0, 50.0, 5.0])  # mΩ
    t0 = np.array([25.0, 25.0, 40.0])
    ambient, tau, rth = 25.0, 300.0, 8.0
    t_inf = ambient + i**2 * r * 1e-3 * rth
    for t in (0.0, 0.2, 60.0, 300.0, 3600.0):
        got = terminal_temperature_step(t0, i, r, ambient, t, tau_s=tau, r_th_c_per_w=rth)
        want = t_inf + (t0 - t_inf) * np.exp(-t / tau)
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_terminal_steady_state_is_ambient_plus_i2r_rth() -> None:
    # 16 A through a 50 mΩ aged contact: 12.8 W -> +102.4 K at 8 K/W
    t = np.array([30.0])
    for _ in range(200):
        t = terminal_temperature_step(t, 16.0, 50.0, 30.0, 60.0)
    assert t[0] == pytest.approx(30.0 + 16.0**2 * 0.050 * 8.0, abs=1e-6)
    assert terminal_steady_state(16.0, 50.0, 30.0) == pytest.approx(132.4)


def test_terminal_step_is_dt_independent() -> None:
    one = terminal_temperature_step(np.array([20.0]), 12.0, 20.0, 20.0, 600.0)
    many = np.array([20.0])
    for _ in range(3000):
        many = terminal_temperature_step(many, 12.0, 20.0, 20.0, 0.2)
    np.testing.assert_allclose(many, one, rtol=1e-9)


def test_terminal_step_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="dt_s"):
        terminal_temperature_step(np.zeros(1), 1.0, 1.0, 20.0, -1.0)
    with pytest.raises(ValueError, match="tau_s"):
        terminal_temperature_step(np.zeros(1), 1.0, 1.0, 20.0, 1.0, tau_s=0.0)


def test_air_steady_state_within_and_beyond_capacity() -> None:
    ok = air_steady_state(10000.0, 22.0, 20000.0)
    assert ok.bottom_c == pytest.approx(22.0)
    assert ok.top_c == pytest.approx(22.0 + 12.0 * 0.5)
    over = air_steady_state(25000.0, 22.0, 20000.0)
    assert over.bottom_c == pytest.approx(22.0 + 5000.0 * 2e-3)
    failed = air_steady_state(10000.0, 22.0, 20000.0, cooling_ok=False)
    assert failed.bottom_c == pytest.approx(22.0 + 10000.0 * 2e-3)
    assert failed.top_c - failed.bottom_c == pytest.approx(ok.top_c - ok.bottom_c)


def test_rack_air_starts_in_equilibrium_then_relaxes_on_cooling_failure() -> None:
    model = RackAirModel(setpoint_c=22.0, capacity_w=20000.0, tau_s=180.0)
    first = model.step(8000.0, 0.2)
    assert first.bottom_c == pytest.approx(22.0)
    assert first.top_c == pytest.approx(22.0 + 12.0 * 0.4)
    after = model.step(8000.0, 180.0, cooling_ok=False)
    target = 22.0 + 8000.0 * 2e-3
    assert after.bottom_c == pytest.approx(target + (22.0 - target) * np.exp(-1.0))
