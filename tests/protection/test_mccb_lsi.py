"""MCCB LSI(+N) release with the StageSmarts DIP semantics: each band, defaults and IR = 0.5."""

from __future__ import annotations

import math
import re

import pytest

from smartpdu.protection import (
    MCCB_II_SETTINGS,
    MCCB_IR_SETTINGS,
    MCCB_ISD_SETTINGS,
    MCCB_NEUTRAL_SETTINGS,
    MCCB_NEUTRAL_T_SETTINGS,
    MCCB_TR_SETTINGS,
    MCCB_TSD_SETTINGS,
    BreakerThermalState,
    MccbSpec,
    step_breaker,
    time_to_trip,
    time_to_trip_s,
)

SQRT2 = math.sqrt(2.0)
COLD = BreakerThermalState()
IN = 32.0
DEFAULT = MccbSpec(IN)


def stepped(spec, i, dt=0.2, neutral_a=0.0, t_max=7200.0, state=COLD):
    t = 0.0
    while t < t_max:
        state, trip = step_breaker(
            spec, state, i_rms_a=i, i_peak_a=i * SQRT2, dt_s=dt, neutral_a=neutral_a
        )
        if trip is not None:
            return t + trip.elapsed_s, trip
        t += dt
    return None, None


def test_defaults_are_the_factory_settings():
    assert (DEFAULT.ir_x, DEFAULT.tr_s, DEFAULT.isd_x, DEFAULT.tsd_s, DEFAULT.ii_x) == (
        1.0,
        6.0,
        6.0,
        0.3,
        10.0,
    )
    assert DEFAULT.neutral_x is None and DEFAULT.neutral_t_s == 0.4


@pytest.mark.parametrize("tr", MCCB_TR_SETTINGS)
@pytest.mark.parametrize("ir_x", [1.0, 0.5])
def test_long_time_trips_in_tr_at_six_times_ir(tr, ir_x):
    spec = MccbSpec(IN, ir_x=ir_x, tr_s=tr, isd_x=None, ii_x=12.0)
    t, trip = stepped(spec, 6.0 * spec.ir_a)
    assert trip.band == "thermal"
    assert t == pytest.approx(tr, abs=1e-6)
    assert trip.limit == pytest.approx(1.12 * ir_x * IN)


@pytest.mark.parametrize("ir_x", [1.0, 0.5])
def test_long_time_conventional_currents(ir_x):
    spec = MccbSpec(IN, ir_x=ir_x, tr_s=18.0)
    assert time_to_trip_s(spec, COLD, 1.05 * spec.ir_a) == math.inf
    t = time_to_trip_s(spec, COLD, 1.2 * spec.ir_a)
    assert t < 3600.0
    # The long-time band is inverse-time: roughly I²t above a few IR.
    t3 = time_to_trip_s(spec, COLD, 3.0 * spec.ir_a)
    t5 = time_to_trip_s(spec, COLD, 5.0 * spec.ir_a)
    assert t3 / t5 == pytest.approx((5.0 / 3.0) ** 2, rel=0.1)


def test_ir_half_halves_the_long_time_pickup():
    full, half = MccbSpec(IN), MccbSpec(IN, ir_x=0.5)
    assert half.ir_a == 16.0
    # 20 A: above 1.12·16 A, below 1.12·32 A.
    assert time_to_trip_s(half, COLD, 20.0) < 3600.0
    assert time_to_trip_s(full, COLD, 20.0) == math.inf
    # Short-time and instantaneous stay relative to In, not IR.
    assert half.releases.short_time_a == full.releases.short_time_a == 6.0 * IN
    assert half.releases.instantaneous_a == full.releases.instantaneous_a == 10.0 * IN


@pytest.mark.parametrize("tsd", MCCB_TSD_SETTINGS)
def test_short_time_definite_time_above_isd(tsd):
    spec = MccbSpec(IN, tsd_s=tsd)
    t, trip = stepped(spec, 7.0 * IN, dt=0.05)
    assert trip.band == "short_time"
    assert t == pytest.approx(tsd, abs=1e-9)
    assert trip.limit == 6.0 * IN and trip.value == 7.0 * IN
    # Just below Isd the long-time band acts, much later (≈ tR at 6·IR).
    t_below, trip_below = stepped(spec, 5.95 * IN)
    assert trip_below.band == "thermal" and t_below > 5.0


