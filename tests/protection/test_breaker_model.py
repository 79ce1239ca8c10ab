"""Stepping model against an independent ODE integration and the analytic trip time."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from smartpdu.protection import (
    BreakerThermalState,
    McbSpec,
    MccbSpec,
    RcboSpec,
    step_breaker,
    time_to_trip,
    time_to_trip_s,
)

SQRT2 = math.sqrt(2.0)
COLD = BreakerThermalState()
C16 = McbSpec("C", 16.0)


def stepped_trip_time(spec, current_of_t, dt, state=COLD, t_max=7200.0):
    t = 0.0
    while t < t_max:
        i = current_of_t(t)
        state, trip = step_breaker(spec, state, i_rms_a=i, i_peak_a=i * SQRT2, dt_s=dt)
        if trip is not None:
            return t + trip.elapsed_s, state
        t += dt
    return None, state


def ode_trip_time(spec, multiple, theta0=0.0):
    """Integrate dθ/dt = ((I/I_p)² − θ)/τ numerically until θ = 1 (independent reference)."""
    r = spec.releases
    x2 = (multiple * spec.rating_a / r.thermal_pickup_a) ** 2

    def hit(_t, y):
        return y[0] - 1.0

    hit.terminal = True
    sol = solve_ivp(
        lambda _t, y: [(x2 - y[0]) / r.tau_s],
        (0.0, 1e5),
        [theta0],
        events=hit,
        rtol=1e-10,
        atol=1e-12,
    )
    return sol.t_events[0][0] if sol.t_events[0].size else math.inf


@pytest.mark.parametrize("multiple", [1.3, 1.45, 2.0, 2.55, 4.0])
@pytest.mark.parametrize("dt", [0.2, 0.05, 1.0])
def test_stepping_matches_the_analytic_and_the_ode_trip_time(multiple, dt):
    analytic = time_to_trip_s(C16, COLD, multiple * 16.0)
    reference = ode_trip_time(C16, multiple)
    assert analytic == pytest.approx(reference, rel=1e-6)
    stepped, _ = stepped_trip_time(C16, lambda _t: multiple * 16.0, dt)
    # Exact inside the step: far better than "within one step".
    assert stepped == pytest.approx(analytic, abs=1e-6)


def test_trip_time_does_not_depend_on_step_size_with_varying_current():
    def profile(t):
        return 16.0 * (0.8 if t < 120.0 else 1.9 if t < 150.0 else 0.5 if t < 200.0 else 1.7)

    t_fine, _ = stepped_trip_time(C16, profile, 0.01)
    t_window, _ = stepped_trip_time(C16, profile, 0.2)
    assert t_fine is not None
    assert t_window == pytest.approx(t_fine, abs=1e-6)


def test_memory_second_overload_soon_after_the_first_trips_sooner():
    t_cold, tripped = stepped_trip_time(C16, lambda _t: 2.0 * 16.0, 0.2)
    _, rested = stepped_trip_time(C16, lambda _t: 0.0, 0.2, state=tripped, t_max=30.0)
    assert 0.5 < rested.theta < 1.0
    t_warm, _ = stepped_trip_time(C16, lambda _t: 2.0 * 16.0, 0.2, state=rested)
    assert t_warm < 0.5 * t_cold
    assert t_warm == pytest.approx(time_to_trip_s(C16, rested, 32.0), abs=1e-6)


def test_cooling_after_a_long_rest_is_back_to_cold():
    _, tripped = stepped_trip_time(C16, lambda _t: 2.0 * 16.0, 0.2)
    _, rested = stepped_trip_time(C16, lambda _t: 0.0, 0.2, state=tripped, t_max=3600.0)
    expected = math.exp(-3600.0 / C16.releases.tau_s)
    assert rested.theta == pytest.approx(expected, rel=1e-6, abs=1e-12)
    assert rested.theta < 1e-6
    t_after, _ = stepped_trip_time(C16, lambda _t: 2.0 * 16.0, 0.2, state=rested)
    t_cold = time_to_trip_s(C16, COLD, 32.0)
    assert t_after == pytest.approx(t_cold, rel=1e-4)


def test_cooling_follows_the_exponential_with_light_load():
    hot = BreakerThermalState(theta=0.9)
    state, trip = step_breaker(C16, hot, i_rms_a=8.0, i_peak_a=8.0 * SQRT2, dt_s=30.0)
    assert trip is None
    x2 = (8.0 / C16.releases.thermal_pickup_a) ** 2
    assert state.theta == pytest.approx(x2 + (0.9 - x2) * math.exp(-30.0 / 60.0))


def test_state_after_a_thermal_trip_is_open_and_cooling():
    state = BreakerThermalState(theta=0.999)
    new, trip = step_breaker(C16, state, i_rms_a=40.0, i_peak_a=40.0 * SQRT2, dt_s=0.2)
    assert trip is not None and trip.band == "thermal"
    assert 0.0 < trip.elapsed_s < 0.2
    assert new.theta == pytest.approx(math.exp(-(0.2 - trip.elapsed_s) / 60.0))
    # Still hot: reclosing onto any load trips again at once.
    hot = BreakerThermalState(theta=1.0)
    _, trip = step_breaker(C16, hot, i_rms_a=1.0, i_peak_a=1.4, dt_s=0.2)
    assert trip is not None and trip.elapsed_s == 0.0


def test_zero_current_never_trips_and_time_to_trip_is_infinite():
    assert time_to_trip_s(C16, COLD, 0.0) == math.inf
    assert time_to_trip(C16, COLD, 16.0) is None
    _, trip = step_breaker(C16, BreakerThermalState(theta=1.2), i_rms_a=0.0, i_peak_a=0.0, dt_s=1)
    assert trip is None


@pytest.mark.parametrize("dt", [0.0, -0.2, math.nan])
def test_rejects_non_positive_step(dt):
    with pytest.raises(ValueError, match="dt_s must be > 0"):
        step_breaker(C16, COLD, i_rms_a=1.0, i_peak_a=1.0, dt_s=dt)


SPECS = [
    McbSpec("B", 10.0),
    McbSpec("C", 16.0),
    McbSpec("D", 32.0, thermal_tau_s=100.0),
    RcboSpec(McbSpec("C", 20.0)),
    MccbSpec(32.0),
    MccbSpec(32.0, ir_x=0.5, isd_x=None, ii_x=4.0),
    MccbSpec(63.0, ir_x=0.8, tr_s=18.0, isd_x=2.0, tsd_s=0.1),
]


@settings(max_examples=300)
@given(
    spec=st.sampled_from(SPECS),
    a=st.floats(0.0, 30.0),
    b=st.floats(0.0, 30.0),
    theta=st.floats(0.0, 0.99),
)
def test_trip_time_is_non_increasing_in_current(spec, a, b, theta):
    lo, hi = sorted((a, b))
    state = BreakerThermalState(theta=theta)
    t_lo = time_to_trip_s(spec, state, lo * spec.rating_a)
    t_hi = time_to_trip_s(spec, state, hi * spec.rating_a)
    assert t_hi <= t_lo


@settings(max_examples=200, deadline=None)
@given(
    spec=st.sampled_from(SPECS),
    multiple=st.floats(1.0, 15.0),
    theta=st.floats(0.0, 0.95),
    dt=st.sampled_from([0.01, 0.1, 0.2, 0.5]),
)
def test_stepping_agrees_with_time_to_trip_for_any_spec(spec, multiple, theta, dt):
    i = multiple * spec.rating_a
    state = BreakerThermalState(theta=theta)
    expected = time_to_trip(spec, state, i)
    if expected is None:
        horizon = 2000 * dt
    else:
        dt = max(dt, expected.elapsed_s / 5000.0)  # keep the loop short for slow trips
        horizon = expected.elapsed_s + 2 * dt
    t = 0.0
    for _ in range(int(horizon / dt)):
        state, trip = step_breaker(spec, state, i_rms_a=i, i_peak_a=i * SQRT2, dt_s=dt)
        if trip is not None:
            break
        t += dt
    if expected is None:
        assert trip is None
    else:
        assert trip is not None and trip.band == expected.band
        assert t + trip.elapsed_s == pytest.approx(expected.elapsed_s, abs=1e-6)


def test_thermal_curve_approaches_i2t_at_high_multiples():
    # Far above pickup the first-order image integrates I²: t·I² → τ·I_p².
    r = C16.releases
    times = np.array([time_to_trip_s(C16, COLD, m * 16.0, i_peak_a=0.0) for m in (20.0, 40.0)])
    i2t = times * (np.array([20.0, 40.0]) * 16.0) ** 2
    assert i2t == pytest.approx([r.tau_s * r.thermal_pickup_a**2] * 2, rel=0.01)
