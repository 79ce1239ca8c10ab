"""The packed block codec: exact round trips, the raw fallback, gaps, and the bucket arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from smartpdu.storage.packed import (
    Block,
    Cells,
    block_cells,
    bucket_cells,
    decimals_for,
    decode,
    encode,
)


def _block(avg: np.ndarray, n: np.ndarray | None = None, spread: float = 0.25) -> Block:
    n = np.ones(avg.shape, np.int64) if n is None else n
    present = n > 0
    nan = np.full(avg.shape, np.nan)
    return Block(
        np.arange(3, 3 + avg.shape[0], dtype=np.int64) * 7,
        n,
        np.where(present, np.round(avg - spread, 6), nan),
        np.where(present, avg, nan),
        np.where(present, np.round(avg + spread, 6), nan),
    )


def test_values_with_at_most_the_stored_decimals_round_trip_exactly() -> None:
    rng = np.random.default_rng(3)
    avg = np.round(rng.uniform(-500, 5000, (40, 60)), 3)
    b = _block(avg)
    b.lo, b.hi = np.round(b.lo, 3), np.round(b.hi, 3)
    got = decode(encode(b, [3] * 40))
    assert np.array_equal(got.key_ids, b.key_ids) and np.array_equal(got.n, b.n)
    for a, want in ((got.lo, b.lo), (got.avg, b.avg), (got.hi, b.hi)):
        assert np.array_equal(a, want)  # the double nearest each decimal, bit for bit


def test_other_values_are_within_half_a_quantum() -> None:
    rng = np.random.default_rng(4)
    avg = rng.uniform(0, 300, (10, 60))
    got = decode(encode(_block(avg), [4] * 10))
    assert np.max(np.abs(got.avg - avg)) <= 0.5e-4 * (1 + 1e-9)


def test_huge_and_non_finite_values_are_kept_bit_exact_as_raw_float64() -> None:
    avg = np.full((3, 5), 2.0)
    avg[0, 1] = 1e300  # would overflow the integer grid
    avg[1, 2] = np.inf
    avg[2, :] = np.array([0.1, 0.2, 1 / 3, 2 / 3, 1e-12])  # fine at 12 decimals? no: 1/3
    b = _block(avg, spread=0.0)
    got = decode(encode(b, [10, 3, 20]))  # 1e300 * 10**10 overflows: raw, no warning
    assert got.avg[0, 1] == 1e300 and got.avg[1, 2] == np.inf
    assert np.array_equal(got.avg[2], avg[2])  # 10**20 scale overflows 2**53: raw


def test_gaps_decode_as_no_value_and_counts_survive() -> None:
    avg = np.arange(12, dtype=np.float64).reshape(2, 6)
    n = np.array([[1, 0, 0, 5, 1, 1], [0, 0, 0, 0, 0, 60]], np.int64)
    got = decode(encode(_block(avg, n), [2, 2]))
    assert np.array_equal(got.n, n)
    assert np.isnan(got.avg[0, 1]) and np.isnan(got.lo[1, 0]) and got.avg[1, 5] == 11.0
    assert got.points() == 5


def test_steady_values_pack_to_a_few_bytes_per_key_step() -> None:
    avg = np.full((140, 60), 230.12)
    data = encode(_block(avg), [4] * 140)
    assert len(data) < 140 * 60 * 0.1  # deltas are zero: well under a byte per key-step


def test_unknown_layout_is_refused() -> None:
    data = bytearray(encode(_block(np.ones((1, 2))), [2]))
    data[0] = 99
    with pytest.raises(ValueError, match="layout 99"):
        decode(bytes(data))


def test_put_adds_keys_and_last_duplicate_wins() -> None:
    b = Block.empty(60).put(
        Cells(
            np.array([9, 9, 4], np.int64),
            np.array([120, 120, 179], np.int64),
            np.ones(3, np.int64),
            np.array([1.0, 2.0, 3.0]),
            np.array([1.0, 2.0, 3.0]),
            np.array([1.0, 2.0, 3.0]),
        ),
        t0=120,
        step=1,
    )
    assert b.key_ids.tolist() == [4, 9]
    assert b.avg[1, 0] == 2.0 and b.avg[0, 59] == 3.0 and b.points() == 2
    with pytest.raises(ValueError, match="outside"):
        b.put(block_cells(b, 0, 1), t0=120, step=1)


def test_bucket_cells_weights_by_count() -> None:
    cells = Cells(
        np.array([1, 1, 1, 2], np.int64),
        np.array([0, 30, 60, 10], np.int64),
        np.array([60, 20, 1, 3], np.int64),
        np.array([0.5, 3.0, 7.0, -1.0]),
        np.array([1.0, 4.0, 7.0, 0.0]),
        np.array([2.0, 9.0, 7.0, 1.0]),
    )
    out = bucket_cells(cells, 60)
    assert out.key_id.tolist() == [1, 1, 2] and out.ts.tolist() == [0, 60, 0]
    assert out.n.tolist() == [80, 1, 3]
    assert out.avg[0] == pytest.approx((60 * 1.0 + 20 * 4.0) / 80)
    assert (out.lo[0], out.hi[0]) == (0.5, 9.0)


def test_decimals_follow_the_catalogue() -> None:
    # power is shown with 1 decimal (stored with 2), energy with 3 (a counter: stored with 5)
    assert (decimals_for("outlet/7/power_w"), decimals_for("outlet/7/energy_wh")) == (2, 5)
    assert decimals_for("something/new") == 6
