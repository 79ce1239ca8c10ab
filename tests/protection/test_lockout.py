"""Trip-cause holds: latch until acknowledged, cooldown, bounded automatic retries."""

from smartpdu.protection import (
    RetryPolicy,
    acknowledge_hold,
    hold_active,
    record_trip,
    retry_due,
)

P = RetryPolicy(cooldown_s=30.0, max_retries=2, retry_window_s=600.0)


def test_latched_hold_needs_acknowledge_and_cooldown() -> None:
    h = record_trip(None, reason_code="ocp", t_s=100.0, latch=True, policy=P)
    assert hold_active(h, 1000.0)
    assert not retry_due(h, 1000.0)
    acked = acknowledge_hold(h)
    assert hold_active(acked, 120.0)  # cooldown still running
    assert not hold_active(acked, 130.0)


def test_unlatched_trip_cools_down_then_retries_once() -> None:
    h = record_trip(None, reason_code="overload", t_s=0.0, latch=False, policy=P)
    assert hold_active(h, 29.9) and not retry_due(h, 29.9)
    assert not hold_active(h, 30.0) and retry_due(h, 30.0)


def test_retries_are_bounded_then_latch() -> None:
    h = None
    for k in range(3):
        h = record_trip(h, reason_code="overload", t_s=100.0 * k, latch=False, policy=P)
    assert h is not None and h.latched and len(h.trips_s) == 3
    # trips outside the window do not count
    h2 = record_trip(None, reason_code="x", t_s=0.0, latch=False, policy=P)
    h2 = record_trip(h2, reason_code="x", t_s=700.0, latch=False, policy=P)
    h2 = record_trip(h2, reason_code="x", t_s=800.0, latch=False, policy=P)
    assert not h2.latched and len(h2.trips_s) == 2
