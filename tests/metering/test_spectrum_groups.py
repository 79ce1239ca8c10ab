"""Harmonic-group layout and harmonic phases against direct references."""

import numpy as np
import pytest

from smartpdu.metering import measure_window
from smartpdu.metering.kernels import rotated_active_power, sample_pass, spectral_pass


def _random_spectrum(rng, nbin, rows):
    return rng.normal(size=(nbin, 2 * rows))


@pytest.mark.parametrize("seed", range(5))
def test_spectral_pass_groups_match_direct_overlap_sum(seed):
    """Σ_k s_k·|X_k|²·|[k−½, k+½) ∩ [(h−½)f, (h+½)f)| for any cycles/bins (incl. Nyquist)."""
    rng = np.random.default_rng(seed)
    for _ in range(100):
        n = int(rng.integers(8, 3000))
        nbin = n // 2 + 1
        cycles = float(rng.uniform(0.5, 40))
        n_v, n_i = 2, 3
        spec = _random_spectrum(rng, nbin, n_v + n_i)
        groups = np.empty((n_v + n_i, 50))
        spectral_pass(
            spec, n_v, n, cycles, np.array([0, 1, 1]), np.zeros(n_i), groups,
            np.empty((2, n_i)), np.empty(50, np.intp), np.empty((50, n_v + n_i), complex),
        )  # fmt: skip
        power = spec[:, 0::2] ** 2 + spec[:, 1::2] ** 2
        if n % 2 == 0:
            power[-1] *= 0.5  # one-sided spectrum: the Nyquist bin counts once
        k = np.arange(nbin)[None, :]
        h = np.arange(1, 51)[:, None]
        overlap = np.minimum(k + 0.5, (h + 0.5) * cycles) - np.maximum(k - 0.5, (h - 0.5) * cycles)
        direct = np.maximum(overlap, 0.0) @ power  # (orders, rows)
        np.testing.assert_allclose(groups, direct.T, rtol=1e-12, atol=1e-9)


def test_fundamental_cross_and_rotated_power_match_numpy():
    """Rotating current c by e^{jk·d_c} per bin is the calibrated fractional delay; both kernels
    must equal the plain complex formula."""
    rng = np.random.default_rng(3)
    n, n_v, n_i = 1280, 3, 7
    nbin = n // 2 + 1
    spec = _random_spectrum(rng, nbin, n_v + n_i)
    phase = np.array([0, 1, 2, 0, 1, 2, 2])
    delay = rng.uniform(-0.01, 0.01, n_i)
    cycles = 9.96
    fund = np.empty((2, n_i))
    spectral_pass(
        spec, n_v, n, cycles, phase, delay, np.empty((n_v + n_i, 50)), fund,
        np.empty(50, np.intp), np.empty((50, n_v + n_i), complex),
    )  # fmt: skip
    x = spec[:, 0::2] + 1j * spec[:, 1::2]
    kk = np.arange(nbin)[:, None]
    cur = x[:, n_v:] * np.exp(1j * kk * delay)
    volt = x[:, phase]
    lo, hi = int(np.ceil(0.5 * cycles)), int(np.floor(1.5 * cycles)) + 1
    s1 = (np.conj(cur[lo:hi]) * volt[lo:hi]).sum(axis=0)
    np.testing.assert_allclose(fund[0], s1.real, rtol=1e-12)
    np.testing.assert_allclose(fund[1], s1.imag, rtol=1e-12)
    weight = np.ones(nbin)
    weight[0] = weight[-1] = 0.5
    p = 2.0 / n * (weight[:, None] * (volt * np.conj(cur)).real).sum(axis=0)
    out = np.empty(n_i)
    rotated_active_power(spec, n_v, n, phase, delay, out)
    np.testing.assert_allclose(out, p, rtol=1e-10)


def test_sample_pass_reductions_match_numpy():
    rng = np.random.default_rng(4)
    n = 1000
    v = rng.normal(size=(2, n))
    i = rng.normal(size=(3, n))
    i[1, 100:104] = i[1].max() + 1.0  # a flat top of four samples
    w = rng.random(n)
    phase = np.array([1, 0, 1])
    v_off = np.array([0.1, -0.2])
    i_off = np.array([0.0, 0.3, -0.1])
    windowed = np.empty((5, n))
    ext = np.empty((5, 5))
    ref = sample_pass(v, i, w, v_off, i_off, phase, windowed, ext)
    rows = np.vstack([v, i])
    y = w * (rows - np.concatenate([v_off, i_off])[:, None])
    np.testing.assert_allclose(windowed, y, rtol=1e-15)
    np.testing.assert_array_equal(ext[0], rows.max(axis=1))
    np.testing.assert_array_equal(ext[1], rows.min(axis=1))
    assert ext[2].tolist() == [0, 0, 0, 1, 0]
    np.testing.assert_allclose(ext[3], (y**2).sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(ext[4, 2:], (y[phase] * y[2:]).sum(axis=1), rtol=1e-12)
    assert ref == int(np.argmax(np.ptp(v, axis=1)))


def test_synchronous_sampling_repeats_the_peak_without_clipping():
    """At an exact 10 cycles the peak sample recurs every cycle; only three *consecutive* samples
    at the extreme are a flat top."""
    fs, n = 6400.0, 1280
    t = np.arange(n) / fs
    v = 325 * np.cos(2 * np.pi * 50 * t)
    i = 10 * np.cos(2 * np.pi * 50 * t) + 3 * np.cos(2 * np.pi * 150 * t)
    assert measure_window(v, i[None], fs, 50).flags[0] == 0
    clipped = np.clip(i, -11, 11)
    assert measure_window(v, clipped[None], fs, 50).flags[0] & 1


def test_non_finite_samples_give_nan_not_a_crash():
    fs, n = 6400.0, 1280
    t = np.arange(n) / fs
    v = 325 * np.cos(2 * np.pi * 50 * t)
    i = np.vstack([10 * np.cos(2 * np.pi * 50 * t)] * 2)
    i[1, 500] = np.nan
    m = measure_window(v, i, fs, 50)
    assert np.isfinite(m.i_rms_a[0]) and np.isnan(m.i_rms_a[1]) and np.isnan(m.p_w[1])


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
