"""Harmonic-group layout and harmonic phases against direct references."""

import numpy as np
import pytest

from smartpdu.metering import measure_window
from smartpdu.metering.spectrum import group_plan

FRONT = 32


@pytest.mark.parametrize("seed", range(5))
def test_group_plan_matches_direct_overlap_sum(seed):
    """Strided layout == Σ_k P_k · |[k, k+1) ∩ [x_g, x_g+1)| for any cycles/bins (incl. Nyquist)."""
    rng = np.random.default_rng(seed)
    for _ in range(200):
        nb = int(rng.integers(5, 1500))
        cycles = float(rng.uniform(0.5, 40))
        plan = group_plan(cycles, 50, nb, FRONT)
        x = np.minimum((np.arange(51) + 0.5) * cycles + 0.5, nb - 1e-9)
        power = np.zeros(FRONT + max(plan.rows_needed, nb) + 1)
        power[FRONT : FRONT + nb] = rng.random(nb)
        k = np.arange(nb)
        overlap = np.minimum(k + 1, x[1:, None]) - np.maximum(k, x[:-1, None])
        direct = np.maximum(overlap, 0.0) @ power[FRONT : FRONT + nb]
        rows = FRONT + plan.start + np.arange(50)[:, None] * plan.step + np.arange(plan.width)
        got = (plan.weights[:, 0, :] * power[rows]).sum(axis=1)
        np.testing.assert_allclose(got, direct, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cycles", [10.0, 10.3, 10.7, 12.6])
def test_harmonic_phases_relative_to_voltage_fundamental(cycles):
    fs, f = 6400.0, 49.8
    n = round(cycles / 50 * fs)
    t = np.arange(n) / fs
    phi0 = 1.1
    v = 325 * np.cos(2 * np.pi * f * t + phi0)
    i = 10 * np.cos(2 * np.pi * f * t + phi0 - 0.5) + 3 * np.cos(
        3 * 2 * np.pi * f * t + 3 * phi0 + 0.4
    )
    m = measure_window(v, i[None], fs, 50)
    assert m.harmonics_v.phase_deg[0, 0] == pytest.approx(0.0, abs=1e-6)
    assert m.harmonics_i.phase_deg[0, 0] == pytest.approx(np.degrees(-0.5), abs=1e-3)
    assert m.harmonics_i.phase_deg[0, 2] == pytest.approx(np.degrees(0.4), abs=1e-3)
    assert m.harmonics_i.magnitude[0, 2] == pytest.approx(3 / np.sqrt(2), rel=1e-4)
