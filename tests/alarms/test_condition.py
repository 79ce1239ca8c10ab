"""The pure condition state machine: limits, hysteresis, delays, latch, missing values."""

from __future__ import annotations

import math

import pytest

from smartpdu.alarms import (
    Condition,
    ConditionKind,
    ConditionState,
    RateWindow,
    Transition,
    acknowledge,
    evaluate,
    slope_per_min,
)


def run(cond: Condition, values: list[float | None], dt: float = 1.0):
    state, out = ConditionState(), []
    for k, v in enumerate(values):
        state, tr = evaluate(cond, state, v, k * dt)
        out.append(tr)
    return state, out


HIGH = Condition("high_warning", ConditionKind.HIGH, "warning", 80.0, hysteresis=5.0)


def test_high_limit_raises_above_and_clears_only_below_limit_minus_hysteresis() -> None:
    state, trs = run(HIGH, [70, 80, 81, 79, 76, 74.9, 90])
    assert trs == [None, None, Transition.RAISED, None, None, Transition.CLEARED, Transition.RAISED]
    assert state.active and state.peak == 90


def test_low_limit_is_the_mirror_image() -> None:
    low = Condition("low_warning", ConditionKind.LOW, "warning", 18.0, hysteresis=0.5)
    _, trs = run(low, [20, 17.9, 18.2, 18.6])
    assert trs == [None, Transition.RAISED, None, Transition.CLEARED]


def test_on_delay_needs_a_continuous_excursion() -> None:
    cond = Condition("high_warning", ConditionKind.HIGH, "warning", 80.0, on_delay_s=3.0)
    _, trs = run(cond, [81, 82, 79, 81, 81, 81, 81])  # broken at t=2, then 3 s from t=3
    assert trs.index(Transition.RAISED) == 6


def test_off_delay_needs_a_continuous_return() -> None:
    cond = Condition("high_warning", ConditionKind.HIGH, "warning", 80.0, off_delay_s=2.0)
    _, trs = run(cond, [85, 70, 85, 70, 70, 70])
    assert trs == [Transition.RAISED, None, None, None, None, Transition.CLEARED]


@pytest.mark.parametrize("missing", [None, math.nan])
def test_missing_values_never_raise_or_clear_and_mark_the_alarm_stale(missing) -> None:
    cond = Condition("high_warning", ConditionKind.HIGH, "warning", 80.0, on_delay_s=2.0)
    state, trs = run(cond, [81, missing, 81, 81])  # the gap restarts the delay
    assert trs == [None, None, None, None]
    state, tr = evaluate(cond, state, 81, 4.0)
    assert tr is Transition.RAISED
    state, tr = evaluate(cond, state, missing, 5.0)
    assert tr is None and state.active and state.stale
    state, tr = evaluate(cond, state, 10.0, 6.0)
    assert tr is Transition.CLEARED and not state.stale


def test_latched_alarm_waits_for_acknowledgement_after_returning() -> None:
    cond = Condition("high_critical", ConditionKind.HIGH, "critical", 10.0, latch=True)
    state, trs = run(cond, [11, 5, 5])
    assert trs == [Transition.RAISED, None, None] and state.active and state.returned
    state, tr = acknowledge(state)
    assert tr is Transition.CLEARED and not state.active


def test_latched_alarm_acknowledged_while_active_clears_on_return() -> None:
    cond = Condition("high_critical", ConditionKind.HIGH, "critical", 10.0, latch=True)
    state, _ = evaluate(cond, ConditionState(), 11, 0.0)
    state, tr = acknowledge(state)
    assert tr is Transition.ACKNOWLEDGED and state.acknowledged
    assert acknowledge(state) == (state, None)  # twice: nothing to do
    state, tr = evaluate(cond, state, 5, 1.0)
    assert tr is Transition.CLEARED


def test_slope_matches_a_line_and_the_window_needs_half_its_span() -> None:
    pts = [(t, 2.0 + 0.05 * t) for t in range(0, 61, 5)]
    assert slope_per_min(pts) == pytest.approx(3.0)  # 0.05/s = 3/min
    w = RateWindow(60.0)
    got = [w.add(float(t), 20.0 + 0.1 * t) for t in range(0, 121)]
    assert got[29] is None and got[30] == pytest.approx(6.0)
    assert got[120] == pytest.approx(6.0)
    assert w.add(121.0, None) is None
