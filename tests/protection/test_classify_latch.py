"""The thermal trip is a latched condition, and a NaN current is "no value" (issue 11 item 9a,
issue 10 item 3): pure classifier tests."""

from __future__ import annotations

import math

from smartpdu.protection.classify import (
    ChannelSample,
    ClassifierSettings,
    FindingKind,
    OutletProtectionState,
    classify_outlet,
)

S = ClassifierSettings(ocp_windows=(), overload_window_s=2.0)


def _run(samples: list[ChannelSample], st: OutletProtectionState | None = None):
    st = st or OutletProtectionState()
    found = []
    for k, sample in enumerate(samples):
        st, f = classify_outlet(S, st, sample, t_s=0.2 * k, dt_s=0.2)
        found.append(f)
    return st, found


def _kinds(found) -> list[FindingKind]:
    return [f.kind for fs in found for f in fs]


def test_a_hot_terminal_trips_once_while_it_stays_hot_and_counts_the_repeats() -> None:
    on_hot = [ChannelSample(5.0, 7.0, 10.0, terminal_temp_c=95.0)] * 2
    off_hot = [ChannelSample(0.0, 0.0, 10.0, terminal_temp_c=94.0 - 0.1 * k) for k in range(30)]
    st, found = _run(on_hot + off_hot)
    assert _kinds(found).count(FindingKind.THERMAL_TRIP) == 1
    assert st.thermal_tripped and st.thermal_repeats == 31


def test_switching_on_while_still_hot_is_a_new_trip() -> None:
    hot_off = [ChannelSample(0.0, 0.0, 10.0, terminal_temp_c=93.0)] * 3
    st, found = _run([ChannelSample(5.0, 7.0, 10.0, terminal_temp_c=95.0), *hot_off])
    assert _kinds(found).count(FindingKind.THERMAL_TRIP) == 1
    st, found = _run([ChannelSample(5.0, 7.0, 10.0, terminal_temp_c=92.0)], st)
    assert _kinds(found) == [FindingKind.THERMAL_TRIP]


def test_cooling_below_the_derate_limit_rearms_the_trip() -> None:
    st, _ = _run([ChannelSample(0.0, 0.0, 10.0, terminal_temp_c=95.0)] * 2)
    st, found = _run([ChannelSample(0.0, 0.0, 10.0, terminal_temp_c=60.0)], st)
    assert not st.thermal_tripped
    st, found = _run([ChannelSample(0.0, 0.0, 10.0, terminal_temp_c=91.0)], st)
    assert _kinds(found) == [FindingKind.THERMAL_TRIP]


def test_a_missing_current_value_neither_resets_nor_accumulates_an_overload() -> None:
    over = ChannelSample(12.0, 17.0, 10.0)
    gap = ChannelSample(math.nan, math.nan, 10.0, flags=("low_signal",))
    # 0.6 s inrush grace, then 1.8 s above rating, a 1 s gap, then 0.2 s more: 2.0 s in total
    _, found = _run([over] * 3 + [over] * 9 + [gap] * 5 + [over])
    trips = [k for k, fs in enumerate(found) if any(f.trips for f in fs)]
    assert trips == [17]
    # the same gap read as 0 A (what the display snapshot shows) would have reset the timer
    zero = ChannelSample(0.0, 0.0, 10.0)
    _, found = _run([over] * 3 + [over] * 9 + [zero] * 5 + [over])
    assert not any(f.trips for fs in found for f in fs)
