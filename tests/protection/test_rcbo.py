"""RCBO: residual release per IEC 61009-1 on top of the MCB curves."""

from __future__ import annotations

import math
import re

import pytest

from smartpdu.protection import BreakerThermalState, McbSpec, RcboSpec, step_breaker

SQRT2 = math.sqrt(2.0)
COLD = BreakerThermalState()
RCBO = RcboSpec(McbSpec("C", 16.0))


def run(spec, residual_ma, duration_s, i=5.0, dt=0.2, state=COLD):
    t = 0.0
    for _ in range(round(duration_s / dt)):
        state, trip = step_breaker(
            spec, state, i_rms_a=i, i_peak_a=i * SQRT2, dt_s=dt, residual_ma=residual_ma
        )
        if trip is not None:
            return t + trip.elapsed_s, trip, state
        t += dt
    return None, None, state


def test_15_ma_never_trips():
    _t, trip, _ = run(RCBO, 15.0, 3600.0)
    assert trip is None


@pytest.mark.parametrize("dt", [0.2, 0.01, 0.001])
def test_30_ma_trips_within_300_ms(dt):
    t, trip, _ = run(RCBO, 30.0, 1.0, dt=dt)
    assert trip is not None and trip.band == "residual" and trip.unit == "mA"
    assert t <= 0.3
    assert t == pytest.approx(RCBO.operate_time_s, abs=1e-9)
    assert trip.value == 30.0 and trip.limit == pytest.approx(22.5)


def test_trip_threshold_between_half_and_full_idn():
    assert run(RCBO, 0.74 * 30.0, 60.0)[1] is None
    assert run(RCBO, 0.76 * 30.0, 1.0)[1] is not None


def test_residual_timer_needs_continuous_residual():
    # 20 ms bursts separated by quiet windows never add up to the operate time.
    state = COLD
    for _ in range(50):
        for residual in (40.0, 0.0):
            state, trip = step_breaker(
                RCBO, state, i_rms_a=5.0, i_peak_a=7.0, dt_s=0.02, residual_ma=residual
            )
            assert trip is None
    assert state.residual_s == 0.0


def test_rcbo_keeps_the_mcb_overcurrent_behaviour():
    i = 2.55 * 16.0
    _, trip = step_breaker(RCBO, COLD, i_rms_a=i, i_peak_a=i * SQRT2, dt_s=100.0)
    assert trip is not None and trip.band == "thermal" and 1.0 < trip.elapsed_s < 60.0
    i = 10.0 * 16.0
    _, trip = step_breaker(RCBO, COLD, i_rms_a=i, i_peak_a=i * SQRT2, dt_s=0.1)
    assert trip is not None and trip.band == "magnetic"
    # An MCB ignores residual current entirely.
    _, trip = step_breaker(RCBO.mcb, COLD, i_rms_a=5.0, i_peak_a=7.0, dt_s=1.0, residual_ma=300)
    assert trip is None


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"trip_fraction": 0.5}, "trip_fraction must be in (0.5, 1]"),
        ({"trip_fraction": 1.1}, "trip_fraction must be in (0.5, 1]"),
        ({"idn_ma": 0.0}, "idn_ma must be in (0, 1000]"),
        ({"operate_time_s": 0.3}, "operate_time_s must be in (0, 0.04]"),
    ],
)
def test_invalid_rcbo_names_the_allowed_range(kwargs, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        RcboSpec(McbSpec("C", 16.0), **kwargs)
