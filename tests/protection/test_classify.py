"""Outlet time-window classification: inrush allowed, overload warned then tripped, OCP tiers,
thermal derate and trip."""

from __future__ import annotations

import math

import pytest

from smartpdu.protection import (
    ChannelSample,
    ClassifierSettings,
    FindingKind,
    OcpWindow,
    OutletProtectionState,
    classify_outlet,
)

S = ClassifierSettings()


def run(samples: list[ChannelSample], settings: ClassifierSettings = S, dt: float = 0.2):
    st = OutletProtectionState()
    out = []
    for k, smp in enumerate(samples):
        st, found = classify_outlet(settings, st, smp, t_s=k * dt, dt_s=dt)
        out.append(found)
    return st, out


def kinds(found) -> list[list[str]]:
    return [[f.kind.value for f in fs] for fs in found]


def test_inrush_is_logged_once_and_allowed() -> None:
    samples = [ChannelSample(0.0, 0.0, 10.0), ChannelSample(9.0, 45.0, 10.0)]
    samples += [ChannelSample(1.0, 1.4, 10.0)] * 5
    _, found = run(samples)
    flat = [f for fs in found for f in fs]
    assert [f.kind for f in flat] == [FindingKind.INRUSH]
    assert flat[0].peak == 45.0
    assert flat[0].limit == pytest.approx(1.5 * math.sqrt(2) * 10.0)


def test_high_rms_inside_inrush_window_does_not_trip() -> None:
    # 30 A rms in the first window after energising (3 x rating) is inrush, not OCP
    _, found = run([ChannelSample(30.0, 60.0, 10.0)] + [ChannelSample(1.0, 1.4, 10.0)] * 3)
    assert not any(f.trips for fs in found for f in fs)


def test_sustained_overload_warns_at_once_then_trips_after_window() -> None:
    s = ClassifierSettings(overload_window_s=2.0, ocp_windows=())
    samples = [ChannelSample(5.0, 7.0, 10.0)] * 4 + [ChannelSample(11.0, 15.6, 10.0)] * 12
    _, found = run(samples, s)
    ks = kinds(found)
    first_warn = next(k for k, f in enumerate(ks) if "overload_warning" in f)
    trip = next(k for k, f in enumerate(ks) if "overload_trip" in f)
    assert first_warn == 4
    # 2.0 s at 0.2 s per window: the 10th over-rating window trips
    assert trip == 4 + 9
    assert sum("overload_warning" in f for f in ks[: trip + 1]) == 1


def test_brief_overload_below_window_never_trips() -> None:
    s = ClassifierSettings(overload_window_s=2.0, ocp_windows=())
    samples = ([ChannelSample(5.0, 7.0, 10.0)] * 4 + [ChannelSample(11.0, 15.6, 10.0)] * 5) * 3
    _, found = run(samples, s)
    assert not any(f.trips for fs in found for f in fs)


def test_instant_ocp_tier_trips_in_the_same_window_and_latches() -> None:
    samples = [ChannelSample(5.0, 7.0, 10.0)] * 4 + [ChannelSample(26.0, 40.0, 10.0)]
    _, found = run(samples)
    trip = found[-1]
    assert [f.kind for f in trip] == [FindingKind.OCP_TRIP]
    assert trip[0].latch and trip[0].limit == pytest.approx(25.0)


def test_timed_ocp_tier() -> None:
    s = ClassifierSettings(ocp_windows=(OcpWindow(1.5, 1.0),), overload_window_s=60.0)
    samples = [ChannelSample(5.0, 7.0, 10.0)] * 4 + [ChannelSample(16.0, 23.0, 10.0)] * 6
    _, found = run(samples, s)
    trips = [k for k, fs in enumerate(found) if any(f.kind is FindingKind.OCP_TRIP for f in fs)]
    assert trips == [8]  # 5th window above 1.5x = 1.0 s


def test_thermal_derate_lowers_the_limit_then_trip() -> None:
    s = ClassifierSettings(ocp_windows=(), overload_window_s=100.0)
    hot = [ChannelSample(9.0, 12.7, 10.0, terminal_temp_c=72.0)] * 3
    st, found = run([ChannelSample(9.0, 12.7, 10.0, terminal_temp_c=40.0)] * 4 + hot, s)
    assert st.derated
    flat = [f for fs in found for f in fs]
    assert FindingKind.DERATE in [f.kind for f in flat]
    # 9 A on a derated 10 A outlet (limit 8 A) is now an overload
    assert FindingKind.OVERLOAD_WARNING in [f.kind for f in flat]
    _, found = run([ChannelSample(9.0, 12.7, 10.0, terminal_temp_c=95.0)] * 5, s)
    trip = [f for fs in found for f in fs if f.kind is FindingKind.THERMAL_TRIP]
    assert trip and trip[0].latch and trip[0].unit == "degC"


def test_temperature_slope_derates_before_the_absolute_limit() -> None:
    s = ClassifierSettings(slope_window_s=1.0, derate_slope_c_per_s=0.5)
    samples = [ChannelSample(5.0, 7.0, 10.0, terminal_temp_c=40.0 + 0.2 * k) for k in range(20)]
    _, found = run(samples, s)
    der = [f for fs in found for f in fs if f.kind is FindingKind.DERATE]
    assert der and der[0].reason_code == "terminal_temperature_slope"
    assert der[0].value == pytest.approx(1.0)  # 0.2 degC per 0.2 s window
