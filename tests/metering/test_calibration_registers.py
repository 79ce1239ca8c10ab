from fractions import Fraction

import numpy as np
import pytest

from smartpdu.metering import (
    CalibrationSet,
    ChannelCoefficients,
    EnergyRegisters,
    QualityFlag,
    ReferencePoint,
    factory_calibrate,
    measure_window,
)

FS = 6400.0


def sine_pair(point: ReferencePoint, gain_v=1.0, gain_i=1.0, lag_deg=0.0, off_i=0.0):
    n = 1300
    t = np.arange(n) / FS
    w = 2 * np.pi * point.frequency_hz
    v = np.sqrt(2) * point.v_rms_v * np.cos(w * t) / gain_v
    lag = np.radians(point.phase_deg + lag_deg * point.frequency_hz / 50.0)
    i = np.sqrt(2) * point.i_rms_a * np.cos(w * t - lag) / gain_i + off_i
    return v, i, FS


def test_calibration_round_trip_corrects_gain_phase_offset():
    base = CalibrationSet.create(1, "2024-01-01T00:00:00Z", "factory", {})

    def acquire(p):
        return sine_pair(p, gain_v=1.003, gain_i=0.98, lag_deg=0.7, off_i=0.05)

    cal_pt = ReferencePoint(230.0, 10.0, 0.0, 50.0)
    ver_pt = ReferencePoint(230.0, 4.0, 60.0, 49.8)
    res = factory_calibrate(acquire, "voltage/L1", "current/0", 50.0, base, 2,
                            "2024-01-02T00:00:00Z", "twin", cal_pt, ver_pt)  # fmt: skip
    assert res.calibration.version == 2 and not res.calibration.degraded_channels()
    v, i, fs = acquire(ver_pt)
    raw = measure_window(v, i[None], fs, 50)
    fixed = measure_window(v, i[None], fs, 50, res.calibration)
    p_ref = 230 * 4 * 0.5
    assert abs(raw.p_w[0] / p_ref - 1) > 2e-3  # the injected error is visible uncorrected
    assert abs(fixed.p_w[0] / p_ref - 1) < 5e-4
    assert abs(fixed.pf[0] - 0.5) < 0.002
    assert abs(fixed.i_rms_a[0] / 4 - 1) < 2e-4


def test_bad_crc_degrades_only_that_channel():
    coeffs = {"current/0": ChannelCoefficients(2.0), "current/1": ChannelCoefficients(3.0)}
    cal = CalibrationSet.create(3, "t", "factory", coeffs)
    stored = cal.to_dict()
    stored["channels"]["current/1"]["gain"] = 30.0  # corrupted in storage
    loaded = CalibrationSet.from_dict(stored)
    assert loaded.degraded_channels() == {"current/1"}
    v, i, fs = sine_pair(ReferencePoint(230, 1, 0, 50))
    m = measure_window(v, np.stack([i, i]), fs, 50, loaded, channel_phase=[0, 0])
    assert m.flags[1] & QualityFlag.CALIBRATION_DEGRADED
    assert m.i_rms_a[1] == pytest.approx(1.0, rel=1e-4)  # garbage gain not applied
    assert CalibrationSet.from_dict(cal.to_dict()).degraded_channels() == frozenset()


def test_energy_registers_exact_after_1e7_windows():
    reg = EnergyRegisters(["outlet/1"])
    p, dt, n_chunk, chunks = 1234.567, 0.2, 1_000_000, 10
    ones = np.ones((n_chunk, 1))
    for _ in range(chunks):
        reg.add_many(p * ones, 0.1 * p * ones, 1.1 * p * ones, np.full(n_chunk, dt))
    exact = Fraction(p) * Fraction(dt) / 3600 * n_chunk * chunks
    got = reg.totals()["outlet/1"]["active_import_wh"]
    assert abs(Fraction(got) - exact) < Fraction(1, 1000)
    rec = reg.reset("alice", "2024-01-01T00:00:00Z")
    assert rec.values_before["outlet/1"]["active_import_wh"] == got
    assert reg.resettable()["outlet/1"]["active_import_wh"] == 0.0
    assert reg.totals()["outlet/1"]["active_import_wh"] == got
    again = EnergyRegisters.from_dict(reg.to_dict())
    assert again.totals() == reg.totals()


def test_add_per_window_compensated_beats_naive():
    reg = EnergyRegisters(["a"])
    naive = 0.0
    for _ in range(200_000):
        reg.add(np.array([3600.1]), np.array([0.0]), np.array([3600.1]), 0.2)
        naive += 3600.1 * 0.2 / 3600
    exact = float(Fraction(3600.1) * Fraction(0.2) / 3600 * 200_000)
    assert abs(reg.totals()["a"]["active_import_wh"] - exact) < 1e-9
    assert reg.totals()["a"]["active_export_wh"] == 0.0
