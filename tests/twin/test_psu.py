"""PSU sharing, failover shares, sharing drift bounds, inrush bookkeeping, leakage vs humidity."""

from __future__ import annotations

import numpy as np
import pytest

from smartpdu.twin.psu import PsuBank, effective_shares, humidity_leakage_factor


def test_effective_shares_follow_config_and_fail_over() -> None:
    share = np.array([0.55, 0.45, 1.0])
    device = np.array([0, 0, 1])
    both = effective_shares(share, device, np.array([True, True, True]), 2)
    assert np.allclose(both, [0.55, 0.45, 1.0])
    one = effective_shares(share, device, np.array([False, True, True]), 2)
    assert np.allclose(one, [0.0, 1.0, 1.0])
    none = effective_shares(share, device, np.array([False, False, False]), 2)
    assert np.allclose(none, 0.0)


def _bank() -> PsuBank:
    return PsuBank(
        device=np.array([0, 0]),
        share_cfg=np.array([0.6, 0.4]),
        n_devices=1,
        inrush_peak_a=np.array([40.0, 40.0]),
        inrush_tau_s=np.array([0.03, 0.03]),
        leak_ma=np.array([0.5, 0.5]),
    )


def test_sharing_drifts_slowly_within_bounds_and_still_sums_to_one() -> None:
    bank = _bank()
    rng = np.random.default_rng(1)
    seen = []
    for _ in range(3000):
        bank.drift(rng)
        s = bank.shares(np.array([True, True]))
        assert s.sum() == pytest.approx(1.0)
        seen.append(s[0])
    assert 0.57 - 1e-9 <= min(seen) < max(seen) <= 0.63 + 1e-9
    assert max(seen) - min(seen) > 0.01


def test_inrush_lasts_about_seven_time_constants() -> None:
    bank = _bank()
    bank.start_inrush(np.array([1]), 10.0)
    assert list(bank.inrush_active(10.0)) == [1]
    assert list(bank.inrush_active(10.2)) == [1]
    assert list(bank.inrush_active(10.22)) == []


def test_leakage_rises_with_humidity() -> None:
    assert humidity_leakage_factor(40.0) == 1.0
    assert humidity_leakage_factor(75.0) == pytest.approx(2.0)
    assert humidity_leakage_factor(100.0) == pytest.approx(3.0)
