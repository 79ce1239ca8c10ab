"""Sample synthesis: the float32 harmonic table against sin/cos, its cache, and the error budget."""

from __future__ import annotations

import math

import numpy as np
import pytest
from twin_helpers import device, pdu, rack

from smartpdu.twin.rack import RackTwin
from smartpdu.twin.rack_topology import Topology
from smartpdu.twin.supply import HARMONICS, Supply
from smartpdu.twin.synthesis import SAMPLE_DTYPE, Synthesizer, harmonic_table, real_rows
from smartpdu.twin.window_outputs import NOISE_I_A


@pytest.mark.parametrize(("freq", "n", "block"), [(50.037, 1280, 128), (49.96, 1000, 128)])
def test_harmonic_table_rows_are_sines_and_cosines(freq: float, n: int, block: int) -> None:
    table = harmonic_table(freq, 6400.0, n, block)
    theta = 2 * math.pi * freq * np.arange(n) / 6400.0
    assert table.dtype == SAMPLE_DTYPE and table.shape == (2 * len(HARMONICS), n)
    for k, h in enumerate(HARMONICS):
        assert np.max(np.abs(table[2 * k] - np.sin(h * theta))) < 1e-6
        assert np.max(np.abs(table[2 * k + 1] - np.cos(h * theta))) < 1e-6


def test_real_rows_give_the_waveform_of_the_harmonic_vector() -> None:
    c = np.zeros(len(HARMONICS), dtype=complex)
    c[0], c[2] = 2.0 - 1.0j, 0.5j  # 2 sin θ − cos θ + 0.5 cos 5θ
    table = harmonic_table(50.0, 6400.0, 1280, 128)
    theta = 2 * math.pi * 50.0 * np.arange(1280) / 6400.0
    expected = 2 * np.sin(theta) - np.cos(theta) + 0.5 * np.cos(5 * theta)
    assert np.max(np.abs(real_rows(c) @ table - expected)) < 1e-5


def test_table_cache_follows_the_feed_frequency() -> None:
    cfg = rack([pdu("pdu-a", "A")], [device("d", "resistive", 1000.0, [("pdu-a", "1", 1.0)])])
    supply = Supply(("A",), np.random.default_rng(0), drift_hz=0.0)
    synth = Synthesizer(Topology(cfg), supply)
    first = synth.basis(0)
    assert synth.basis(0) is first  # unchanged frequency: the cached table
    supply.feed("A").offset_hz = 0.4
    moved = synth.basis(0)
    theta = 2 * math.pi * 50.4 * np.arange(moved.shape[1]) / 6400.0
    assert moved is not first
    assert np.max(np.abs(moved[0] - np.sin(theta))) < 1e-6


def test_float32_samples_stay_far_below_the_adc_noise() -> None:
    """The error budget of float32 samples: synthesis error ≪ the simulated ADC noise."""
    cfg = rack(
        [pdu("pdu-a", "A")],
        [device(f"d{k}", "non_pfc", 3000.0, [("pdu-a", str(k + 1), 1.0)]) for k in range(12)],
    )
    twin = RackTwin(cfg, seed=1, frequency_drift_hz=0.0)
    twin.acquire()
    topo, supply, synth = twin.topo, twin.supply, Synthesizer(twin.topo, twin.supply)
    coef = np.random.default_rng(2).normal(size=(topo.n_outlets, len(HARMONICS))) * (1 + 1j) * 5
    rot = supply.start_rotation("A")
    got = synth.currents(0, coef, rot, synth.basis(0))[topo.row_outlets[0] :]
    basis64 = supply.basis("A", 50.0, topo.fs[0], topo.n[0])
    c = coef * rot
    ref = np.concatenate([c.real, c.imag], axis=1) @ basis64
    assert got.dtype == np.float32
    assert np.max(np.abs(ref)) > 40.0  # above any steady outlet current: the rounding worst case
    assert np.max(np.abs(got - ref)) < 1e-2 * NOISE_I_A
