"""Readings at 1 s, SQL roll-ups to 1 min and 1 h, retention purge and history, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smartpdu.storage import (
    HistoryPoint,
    Reading,
    Resolution,
    RetentionPolicy,
    SqlStore,
    choose_resolution,
)
from smartpdu.storage.readings_sql import PURGE_CHUNK

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)  # on an hour boundary
KEY = "outlet/7/power_w"


def sawtooth(start: datetime, seconds: int, pdu_id: str = "pdu-a") -> list[Reading]:
    """value(t) = t mod 60 with min/max ±1 around it: minute avg 29.5, min -1, max 60."""
    return [
        Reading(
            pdu_id, KEY, start + timedelta(seconds=s), float(s % 60), s % 60 - 1.0, s % 60 + 1.0
        )
        for s in range(seconds)
    ]


def test_history_at_1s_returns_what_was_written(store: SqlStore) -> None:
    assert store.write_readings(sawtooth(T0, 5)) == 5
    pts = store.history("pdu-a", KEY, T0, T0 + timedelta(seconds=5), step_s=1)
    assert [p.avg for p in pts] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert [p.min for p in pts] == [-1.0, 0.0, 1.0, 2.0, 3.0]
    assert pts[0].ts == T0 and all(p.count == 1 for p in pts)


def test_min_max_default_to_avg_and_upsert_replaces(store: SqlStore) -> None:
    store.write_readings([Reading("pdu-a", KEY, T0, 5.0), Reading("pdu-a", KEY, T0, 7.0)])
    store.write_readings([Reading("pdu-a", KEY, T0 + timedelta(seconds=1), 1.0)])
    store.write_readings([Reading("pdu-a", KEY, T0 + timedelta(seconds=1), 2.0, 1.5, 2.5)])
    pts = store.history("pdu-a", KEY, T0, T0 + timedelta(seconds=2), step_s=1)
    assert [(p.min, p.avg, p.max) for p in pts] == [(7.0, 7.0, 7.0), (1.5, 2.0, 2.5)]


def _stored_points(store: SqlStore, res: Resolution) -> int:
    """Key-steps held in the blocks of one resolution (what the roll-up wrote)."""
    rows = store._query("SELECT SUM(points) FROM reading_blocks WHERE resolution = ?", (res.value,))
    return int(rows[0][0] or 0)


def test_rollup_minutes_analytic(store: SqlStore) -> None:
    store.write_readings(sawtooth(T0, 180))  # three full minutes
    store.rollup(T0 + timedelta(seconds=150))  # only minutes 0 and 1 are complete
    assert _stored_points(store, Resolution.M1) == 2
    pts = store.history("pdu-a", KEY, T0, T0 + timedelta(hours=1), step_s=60)
    # minute 2 is past the roll-up watermark: answered from the 1 s data, same arithmetic
    assert [p.ts for p in pts] == [T0 + timedelta(minutes=m) for m in range(3)]
    for p in pts:
        assert p == HistoryPoint(p.ts, -1.0, 29.5, 60.0, 60)
    store.rollup(T0 + timedelta(seconds=180))
    assert _stored_points(store, Resolution.M1) == 3
    assert store.history("pdu-a", KEY, T0, T0 + timedelta(hours=1), step_s=60) == pts
    assert store.reading_keys("pdu-a") == [KEY]


def test_rollup_weights_partial_minutes_by_sample_count(store: SqlStore) -> None:
    # Minute 0: 60 samples of 1.0; minute 1: only 20 samples of 4.0 (device was down).
    rows = [Reading("pdu-a", KEY, T0 + timedelta(seconds=s), 1.0) for s in range(60)]
    rows += [Reading("pdu-a", KEY, T0 + timedelta(seconds=60 + s), 4.0) for s in range(20)]
    store.write_readings(rows)
    store.rollup(T0 + timedelta(hours=1, minutes=1))
    (five,) = store.history("pdu-a", KEY, T0, T0 + timedelta(minutes=5), step_s=300)
    assert five.count == 80
    assert five.avg == pytest.approx((60 * 1.0 + 20 * 4.0) / 80)
    (hour,) = store.history("pdu-a", KEY, T0, T0 + timedelta(hours=1), step_s=3600)
    assert (hour.min, hour.avg, hour.max, hour.count) == (1.0, pytest.approx(1.75), 4.0, 80)


def test_rollup_is_idempotent_and_picks_up_late_rows(store: SqlStore) -> None:
    store.write_readings(sawtooth(T0, 120))
    store.rollup(T0 + timedelta(minutes=2))
    store.rollup(T0 + timedelta(minutes=2))
    # A late 1 s row inside an already rolled-up minute (within the look-back) is included.
    store.write_readings([Reading("pdu-a", KEY, T0 + timedelta(seconds=61), 1000.0)])
    store.rollup(T0 + timedelta(minutes=3))
    pts = store.history("pdu-a", KEY, T0, T0 + timedelta(minutes=2), step_s=60)
    assert pts[0].avg == pytest.approx(29.5) and pts[0].count == 60
    assert pts[1].max == 1000.0 and pts[1].count == 60


def test_hours_only_from_complete_minutes(store: SqlStore) -> None:
    rows = [Reading("pdu-a", KEY, T0 + timedelta(seconds=s), 2.0) for s in range(0, 7200, 10)]
    store.write_readings(rows)
    store.rollup(T0 + timedelta(hours=1, seconds=30))
    assert _stored_points(store, Resolution.H1) == 1  # hour 1 is not complete in minutes
    hours = store.history("pdu-a", KEY, T0, T0 + timedelta(hours=3), step_s=3600)
    assert [(p.ts, p.count) for p in hours] == [(T0, 360), (T0 + timedelta(hours=1), 360)]
    store.rollup(T0 + timedelta(hours=2))
    assert _stored_points(store, Resolution.H1) == 2
    again = store.history("pdu-a", KEY, T0, T0 + timedelta(hours=3), step_s=3600)
    assert again == hours


def test_purge_applies_retention_per_resolution(store: SqlStore) -> None:
    now = T0 + timedelta(days=3)
    old = [Reading("pdu-a", KEY, T0 + timedelta(seconds=s), 1.0) for s in range(120)]
    fresh = [Reading("pdu-a", KEY, now - timedelta(seconds=s + 1), 1.0) for s in range(10)]
    store.write_readings(old + fresh)
    store.rollup(now)
    deleted = store.purge(now)
    assert deleted[Resolution.S1] == 120  # older than 48 h
    assert deleted[Resolution.M1] == 0 and deleted[Resolution.H1] == 0
    assert store.history("pdu-a", KEY, T0, T0 + timedelta(minutes=2), step_s=60)  # minutes stay
    tight = RetentionPolicy(s1=timedelta(hours=1), m1=timedelta(days=1), h1=timedelta(days=2))
    deleted = store.purge(now, tight)
    assert deleted[Resolution.M1] == 2 and deleted[Resolution.H1] == 1
    assert store.history("pdu-a", KEY, T0, T0 + timedelta(days=1), step_s=60) == []
    assert len(store.history("pdu-a", KEY, T0, now, step_s=60)) == 1  # the fresh minute


def test_history_separates_pdus_and_keys(store: SqlStore) -> None:
    store.write_readings(sawtooth(T0, 3, "pdu-a") + sawtooth(T0, 3, "pdu-b"))
    store.write_readings([Reading("pdu-a", "inlet/A/current_a", T0, 9.0)])
    pts = store.history("pdu-b", KEY, T0, T0 + timedelta(minutes=1), step_s=1)
    assert len(pts) == 3
    pts = store.history("pdu-a", "inlet/A/current_a", T0, T0 + timedelta(minutes=1), step_s=1)
    assert [p.avg for p in pts] == [9.0]


def test_bulk_write_many_rows(store: SqlStore) -> None:
    rows = [
        Reading("pdu-a", f"outlet/{o}/power_w", T0 + timedelta(seconds=s), float(o * s))
        for o in range(1, 25)
        for s in range(120)
    ]
    assert store.write_readings(rows) == len(rows)
    store.rollup(T0 + timedelta(minutes=2))
    (p,) = store.history("pdu-a", "outlet/24/power_w", T0, T0 + timedelta(minutes=1), step_s=60)
    assert p.avg == pytest.approx(24 * 29.5) and p.max == 24 * 59.0


@pytest.mark.parametrize(
    ("step", "res"),
    [
        (1, Resolution.S1),
        (30, Resolution.S1),
        (90, Resolution.S1),
        (60, Resolution.M1),
        (300, Resolution.M1),
        (3600, Resolution.H1),
        (86400, Resolution.H1),
    ],
)
def test_choose_resolution(step: int, res: Resolution) -> None:
    assert choose_resolution(step) is res


def test_choose_resolution_rejects_nonpositive() -> None:
    with pytest.raises(ValueError, match="positive"):
        choose_resolution(0)


def test_a_new_key_leaves_stored_blocks_untouched(store: SqlStore) -> None:
    store.write_readings(sawtooth(T0, 60))
    before = store._query("SELECT t0, data FROM reading_blocks")
    later = T0 + timedelta(minutes=1)
    store.write_readings([Reading("pdu-a", "outlet/8/power_w", later, 3.0), *sawtooth(later, 60)])
    after = {int(t0): bytes(d) for t0, d in store._query("SELECT t0, data FROM reading_blocks")}
    ((t0, data),) = before
    assert after[int(t0)] == bytes(data)  # the old minute was not rewritten for the new key
    assert store.reading_keys("pdu-a") == [KEY, "outlet/8/power_w"]
    (p,) = store.history("pdu-a", "outlet/8/power_w", T0, T0 + timedelta(hours=1), step_s=1)
    assert (p.ts, p.avg) == (later, 3.0)


def test_purge_runs_in_short_transactions(store: SqlStore) -> None:
    minutes = 3 * PURGE_CHUNK + 5
    rows = [
        Reading("pdu-a", KEY, T0 + timedelta(minutes=m, seconds=s), 1.0)
        for m in range(minutes)
        for s in (0, 30)
    ]
    store.write_readings(rows)
    transactions = 0
    real_tx = store._tx

    def counting_tx() -> Any:
        nonlocal transactions
        transactions += 1
        return real_tx()

    store._tx = counting_tx  # type: ignore[method-assign]
    deleted = store.purge(T0 + timedelta(days=3))
    assert deleted[Resolution.S1] == 2 * minutes
    assert transactions == 4  # ⌈minutes / PURGE_CHUNK⌉: the lock is released between them
    assert store.history("pdu-a", KEY, T0, T0 + timedelta(days=1), step_s=1) == []


def test_rollup_merges_each_block_in_its_own_transaction_and_skips_gaps(store: SqlStore) -> None:
    month = timedelta(days=30)
    rows = [
        Reading(pdu, KEY, start + timedelta(seconds=s), 2.0)
        for pdu in ("pdu-a", "pdu-b")
        for start in (T0, T0 + month)
        for s in range(0, 1200, 10)  # 20 minutes: two 15-minute blocks each
    ]
    store.write_readings(rows)
    transactions, queries = 0, 0
    real_tx, real_query = store._tx, store._query

    def counting_tx() -> Any:
        nonlocal transactions
        transactions += 1
        return real_tx()

    def counting_query(*args: Any) -> Any:
        nonlocal queries
        queries += 1
        return real_query(*args)

    store._tx = counting_tx  # type: ignore[method-assign]
    store._query = counting_query  # type: ignore[method-assign]
    store.rollup(T0 + month + timedelta(minutes=20))
    # 2 PDUs x 2 one-hour windows with data, a transaction each, plus the two watermarks
    # (the hours are complete only at T0's hour, whose minutes span one window of a day)
    assert transactions == 2 * 2 + 2 * 1 + 2
    assert queries < 40  # the month between is skipped, not walked an hour at a time
    minutes = store.history("pdu-a", KEY, T0 + month, T0 + month + timedelta(hours=1), 60)
    assert [p.count for p in minutes] == [6] * 20