def test_short_time_timer_resets_when_current_drops():
    state = COLD
    for _ in range(10):  # 0.2 s above Isd, 0.2 s below: never 0.3 s in a row
        for i in (7.0 * IN, 2.0 * IN):
            state, trip = step_breaker(DEFAULT, state, i_rms_a=i, i_peak_a=i * SQRT2, dt_s=0.2)
            assert trip is None
    assert state.short_time_s == 0.0


def test_short_time_off_leaves_long_time_and_instantaneous():
    spec = MccbSpec(IN, isd_x=None)
    t, trip = stepped(spec, 8.0 * IN)
    assert trip.band == "thermal"
    assert t == pytest.approx(time_to_trip_s(spec, COLD, 8.0 * IN), abs=1e-6)
    assert t == pytest.approx(6.0 * (6.0 / 8.0) ** 2, rel=0.05)  # I²t from tR at 6·IR
    _, trip = step_breaker(spec, COLD, i_rms_a=10 * IN, i_peak_a=10 * IN * SQRT2, dt_s=0.2)
    assert trip.band == "instantaneous"


@pytest.mark.parametrize("ii", MCCB_II_SETTINGS)
def test_instantaneous_above_ii(ii):
    spec = MccbSpec(IN, ii_x=ii)
    i = ii * IN
    _, trip = step_breaker(spec, COLD, i_rms_a=i, i_peak_a=i * SQRT2, dt_s=0.2)
    assert trip is not None and trip.band == "instantaneous" and trip.elapsed_s <= 0.1
    i = 0.98 * ii * IN
    _, trip = step_breaker(spec, COLD, i_rms_a=i, i_peak_a=i * SQRT2, dt_s=0.05)
    assert trip is None


def test_instantaneous_uses_the_peak_of_the_step():
    # 200 ms window rms is modest, but a 10·In-equivalent peak inside it trips at once.
    _, trip = step_breaker(DEFAULT, COLD, i_rms_a=40.0, i_peak_a=10.0 * IN * SQRT2, dt_s=0.2)
    assert trip is not None and trip.band == "instantaneous"
    assert trip.value == pytest.approx(10.0 * IN) and trip.limit == 10.0 * IN


@pytest.mark.parametrize("nx", [0.5, 1.0])
@pytest.mark.parametrize("nt", MCCB_NEUTRAL_T_SETTINGS)
def test_neutral_protection(nx, nt):
    spec = MccbSpec(IN, neutral_x=nx, neutral_t_s=nt)
    t, trip = stepped(spec, 0.5 * IN, neutral_a=1.05 * nx * IN, dt=0.2)
    assert trip.band == "neutral" and trip.unit == "A"
    assert t == pytest.approx(nt, abs=1e-9)
    assert trip.limit == nx * IN
    t, trip = stepped(spec, 0.5 * IN, neutral_a=0.95 * nx * IN, t_max=60.0)
    assert trip is None


def test_neutral_off_by_default():
    _t, trip = stepped(DEFAULT, 0.5 * IN, neutral_a=2.0 * IN, t_max=60.0)
    assert trip is None
    assert time_to_trip(DEFAULT, COLD, 0.5 * IN, neutral_a=2.0 * IN) is None


def test_every_dip_combination_validates():
    for ir in MCCB_IR_SETTINGS:
        for isd in MCCB_ISD_SETTINGS:
            for ii in MCCB_II_SETTINGS:
                for nx in MCCB_NEUTRAL_SETTINGS:
                    MccbSpec(IN, ir_x=ir, isd_x=isd, ii_x=ii, neutral_x=nx)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"ir_x": 0.3}, "ir_x must be in [0.4, 1]"),
        ({"tr_s": 20.0}, "tr_s must be in [3, 18]"),
        ({"isd_x": 9.0}, "isd_x must be None (OFF) or in [1.5, 8]"),
        ({"tsd_s": 0.5}, "tsd_s must be in [0.1, 0.4]"),
        ({"ii_x": 1.0}, "ii_x must be in [1.5, 12]"),
        ({"neutral_x": 2.0}, "neutral_x must be None (OFF) or in [0.5, 1]"),
        ({"neutral_t_s": 0.05}, "neutral_t_s must be in [0.1, 0.4]"),
    ],
)
def test_invalid_settings_name_the_allowed_range(kwargs, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        MccbSpec(IN, **kwargs)
