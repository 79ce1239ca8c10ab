"""IEC 60898-1 acceptance points for B, C and D MCBs, stepped in 0.2 s windows."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartpdu.protection import (
    MAGNETIC_BANDS,
    BreakerThermalState,
    McbSpec,
    step_breaker,
    time_to_trip_s,
)

SQRT2 = math.sqrt(2.0)
DT = 0.2
COLD = BreakerThermalState()


def run(spec, multiple, duration_s, state=COLD, dt=DT):
    """Step at a constant sinusoidal current; return (state, time of trip or None)."""
    i = multiple * spec.rating_a
    t = 0.0
    for _ in range(round(duration_s / dt)):
        state, trip = step_breaker(spec, state, i_rms_a=i, i_peak_a=i * SQRT2, dt_s=dt)
        if trip is not None:
            return state, t + trip.elapsed_s, trip
        t += dt
    return state, None, None


CURVES = ["B", "C", "D"]
RATINGS = [6.0, 16.0, 32.0, 40.0, 63.0]


@pytest.mark.parametrize("curve", CURVES)
@pytest.mark.parametrize("rating", RATINGS)
def test_no_trip_at_1_13_in_for_one_hour_from_cold(curve, rating):
    spec = McbSpec(curve, rating)
    state, t, _ = run(spec, 1.13, 3600.0)
    assert t is None
    # Settled close to its steady state, still clearly below the trip level.
    assert 0.7 < state.theta < 0.85


@pytest.mark.parametrize("curve", CURVES)
@pytest.mark.parametrize("rating", RATINGS)
def test_trip_within_one_hour_at_1_45_in_after_the_1_13_in_hour(curve, rating):
    spec = McbSpec(curve, rating)
    warm, t, _ = run(spec, 1.13, 3600.0)
    assert t is None
    _, t, trip = run(spec, 1.45, 3600.0, state=warm)
    assert t is not None and 0.0 < t < 3600.0
    assert trip.band == "thermal"
    # ... and from cold as well, later than from warm (memory).
    _, t_cold, _ = run(spec, 1.45, 3600.0)
    assert t_cold is not None and t < t_cold < 3600.0


@pytest.mark.parametrize("curve", CURVES)
@pytest.mark.parametrize("rating", RATINGS)
def test_trip_at_2_55_in_between_1_s_and_60_s_or_120_s_above_32_a(curve, rating):
    spec = McbSpec(curve, rating)
    _, t, trip = run(spec, 2.55, 200.0)
    upper = 60.0 if rating <= 32.0 else 120.0
    assert t is not None and 1.0 < t < upper
    assert trip.band == "thermal"


@pytest.mark.parametrize("tau", [4.0, 30.0, 60.0, 150.0, 200.0])
def test_iec_points_hold_over_the_whole_allowed_tau_range(tau):
    spec = McbSpec("C", 16.0, thermal_tau_s=tau)
    t_255 = time_to_trip_s(spec, COLD, 2.55 * 16.0)
    assert 1.0 < t_255 < 60.0
    assert time_to_trip_s(spec, COLD, 1.13 * 16.0) == math.inf
    assert time_to_trip_s(spec, COLD, 1.45 * 16.0) < 3600.0


@pytest.mark.parametrize("curve", CURVES)
def test_magnetic_band_edges_for_default_and_extreme_thresholds(curve):
    lo, hi = MAGNETIC_BANDS[curve]
    for multiple in (None, lo, hi):
        spec = McbSpec(curve, 16.0, magnetic_multiple=multiple)
        # Just below the band's lower edge: no instantaneous trip within 0.1 s.
        i = 0.999 * lo * 16.0
        _, trip = step_breaker(spec, COLD, i_rms_a=i, i_peak_a=i * SQRT2, dt_s=0.1)
        assert trip is None
        # At the band's upper edge: trips within 0.1 s, magnetically.
        i = hi * 16.0
        _, trip = step_breaker(spec, COLD, i_rms_a=i, i_peak_a=i * SQRT2, dt_s=0.1)
        assert trip is not None and trip.band == "magnetic"
        assert trip.elapsed_s <= 0.1
        assert trip.unit == "A" and trip.value == pytest.approx(i)


def test_c16_default_magnetic_threshold_is_the_geometric_band_middle():
    spec = McbSpec("C", 16.0)
    assert spec.magnetic_a == pytest.approx(math.sqrt(50.0) * 16.0)
    i_eq = spec.magnetic_a
    _, trip = step_breaker(spec, COLD, i_rms_a=20.0, i_peak_a=i_eq * SQRT2, dt_s=0.2)
    assert trip is not None and trip.band == "magnetic" and trip.limit == pytest.approx(i_eq)
    _, trip = step_breaker(spec, COLD, i_rms_a=20.0, i_peak_a=0.99 * i_eq * SQRT2, dt_s=0.2)
    assert trip is None


@given(
    curve=st.sampled_from(CURVES),
    position=st.floats(0.0, 1.0),
    rating=st.floats(1.0, 125.0),
)
def test_any_threshold_in_the_band_respects_both_edges(curve, position, rating):
    lo, hi = MAGNETIC_BANDS[curve]
    spec = McbSpec(curve, rating, magnetic_multiple=lo + position * (hi - lo))
    below = 0.999 * lo * rating
    _, trip = step_breaker(spec, COLD, i_rms_a=below, i_peak_a=below * SQRT2, dt_s=0.1)
    assert trip is None
    at = hi * rating * (1 + 1e-9)  # the band edge, past float rounding of the threshold
    _, trip = step_breaker(spec, COLD, i_rms_a=at, i_peak_a=at * SQRT2, dt_s=0.1)
    assert trip is not None and trip.elapsed_s <= 0.1


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"curve": "K", "rating_a": 16.0}, "B, C, D"),
        ({"curve": "C", "rating_a": 0.0}, "(0, 125]"),
        ({"curve": "C", "rating_a": 16.0, "magnetic_multiple": 4.0}, "[5.0, 10.0]"),
        ({"curve": "D", "rating_a": 16.0, "magnetic_multiple": 21.0}, "[10.0, 20.0]"),
        ({"curve": "C", "rating_a": 16.0, "thermal_tau_s": 500.0}, "thermal_tau_s must be in"),
        ({"curve": "C", "rating_a": 16.0, "thermal_tau_s": 1.0}, "thermal_tau_s must be in"),
        ({"curve": "C", "rating_a": 16.0, "thermal_pickup_x": 1.5}, "(1.13, 1.45)"),
    ],
)
def test_invalid_specs_name_the_allowed_range(kwargs, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        McbSpec(**kwargs)


def test_large_breaker_allows_the_longer_2_55_window():
    # τ = 300 s would put 2.55·In past 60 s: rejected at 32 A, accepted at 40 A.
    with pytest.raises(ValueError):
        McbSpec("C", 32.0, thermal_tau_s=300.0)
    spec = McbSpec("C", 40.0, thermal_tau_s=300.0)
    assert 60.0 < time_to_trip_s(spec, COLD, 2.55 * 40.0) < 120.0
