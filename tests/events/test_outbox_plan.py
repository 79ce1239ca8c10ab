"""Outbox pure parts: backoff schedule with jitter, filters, batch plans, stable delivery ids."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartpdu.events.codes import Severity
from smartpdu.events.model import Event
from smartpdu.events.outbox_plan import (
    ALL_EVENTS,
    EventFilter,
    RetryPolicy,
    backoff_delay,
    batch_delivery_id,
    check_destination_id,
    event_delivery_id,
    plan_batch,
)


def ev(seq: int, pdu: str = "pdu-a", code: str = "OUTLET_ON", severity: str = "info") -> Event:
    return Event.from_dict(
        {
            "sequence_id": seq,
            "timestamp_utc": "2026-01-01T00:00:00.000000Z",
            "pdu_id": pdu,
            "source": "outlet/1",
            "event_code": code,
            "severity": severity,
            "action_taken": "none",
            "reason_code": None,
            "evidence": {},
            "actor": None,
            "command_id": None,
            "message": "m",
            "prev_hash": "0" * 64,
            "hash": "1" * 64,
        }
    )


def test_backoff_doubles_up_to_the_cap_without_jitter() -> None:
    policy = RetryPolicy(base_s=1.0, max_s=4.0, jitter=0.0)
    assert [backoff_delay(n, policy, 0.5) for n in range(1, 6)] == [1.0, 2.0, 4.0, 4.0, 4.0]
    assert backoff_delay(10_000, policy, 0.0) == 4.0  # no overflow after a long outage


def test_jitter_spreads_below_the_delay_and_never_above_the_cap() -> None:
    policy = RetryPolicy(base_s=2.0, max_s=60.0, jitter=0.5)
    assert backoff_delay(3, policy, 0.0) == 8.0
    assert backoff_delay(3, policy, 1.0) == 4.0
    assert backoff_delay(3, policy, 0.5) == 6.0


@given(
    failures=st.integers(1, 200),
    u=st.floats(0.0, 1.0),
    jitter=st.floats(0.0, 1.0),
    base=st.floats(0.01, 10.0),
)
def test_backoff_stays_within_its_band(failures: int, u: float, jitter: float, base: float) -> None:
    policy = RetryPolicy(base_s=base, max_s=30.0, jitter=jitter)
    d = min(30.0, base * 2.0 ** min(failures - 1, 62))
    got = backoff_delay(failures, policy, u)
    assert d * (1 - jitter) - 1e-9 <= got <= d + 1e-9
    assert got <= policy.max_s


def test_seeded_rng_gives_the_same_schedule() -> None:
    policy = RetryPolicy(base_s=1.0, max_s=60.0, jitter=0.3)

    def schedule(seed: int) -> list[float]:
        rng = random.Random(seed)
        return [backoff_delay(n, policy, rng.random()) for n in range(1, 8)]

    assert schedule(7) == schedule(7)
    assert schedule(7) != schedule(8)


def test_retry_after_lengthens_the_wait_up_to_the_cap() -> None:
    policy = RetryPolicy(base_s=1.0, max_s=30.0, jitter=0.0)
    assert backoff_delay(1, policy, 0.0, retry_after_s=10.0) == 10.0
    assert backoff_delay(1, policy, 0.0, retry_after_s=3600.0) == 30.0
    assert backoff_delay(3, policy, 0.0, retry_after_s=1.0) == 4.0  # never shortens


@pytest.mark.parametrize(
    "kwargs", [{"base_s": 0.0}, {"base_s": 5.0, "max_s": 1.0}, {"jitter": 1.5}, {"jitter": -0.1}]
)
def test_policy_refuses_bad_values(kwargs: dict) -> None:
    with pytest.raises(ValueError, match=r"base_s|jitter"):
        RetryPolicy(**kwargs)


def test_backoff_refuses_bad_inputs() -> None:
    with pytest.raises(ValueError, match="failures"):
        backoff_delay(0, RetryPolicy(), 0.0)
    with pytest.raises(ValueError, match="u must"):
        backoff_delay(1, RetryPolicy(), 1.5)


def test_filter_by_pdu_code_and_severity() -> None:
    f = EventFilter(
        pdu_ids=frozenset({"pdu-a"}),
        event_codes=frozenset({"BREAKER_TRIPPED", "OUTLET_ON"}),
        min_severity=Severity.WARNING,
    )
    assert f.matches(ev(1, code="BREAKER_TRIPPED", severity="critical"))
    assert not f.matches(ev(2, code="OUTLET_ON", severity="info"))  # below min severity
    assert not f.matches(ev(3, pdu="pdu-b", code="BREAKER_TRIPPED", severity="critical"))
    assert not f.matches(ev(4, code="FEED_LOST", severity="critical"))
    assert f.wants_pdu("pdu-a") and not f.wants_pdu("pdu-b")
    assert ALL_EVENTS.matches(ev(5, pdu="anything"))


def test_plan_is_none_when_nothing_is_new() -> None:
    assert plan_batch("pdu-a", 3, [], ALL_EVENTS, limit=10) is None
    assert plan_batch("pdu-a", 3, [ev(2), ev(3)], ALL_EVENTS, limit=10) is None


def test_plan_limits_the_batch_and_covers_a_contiguous_range() -> None:
    fetched = [ev(s) for s in range(5, 12)]
    plan = plan_batch("pdu-a", 4, fetched, ALL_EVENTS, limit=3)
    assert plan is not None
    assert (plan.first_seq, plan.last_seq) == (5, 7)
    assert [e.sequence_id for e in plan.send] == [5, 6, 7]


def test_filtered_out_events_advance_the_range_without_being_sent() -> None:
    only_trips = EventFilter(event_codes=frozenset({"BREAKER_TRIPPED"}))
    fetched = [ev(1), ev(2, code="BREAKER_TRIPPED", severity="critical"), ev(3)]
    plan = plan_batch("pdu-a", 0, fetched, only_trips, limit=10)
    assert plan is not None and (plan.first_seq, plan.last_seq) == (1, 3)
    assert [e.sequence_id for e in plan.send] == [2]
    none_wanted = plan_batch("pdu-a", 3, [ev(4), ev(5)], only_trips, limit=10)
    assert none_wanted is not None and none_wanted.send == () and none_wanted.last_seq == 5


def test_a_pinned_retry_replays_exactly_the_attempted_range() -> None:
    first = plan_batch("pdu-a", 0, [ev(1), ev(2)], ALL_EVENTS, limit=50)
    assert first is not None
    # two more events arrived while the receiver was down: the retry must not grow
    retry = plan_batch(
        "pdu-a", 0, [ev(s) for s in (1, 2, 3, 4)], ALL_EVENTS, limit=50, pinned_last=2
    )
    assert retry == first
    assert batch_delivery_id("webhook-1", retry) == batch_delivery_id("webhook-1", first)
    assert batch_delivery_id("webhook-1", first) == "webhook-1.pdu-a.1-2"
    assert batch_delivery_id("webhook-2", first) != batch_delivery_id("webhook-1", first)


def test_event_delivery_id_is_per_destination_and_event() -> None:
    assert event_delivery_id("redfish-3", ev(9, pdu="pdu-b")) == "redfish-3.pdu-b.9"


@pytest.mark.parametrize("bad", ["", "a/b", "x" * 65, "sp ace"])
def test_destination_ids_that_would_break_store_keys_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="destination id"):
        check_destination_id(bad)


def test_plan_refuses_a_zero_limit() -> None:
    with pytest.raises(ValueError, match="limit"):
        plan_batch("pdu-a", 0, [ev(1)], ALL_EVENTS, limit=0)
