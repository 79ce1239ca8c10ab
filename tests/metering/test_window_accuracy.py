"""Acceptance: measure_window against analytic references (issue 3)."""

import numpy as np
import pytest

from smartpdu.metering import QualityFlag, measure_window

FS = {50.0: 6400.0, 60.0: 7680.0}
LIM_P, LIM_RMS, LIM_THD, LIM_PF, LIM_F = 5e-4, 2e-4, 0.1, 0.002, 0.005


def synth(f, nominal, v_h, i_h, v_dc=0.0, i_dc=0.0, noise=0.0, seed=0, cycles=10.3):
    """v_h/i_h: {order: (rms, phase_rad)}; returns samples and analytic reference values."""
    fs = FS[nominal]
    n = round(cycles / nominal * fs)
    t = np.arange(n) / fs
    rng = np.random.default_rng(seed)
    phi0 = rng.uniform(0, 2 * np.pi)

    def wave(h_map, dc):
        x = np.full(n, dc, dtype=float)
        for h, (rms, ph) in h_map.items():
            x += np.sqrt(2) * rms * np.cos(2 * np.pi * h * f * t + h * phi0 + ph)
        return x

    v = wave(v_h, v_dc)
    i = wave(i_h, i_dc)
    if noise:
        v += rng.normal(0, noise * 325, n)
        i += rng.normal(0, noise * 16, n)
    vr = np.sqrt(v_dc**2 + sum(r**2 for r, _ in v_h.values()))
    ir = np.sqrt(i_dc**2 + sum(r**2 for r, _ in i_h.values()))
    p = v_dc * i_dc + sum(
        v_h[h][0] * i_h[h][0] * np.cos(v_h[h][1] - i_h[h][1]) for h in v_h if h in i_h
    )
    thd = lambda hm: 100 * np.sqrt(sum(r**2 for h, (r, _) in hm.items() if h > 1)) / hm[1][0]  # noqa: E731
    disp = np.cos(v_h[1][1] - i_h[1][1])
    q1 = v_h[1][0] * i_h[1][0] * np.sin(v_h[1][1] - i_h[1][1])
    ref = dict(v=vr, i=ir, p=p, pf=p / (vr * ir), thd_u=thd(v_h), thd_i=thd(i_h), cos=disp, q1=q1)
    return v, i, fs, ref


CASES = {
    "pure_sine": ({1: (230, 0)}, {1: (10, 0)}),
    "harmonics_3_5": ({1: (230, 0)}, {1: (10, 0), 3: (3, 0.4), 5: (1, -1.0)}),
    "pf_half_lagging": ({1: (230, 0)}, {1: (10, -np.pi / 3)}),
    "pf_half_leading": ({1: (230, 0)}, {1: (10, np.pi / 3)}),
    "non_pfc": (
        {1: (230, 0), 5: (6, 0.2)},
        {
            1: (5, -0.1),
            3: (4.2, 2.9),
            5: (3.0, -0.5),
            7: (1.8, 2.5),
            9: (0.9, -1.2),
            11: (0.4, 1.9),
            13: (0.2, -2.0),
        },
    ),
}


@pytest.mark.parametrize("f,nominal", [(50, 50), (49.5, 50), (49.7, 50), (50.5, 50),
                                       (60, 60), (59.5, 60), (60.4, 60), (60.5, 60)])  # fmt: skip
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("dc,noise", [(0.0, 0.0), (1.5, 0.0), (0.0, 2e-4)])
def test_accuracy(case, f, nominal, dc, noise):
    vh, ih = CASES[case]
    v, i, fs, ref = synth(f, nominal, vh, ih, v_dc=dc, i_dc=dc * 0.01, noise=noise, seed=int(f))
    m = measure_window(v, i[None], fs, nominal)
    assert abs(m.frequency_hz[0] - f) <= LIM_F
    assert abs(m.v_rms_v[0] / ref["v"] - 1) <= LIM_RMS
    assert abs(m.i_rms_a[0] / ref["i"] - 1) <= LIM_RMS
    assert abs(m.p_w[0] / ref["p"] - 1) <= LIM_P
    assert abs(m.pf[0] - ref["pf"]) <= LIM_PF
    assert abs(m.cos_phi[0] - ref["cos"]) <= LIM_PF
    assert abs(m.thd_i_pct[0] - ref["thd_i"]) <= LIM_THD
    assert abs(m.thd_u_pct[0] - ref["thd_u"]) <= LIM_THD
    assert abs(m.q1_var[0] - ref["q1"]) <= 5e-4 * ref["v"] * ref["i"]
    assert m.flags[0] == 0


def test_thd_3rd_30_5th_10():
    v, i, fs, _ = synth(49.7, 50, {1: (230, 0)}, {1: (10, 0), 3: (3, 0), 5: (1, 0)})
    m = measure_window(v, i[None], fs, 50)
    assert m.thd_i_pct[0] == pytest.approx(100 * np.hypot(0.3, 0.1), abs=LIM_THD)
    assert m.harmonics_i.magnitude[0, 2] == pytest.approx(3.0, rel=1e-4)
    assert m.harmonics_i.magnitude[0, 4] == pytest.approx(1.0, rel=1e-4)


def test_crest_and_peak_of_sine():
    v, i, fs, _ = synth(50, 50, {1: (230, 0)}, {1: (10, 0)}, cycles=10)
    m = measure_window(v, i[None], fs, 50)
    assert m.crest_factor[0] == pytest.approx(np.sqrt(2), rel=1e-3)
    assert m.i_peak_a[0] == pytest.approx(10 * np.sqrt(2), rel=1e-3)


def test_vectorised_channels_and_phase_mapping():
    v, i, fs, ref = synth(50.2, 50, {1: (230, 0)}, {1: (10, -np.pi / 3)})
    currents = np.stack([i, 2 * i, -i])
    m = measure_window(v, currents, fs, 50)
    assert m.p_w == pytest.approx([ref["p"], 2 * ref["p"], -ref["p"]], rel=LIM_P)
    assert m.n_channels == 3


def test_flags_low_signal_clipping_and_no_frequency():
    v, i, fs, _ = synth(50, 50, {1: (230, 0)}, {1: (10, 0)})
    clipped = np.clip(i, -12, 12)
    m = measure_window(v, np.stack([clipped, i * 1e-5]), fs, 50)
    assert m.flags[0] & QualityFlag.CLIPPING
    assert m.flags[1] & QualityFlag.LOW_SIGNAL
    assert np.isnan(m.pf[1])
    m2 = measure_window(np.zeros_like(v), i[None], fs, 50)
    assert m2.flags[0] & QualityFlag.NO_FREQUENCY
    d = m.to_dict()
    assert d["pf"][1] is None and "clipping" in d["flags"][0]


def test_shape_mismatch_is_rejected():
    with pytest.raises(ValueError):
        measure_window(np.zeros(100), np.zeros((1, 99)), 6400, 50)
