"""The twin's analog front end: per-channel errors from a seed, and what the ADC samples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from smartpdu.twin.frontend import (
    FrontEndError,
    SourcePoint,
    front_end_errors,
    reference_samples,
    through,
)


def test_errors_are_deterministic_per_channel_and_voltage_dividers_are_tighter() -> None:
    a = front_end_errors(["voltage/L1", "outlet/1"], seed=5)
    b = front_end_errors(["outlet/1"], seed=5)
    assert a["outlet/1"] == b["outlet/1"]  # independent of which other channels are asked
    assert front_end_errors(["outlet/1"], seed=6)["outlet/1"] != a["outlet/1"]
    many = front_end_errors([f"voltage/L{k}" for k in range(40)], seed=1)
    assert all(abs(e.phase_deg) <= 0.2 and abs(e.gain - 1) <= 0.006 for e in many.values())


def test_through_applies_gain_offset_and_a_phase_delay() -> None:
    fs, f0, n = 6400.0, 50.0, 1280
    t = np.arange(n) / fs
    x = math.sqrt(2) * 10.0 * np.sin(2 * math.pi * f0 * t)
    err = FrontEndError(gain=1.02, phase_deg=0.5, offset=0.01)
    raw = through(x, err, fs, f0)
    assert raw.mean() == pytest.approx(0.01, abs=1e-9)
    assert np.sqrt(np.mean((raw - 0.01) ** 2)) == pytest.approx(10.0 / 1.02, rel=1e-9)
    k = round(f0 * n / fs)
    lag = np.angle(np.fft.rfft(x)[k]) - np.angle(np.fft.rfft(raw - 0.01)[k])
    assert math.degrees(lag) == pytest.approx(0.5, abs=1e-6)


def test_reference_samples_of_a_source_point() -> None:
    point = SourcePoint(v_rms_v=230.0, i_rms_a=8.0, phase_deg=60.0, frequency_hz=50.0)
    v_err, i_err = FrontEndError(0.99, 0.0, 0.0), FrontEndError(1.01, 0.3, 0.002)
    v, i, fs = reference_samples(point, v_err, i_err, nominal_hz=50.0, seed=3)
    assert fs == 6400.0 and v.shape == i.shape == (1280,)
    assert np.sqrt(np.mean(v**2)) == pytest.approx(230.0 / 0.99, rel=1e-3)
    assert np.sqrt(np.mean((i - i.mean()) ** 2)) == pytest.approx(8.0 / 1.01, rel=1e-3)
    again, _, _ = reference_samples(point, v_err, i_err, nominal_hz=50.0, seed=3)
    assert np.array_equal(again, v)
