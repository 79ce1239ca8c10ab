"""Surge and arc feature extraction against analytic references (issue 14)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from smartpdu.metering.arc import arc_features, arc_hf, sine_flat_samples
from smartpdu.metering.surge import spd_current_a, surge_features

FS, SPC, CYCLES = 6400.0, 128, 10
T = np.arange(SPC * CYCLES) / FS
SPD = {"clamp_v": 800.0, "clamp_current_a": 100.0, "alpha": 30.0, "pulse_equivalent_s": 40e-6}


def _sine(amp: float = 10.0, f: float = 50.0, harmonics: bool = False) -> np.ndarray:
    x = amp * np.sin(2 * np.pi * f * T)
    if harmonics:  # a capacitor-input SMPS-like spectrum: still periodic
        for h, a in ((3, 0.8), (5, 0.6), (7, 0.4), (21, 0.1), (49, 0.05)):
            x += amp * a * np.sin(2 * np.pi * h * f * T + 0.3 * h)
    return x


# ---- surge -------------------------------------------------------------------------------------


def test_mains_alone_is_no_surge_and_has_the_analytic_slope() -> None:
    v = np.stack([325.0 * np.sin(2 * np.pi * 50 * T + k) for k in range(3)])
    f = surge_features(v, FS, 1.6 * 325, **SPD)
    assert (f.energy_j == 0).all() and (f.samples_above == 0).all()
    # steepest sample-to-sample slope of a sine: 2·A·sin(πf/fs)·fs at most
    assert f.dvdt_v_per_s.max() <= 2 * 325 * math.sin(math.pi * 50 / FS) * FS + 1e-6
    assert f.dvdt_v_per_s.min() > 0.99 * 2 * 325 * math.sin(math.pi * 50 / FS) * FS


def test_sampled_plateau_energy_is_the_varistor_integral() -> None:
    v = np.zeros((1, T.size))
    v[0, 100:164] = 850.0  # 10 ms at 850 V: E = 850 V · I(850 V) · 10 ms exactly
    f = surge_features(v, FS, 520.0, **SPD)
    i = 100.0 * (850 / 800) ** 30
    assert f.energy_j[0] == pytest.approx(850 * i * 64 / FS, rel=1e-12)
    assert f.peak_v[0] == 850.0 and f.samples_above[0] == 64
    assert f.dvdt_v_per_s[0] == pytest.approx(850 * FS)


def test_a_peak_the_samples_missed_is_estimated_from_the_peak_detector() -> None:
    v = np.stack([325.0 * np.sin(2 * np.pi * 50 * T)])
    f = surge_features(v, FS, 520.0, peak_detector_v=np.array([880.0]), **SPD)
    assert f.peak_v[0] == 880.0
    expected = 880.0 * float(spd_current_a(880.0, 800.0, 100.0, 30.0)) * 40e-6
    assert f.energy_j[0] == pytest.approx(expected, rel=1e-12)


def test_varistor_current_law() -> None:
    assert spd_current_a([800.0, -800.0, 400.0], 800, 100, 30) == pytest.approx(
        [100.0, 100.0, 100.0 * 0.5**30]
    )


# ---- arc ---------------------------------------------------------------------------------------


def test_periodic_currents_have_no_hf_whatever_their_harmonics() -> None:
    x = np.stack([_sine(), _sine(harmonics=True), _sine(3.0, harmonics=True)])
    f = arc_features(x, SPC, FS)
    assert f.hf == pytest.approx([0, 0, 0], abs=1e-9)
    assert f.rms_a[0] == pytest.approx(10 / math.sqrt(2), rel=1e-9)
    assert f.asymmetry[0] == pytest.approx(0.0, abs=1e-9)


def test_white_noise_hf_is_two_sigma_and_stationary() -> None:
    rng = np.random.default_rng(3)
    sigma = 0.5
    x = _sine() + rng.normal(0, sigma, (200, T.size))
    f = arc_features(x, SPC, FS)
    # rms(h) = 2σ for white noise (h = Δ of the cycle-to-cycle residual)
    assert np.mean(f.hf * f.rms_a) == pytest.approx(2 * sigma, rel=0.01)
    # the screen computes the same value from the meter's rms, in float32 as the samples come
    assert arc_hf(x.astype(np.float32), SPC, f.rms_a) == pytest.approx(f.hf, rel=1e-4)
    # half-cycle sums of L = N/2 − 1 squares of an MA(1) Gaussian with ρ₁ = −½:
    # var = 2·Σcov² = 2·(4σ²)²·1.5·L, mean = 4σ²·L → coefficient of variation c = √(3/L);
    # for (nearly independent, nearly normal) slots E|e₀ − 2e₁ + e₂| = √6·c·√(2/π) of the mean
    expected = math.sqrt(6) * math.sqrt(2 / math.pi) * math.sqrt(3 / (SPC // 2 - 1))
    assert np.mean(f.irregularity) == pytest.approx(expected, rel=0.05)


def test_non_synchronous_tone_hf_matches_its_transfer_function() -> None:
    fa, a = 1330.0, 0.2  # a switching ripple aliased to 1.33 kHz, not a harmonic of 50 Hz
    x = (_sine() + a * np.sin(2 * np.pi * fa * T + 0.4))[None]
    f = arc_features(x, SPC, FS)
    gain = 4 * abs(math.sin(math.pi * fa * SPC / FS) * math.sin(math.pi * fa / FS))
    assert f.hf[0] * f.rms_a[0] == pytest.approx(a * gain / math.sqrt(2), rel=0.03)
    assert f.irregularity[0] < 0.1  # stationary: every half-cycle alike


def test_shoulder_length_of_a_flat_spot_after_each_zero_crossing() -> None:
    x = _sine()
    phase = (T * 50.0) % 0.5  # position in the half-cycle, in cycles
    flat_s = 0.8e-3
    x = np.where(phase * 0.02 < flat_s, 0.0, x)  # the current rests at zero for 0.8 ms
    f = arc_features(x[None], SPC, FS)
    # the sine's own near-zero samples at the crossing are inside the flat spot; those before it
    # remain: the excess is the flat spot minus half the sine's (within one sample)
    expected = flat_s - 0.5 * sine_flat_samples(SPC, 0.05) / FS
    assert f.shoulder_s[0] == pytest.approx(expected, abs=1.0 / FS)
    assert arc_features(_sine()[None], SPC, FS).shoulder_s[0] < 1.0 / FS


def test_intermittent_arc_like_bursts_are_irregular() -> None:
    rng = np.random.default_rng(1)
    x = _sine()
    burst = np.zeros_like(x)
    for hc in range(0, 2 * CYCLES, 3):  # every third half-cycle burns
        sl = slice(hc * SPC // 2, (hc + 1) * SPC // 2)
        burst[sl] = rng.normal(0, 0.5, SPC // 2)
    f = arc_features((x + burst)[None], SPC, FS)
    assert f.irregularity[0] > 0.6 and f.hf[0] > 0.06


def test_one_spike_gives_the_exact_irregularity_and_hf() -> None:
    a = 2.0
    x = _sine()
    x[3 * SPC + 20] += a  # one sample of cycle 3, inside the first half-cycle slot
    f = arc_features(x[None], SPC, FS)
    # d = +a in cycle 3 and −a in cycle 4; h = Δd puts E = 2a² into the same half-cycle slot of
    # both → among the 18 slots, two of energy E two apart (slots 4 and 6): mean 2E/18; their
    # second differences E, −2E, 2E, −2E, E sum to 8E over 16 → irregularity (E/2)/(E/9) = 4.5
    assert f.irregularity[0] == pytest.approx(4.5, rel=1e-9)
    hf_abs = math.sqrt(4 * a * a / (T.size - SPC - 1))  # h is defined on n − N − 1 samples
    assert f.hf[0] * f.rms_a[0] == pytest.approx(hf_abs, rel=1e-6)


def test_zero_rows_give_nan_not_an_error() -> None:
    f = arc_features(np.zeros((2, T.size), dtype=np.float32), SPC, FS)
    assert np.isnan(f.hf).all() and np.isnan(f.irregularity).all()
    with pytest.raises(ValueError, match="≥ 2 cycles"):
        arc_features(np.zeros((1, SPC)), SPC, FS)
