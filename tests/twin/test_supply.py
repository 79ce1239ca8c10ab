"""Supply: harmonic basis, start phase, drift bounds, sags and the lost-neutral star point."""

from __future__ import annotations

import math

import numpy as np
import pytest

from smartpdu.twin.supply import HARMONICS, Supply, phase_rotation, star_point_matrix


def _supply(**kw) -> Supply:
    return Supply(("A", "B"), np.random.default_rng(0), **kw)


def test_basis_rows_are_sines_and_cosines_of_the_harmonics() -> None:
    s = _supply(drift_hz=0.0)
    s.feed("A").offset_hz = 0.3
    b = s.basis("A", 50.0, 6400.0, 1280)
    theta = 2 * math.pi * 50.3 * np.arange(1280) / 6400.0
    for k, h in enumerate(HARMONICS):
        assert np.allclose(b[k], np.sin(h * theta), atol=1e-9)
        assert np.allclose(b[len(HARMONICS) + k], np.cos(h * theta), atol=1e-9)


def test_start_rotation_continues_the_phase_across_windows() -> None:
    s = _supply(drift_hz=0.0)
    c = np.zeros(len(HARMONICS), dtype=complex)
    c[0], c[1] = 1.0, 0.2j

    def window() -> np.ndarray:
        b = s.basis("A", 50.0, 6400.0, 1000)  # not an integer number of cycles
        x = c * s.start_rotation("A")
        out = np.concatenate([x.real, x.imag]) @ b
        s.advance(0.0, 1000 / 6400.0, {"A": 50.0, "B": 50.0})
        return out

    joined = np.concatenate([window(), window()])
    theta = 2 * math.pi * 50.0 * np.arange(2000) / 6400.0
    expected = np.sin(theta) + 0.2 * np.cos(3 * theta)
    assert np.allclose(joined, expected, atol=1e-9)


def test_voltage_thd_and_phase_rotation() -> None:
    s = _supply(thd_u_pct=3.0)
    vh = s.feed("A").voltage_harmonics
    assert vh[0] == 1.0
    assert np.sqrt(np.sum(np.abs(vh[1:]) ** 2)) == pytest.approx(0.03)
    assert phase_rotation(1)[0] == pytest.approx(np.exp(-2j * math.pi / 3))
    assert phase_rotation(1)[1] == pytest.approx(1.0)  # 3rd harmonic: zero sequence


def test_frequency_drift_stays_bounded() -> None:
    s = _supply(drift_hz=0.05)
    seen = []
    for k in range(5000):
        s.advance(k * 0.2, 0.2, {"A": 50.0, "B": 50.0})
        seen.append(s.frequency_hz("A", 50.0))
    assert max(abs(f - 50.0) for f in seen) <= 0.05 + 1e-12
    assert np.ptp(seen) > 0.02  # it does wander


def test_sag_envelope_covers_its_interval_only() -> None:
    s = _supply()
    s.add_sag("A", 0.05, depth_pct=40.0, duration_s=0.1)
    env = s.envelope("A", 0.0, 1000.0, 200)
    assert env is not None
    assert np.all(env[:50] == 1.0)
    assert np.all(env[50:150] == pytest.approx(0.6))
    assert np.all(env[150:] == 1.0)
    assert s.envelope("B", 0.0, 1000.0, 200) is None
    with pytest.raises(ValueError, match="depth_pct"):
        s.add_sag("A", 0.0, 120.0, 1.0)
    with pytest.raises(KeyError, match="known feeds"):
        s.feed("C")


def test_star_point_balanced_load_changes_nothing() -> None:
    m, ratio = star_point_matrix(np.array([1.0, 1.0, 1.0]))
    assert np.allclose(np.abs(ratio), 1.0)
    assert np.allclose(np.angle(ratio), 0.0, atol=1e-12)
    assert np.allclose(m.sum(axis=1), 0.0)  # removes the zero sequence (triplens)


def test_star_point_single_loaded_phase_gives_line_to_line_on_the_others() -> None:
    _, ratio = star_point_matrix(np.array([1.0, 0.0, 0.0]))
    assert abs(ratio[0]) == pytest.approx(0.0, abs=1e-12)
    assert abs(ratio[1]) == pytest.approx(math.sqrt(3.0))
    assert abs(ratio[2]) == pytest.approx(math.sqrt(3.0))
