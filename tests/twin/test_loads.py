"""Load templates against numerical references; device demand profiles."""

from __future__ import annotations

import numpy as np
import pytest

from smartpdu.config.models import LoadKind, LoadModelConfig, LoadStep
from smartpdu.twin.loads import (
    DeviceLoad,
    active_pfc_tan_phi,
    active_pfc_thd,
    inrush_pulse_template,
    non_pfc_template,
    synthesize,
)


def test_non_pfc_template_is_a_peaky_pulse_train() -> None:
    t = non_pfc_template()
    assert t[0].real == pytest.approx(1.0)
    x = synthesize(t)
    rms = np.sqrt(np.mean(x * x))
    assert 2.5 <= x.max() / rms <= 3.0
    spec = np.abs(np.fft.rfft(x))
    assert 0.6 <= np.sqrt(np.sum(spec[2:51] ** 2)) / spec[1] <= 1.2
    # half-wave symmetric, conducting only around the voltage peak (90 deg)
    assert np.allclose(x[:2048], -x[2048:], atol=1e-9)
    assert abs(np.argmax(x) / 4096 * 360 - 72.0) < 2.0
    assert np.all(np.abs(x[(np.arange(4096) > 1300) & (np.arange(4096) < 2000)]) < 0.1 * x.max())


def test_inrush_pulse_peaks_at_one() -> None:
    x = synthesize(inrush_pulse_template(), 8192)
    assert x.max() == pytest.approx(1.0, abs=2e-3)


def test_active_pfc_quality_degrades_at_light_load() -> None:
    assert active_pfc_thd(1.0) == pytest.approx(0.08)
    assert active_pfc_thd(0.2) > 0.15 > active_pfc_thd(0.5)
    assert active_pfc_thd(0.0) <= 0.6
    pf_rated = np.cos(np.arctan(active_pfc_tan_phi(1.0))) / np.sqrt(1 + active_pfc_thd(1.0) ** 2)
    assert pf_rated >= 0.99


def test_profile_repeats_and_override_wins() -> None:
    cfg = LoadModelConfig(
        kind=LoadKind.GPU,
        rated_power_w=2000,
        load_fraction=0.9,
        profile=[
            LoadStep(duration_s=4, load_fraction=1.0),
            LoadStep(duration_s=1, load_fraction=0.3),
        ],
    )
    d = DeviceLoad.from_config(cfg)
    assert [d.fraction(t) for t in (0.0, 3.9, 4.0, 4.9, 5.0, 9.5)] == [1.0, 1.0, 0.3, 0.3, 1.0, 0.3]
    d.override = 0.5
    assert d.fraction(4.5) == 0.5
    d.switched_on = False
    assert d.fraction(4.5) == 0.0
