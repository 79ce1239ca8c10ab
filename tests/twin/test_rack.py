"""Acceptance tests of the rack twin, judged from the generated samples with numpy references."""

from __future__ import annotations

import numpy as np
import pytest
from twin_helpers import channel, device, pdu, power, rack, rms, thd

from smartpdu.config import load_config
from smartpdu.hardware import BreakerState, PowerSource, RackHardware
from smartpdu.twin.rack import RackTwin

CYCLES = 10  # one window at 50 Hz


def _single(kind: str, rated_w: float = 1000.0, **load) -> RackTwin:
    cfg = rack(
        [pdu("pdu-a", "A")],
        [device("d", kind, rated_w, [("pdu-a", "1", 1.0)], load_fraction=1.0, **load)],
    )
    return RackTwin(cfg, seed=3, frequency_drift_hz=0.0)


def test_active_pfc_at_rated_power_has_high_pf_and_low_thd() -> None:
    twin = _single("active_pfc")
    v, i = channel(twin.acquire(), "pdu-a", "outlet/1")
    pf = power(v, i) / (rms(v) * rms(i))
    assert power(v, i) == pytest.approx(1000.0, rel=0.02)
    assert 0.95 <= pf <= 1.0
    assert 0.03 <= thd(i, CYCLES) <= 0.15


def test_non_pfc_draws_peaky_current() -> None:
    twin = _single("non_pfc", rated_w=300.0)
    v, i = channel(twin.acquire(), "pdu-a", "outlet/1")
    assert rms(i) > 1.0
    assert np.max(np.abs(i)) / rms(i) >= 2.5
    assert thd(i, CYCLES) >= 0.60
    assert power(v, i) == pytest.approx(300.0, rel=0.03)


def test_resistive_current_follows_voltage() -> None:
    twin = _single("resistive", rated_w=2300.0)
    v, i = channel(twin.acquire(), "pdu-a", "outlet/1")
    r = v / np.where(np.abs(i) > 1.0, i, np.nan)
    assert np.nanmedian(r) == pytest.approx(230.0**2 / 2300.0, rel=0.01)
    assert power(v, i) / (rms(v) * rms(i)) > 0.999


def test_constant_power_current_rises_in_a_sag() -> None:
    twin = _single("active_pfc")
    v0, i0 = channel(twin.acquire(), "pdu-a", "outlet/1")
    twin.voltage_sag("A", depth_pct=20.0, duration_s=0.2)
    v1, i1 = channel(twin.acquire(), "pdu-a", "outlet/1")
    assert rms(v1) == pytest.approx(0.8 * rms(v0), rel=0.01)
    assert rms(i1) == pytest.approx(rms(i0) / 0.8, rel=0.02)
    _, i2 = channel(twin.acquire(), "pdu-a", "outlet/1")
    assert rms(i2) == pytest.approx(rms(i0), rel=0.02)


def test_inrush_peak_and_decay_as_configured() -> None:
    cfg = rack(
        [pdu("pdu-a", "A", power_up="off")],
        [
            device(
                "srv",
                "active_pfc",
                500.0,
                [("pdu-a", "1", 1.0)],
                load_fraction=0.5,
                inrush_peak_a=45.0,
                inrush_decay_ms=30.0,
            )
        ],
    )
    twin = RackTwin(cfg, seed=1, frequency_drift_hz=0.0)
    _, i_off = channel(twin.acquire(), "pdu-a", "outlet/1")
    assert np.all(i_off == 0.0)
    twin.set_outlet("pdu-a", "1", True)
    blocks = [channel(twin.acquire(), "pdu-a", "outlet/1")[1] for _ in range(4)]
    i = np.concatenate(blocks[:3])
    assert np.max(np.abs(i)) == pytest.approx(45.0, rel=0.03)
    # inrush part = total minus the steady waveform (zero drift: every window is the same);
    # the half-cycle peaks of what is left must fall as exp(-t/tau)
    x = np.abs(i - np.tile(blocks[3], 3))
    half = 64
    chunks = x.reshape(-1, half)
    peaks = chunks.max(axis=1)
    t = (np.arange(len(peaks)) * half + chunks.argmax(axis=1)) / 6400.0
    use = peaks > 0.5
    assert use.sum() >= 10
    slope = np.polyfit(t[use], np.log(peaks[use]), 1)[0]
    assert -1.0 / slope == pytest.approx(0.030, rel=0.05)
    assert rms(blocks[3]) == pytest.approx(250.0 / 230.0, rel=0.05)


def _dual() -> RackTwin:
    cfg = rack(
        [pdu("pdu-a", "A"), pdu("pdu-b", "B")],
        [device("srv", "active_pfc", 800.0, [("pdu-a", "2", 0.56), ("pdu-b", "2", 0.44)])],
    )
    return RackTwin(cfg, seed=5)


def test_dual_psu_sharing_is_uneven_and_fails_over_to_b() -> None:
    twin = _dual()
    acq = twin.acquire()
    va, ia = channel(acq, "pdu-a", "outlet/2")
    vb, ib = channel(acq, "pdu-b", "outlet/2")
    p_a, p_b = power(va, ia), power(vb, ib)
    assert p_a + p_b == pytest.approx(400.0, rel=0.02)
    assert p_a / (p_a + p_b) == pytest.approx(0.56, abs=0.035)
    i_total = rms(ia) + rms(ib)
    twin.feed_loss("A")
    acq = twin.acquire()
    _, ia2 = channel(acq, "pdu-a", "outlet/2")
    vb2, ib2 = channel(acq, "pdu-b", "outlet/2")
    assert np.all(ia2 == 0.0)
    assert power(vb2, ib2) == pytest.approx(p_a + p_b, rel=0.05)
    assert rms(ib2) == pytest.approx(i_total, rel=0.05)
    assert acq.status["pdu-a"].feed_present is False
    assert acq.controller_power is PowerSource.FEED_B
    kinds = [e.kind for e in twin.physical_log]
    assert kinds == ["feed_loss", "psu_failover"]
    twin.feed_restore("A")
    _, ia3 = channel(twin.acquire(), "pdu-a", "outlet/2")
    assert np.max(np.abs(ia3)) > 10.0  # the PSU charges its capacitor again
    assert twin.physical_log[-1].kind == "psu_restore"


def test_both_feeds_lost_turns_the_device_off_and_poe_keeps_the_controller() -> None:
    twin = _dual()
    twin.acquire()
    twin.feed_loss("A")
    twin.feed_loss("B")
    acq = twin.acquire()
    assert acq.controller_power is PowerSource.POE
    assert all(np.all(b.current_a == 0.0) for b in acq.blocks.values())
    assert twin.physical_log[-1].kind == "device_off"


def test_overloaded_c16_branch_trips_and_cuts_downstream_current() -> None:
    cfg = rack(
        [pdu("pdu-a", "A")],
        [device("heater", "resistive", 11000.0, [("pdu-a", "1", 1.0)], load_fraction=1.0)],
    )
    twin = RackTwin(cfg, seed=2)
    for _ in range(100):  # 48 A on a C16: the thermal release needs ~12 s
        acq = twin.acquire()
        if acq.status["pdu-a"].breakers["B1"] is BreakerState.TRIPPED:
            break
    trips = [e for e in twin.physical_log if e.kind == "breaker_trip"]
    assert len(trips) == 1
    assert trips[0].target == "pdu-a/branch/B1"
    assert trips[0].detail["band"] == "thermal"
    assert 5.0 < trips[0].t_s < 20.0
    _, i = channel(acq, "pdu-a", "branch/B1")
    cut = np.flatnonzero(np.abs(i) > 0)[-1]
    assert cut < len(i) - 1  # the current stopped inside the window
    acq = twin.acquire()
    for name in ("branch/B1", "outlet/1"):
        assert np.all(channel(acq, "pdu-a", name)[1] == 0.0)
    assert rms(channel(acq, "pdu-a", "inlet/L1")[1]) < 0.02  # live phase: ADC noise only
    assert acq.status["pdu-a"].breakers["inlet"] is BreakerState.CLOSED
    assert "device_off" in [e.kind for e in twin.physical_log]
    twin.set_device_load("heater", 0.1)
    for _ in range(20):  # let the bimetal cool below its trip point, then re-close
        twin.acquire()
    twin.reset_breaker("pdu-a", "B1")
    twin.acquire()  # the heater's own (cold-filament) inrush
    acq = twin.acquire()
    assert rms(channel(acq, "pdu-a", "outlet/1")[1]) == pytest.approx(1100 / 230, rel=0.03)


def _four_servers() -> RackTwin:
    demo = load_config("configs/demo-rack.yaml")
    srv = next(d for d in demo.devices if d.name == "srv-01").load.model_dump()
    assert srv["inrush_peak_a"] >= 45.0
    devices = [device(f"s{k}", **_load(srv), psus=[("pdu-a", str(k), 1.0)]) for k in range(1, 5)]
    return RackTwin(rack([pdu("pdu-a", "A", power_up="off")], devices), seed=4)


def _load(spec: dict) -> dict:
    spec = dict(spec)
    return {"kind": spec.pop("kind"), "rated_w": spec.pop("rated_power_w"), **spec}


def test_bulk_power_on_trips_the_branch_magnetically_but_staggered_does_not() -> None:
    twin = _four_servers()
    twin.acquire()
    for k in range(1, 5):
        twin.set_outlet("pdu-a", str(k), True)
    acq = twin.acquire()
    assert acq.status["pdu-a"].breakers["B1"] is BreakerState.TRIPPED
    trip = next(e for e in twin.physical_log if e.kind == "breaker_trip")
    assert trip.detail["band"] == "magnetic"
    assert trip.t_s - acq.t0_s < 0.03  # on the first inrush pulses

    twin = _four_servers()
    twin.acquire()
    for k in range(1, 5):
        twin.set_outlet("pdu-a", str(k), True)  # 200 ms apart: one per window
        acq = twin.acquire()
    for _ in range(3):
        acq = twin.acquire()
    assert acq.status["pdu-a"].breakers["B1"] is BreakerState.CLOSED
    assert not [e for e in twin.physical_log if e.kind == "breaker_trip"]
    assert rms(channel(acq, "pdu-a", "branch/B1")[1]) > 4.0


def test_rcbo_trips_on_leakage() -> None:
    cfg = rack(
        [pdu("pdu-a", "A", rcbo=True)],
        [
            device("lab", "active_pfc", 400.0, [("pdu-a", "9", 1.0)], leakage_ma_per_psu=1.0),
            device("lab2", "active_pfc", 400.0, [("pdu-a", "10", 1.0)], leakage_ma_per_psu=1.0),
        ],
    )
    twin = RackTwin(cfg, seed=0)
    acq = twin.acquire()
    block = acq.blocks["pdu-a"]
    assert block.residual_channels == ("inlet", "branch/B3")
    assert block.residual_ma[1] == pytest.approx(2.0 * twin.psus.leak_ma[0] / 1.0, rel=0.2)
    twin.set_leakage("lab", 25.0)
    acq = twin.acquire()
    assert acq.status["pdu-a"].breakers["B3"] is BreakerState.TRIPPED
    trip = next(e for e in twin.physical_log if e.kind == "breaker_trip")
    assert trip.detail["band"] == "residual"


def test_relay_faults_in_the_twin() -> None:
    cfg = rack(
        [pdu("pdu-a", "A")],
        [device(f"d{k}", "active_pfc", 500.0, [("pdu-a", str(k), 1.0)]) for k in (1, 2, 3)],
    )
    twin = RackTwin(cfg, seed=0)
    twin.acquire()
    twin.relay_fault("pdu-a", "1", "welded")
    twin.set_outlet("pdu-a", "1", False)
    acq = twin.acquire()
    assert acq.status["pdu-a"].relay_closed["1"] is True
    assert rms(channel(acq, "pdu-a", "outlet/1")[1]) > 0.5

    twin.set_outlet("pdu-a", "2", False)
    twin.relay_fault("pdu-a", "2", "open")
    twin.set_outlet("pdu-a", "2", True)
    acq = twin.acquire()
    assert acq.status["pdu-a"].relay_closed["2"] is False
    assert np.all(channel(acq, "pdu-a", "outlet/2")[1] == 0.0)

    twin.relay_fault("pdu-a", "3", "slow")
    twin.set_outlet("pdu-a", "3", False)
    assert twin.acquire().status["pdu-a"].relay_closed["3"] is True
    acq = twin.acquire()
    assert acq.status["pdu-a"].relay_closed["3"] is False
    assert acq.status["pdu-a"].relay_cycles["3"] == 1
    assert acq.status["pdu-a"].relay_cycles["2"] == 1
    assert [e.kind for e in twin.physical_log].count("relay_fault") == 3


def test_same_seed_is_bit_identical_and_other_seed_differs() -> None:
    demo = load_config("configs/demo-rack.yaml")
    a, b, c = RackTwin(demo, seed=7), RackTwin(demo, seed=7), RackTwin(demo, seed=8)
    for _ in range(3):
        xa, xb, xc = a.acquire(), b.acquire(), c.acquire()
    for pid in xa.blocks:
        assert np.array_equal(xa.blocks[pid].current_a, xb.blocks[pid].current_a)
        assert np.array_equal(xa.blocks[pid].voltage_v, xb.blocks[pid].voltage_v)
        assert not np.array_equal(xa.blocks[pid].current_a, xc.blocks[pid].current_a)
    assert xa.sensors == xb.sensors


def test_demo_rack_blocks_follow_the_contract() -> None:
    demo = load_config("configs/demo-rack.yaml")
    twin = RackTwin(demo, seed=0)
    assert isinstance(twin, RackHardware)
    acq = twin.acquire()
    assert twin.now_s == pytest.approx(0.2)
    block = acq.blocks["pdu-a"]
    assert block.channels[:4] == ("inlet/L1", "inlet/L2", "inlet/L3", "inlet/N")
    assert block.current_a.shape == (4 + 6 + 24, twin.window_samples) == (34, 1280)
    assert block.sample_rate_hz == 6400.0
    # the inlet phases are the sums of their branches, the neutral the sum of the phases
    i = block.current_a
    assert np.allclose(i[3], i[:3].sum(axis=0), atol=0.05)
    b1, b2 = block.channel_index("branch/B1"), block.channel_index("branch/B2")
    assert np.allclose(i[0], i[b1] + i[b2], atol=0.05)
    assert block.channel_phase[block.channel_index("outlet/17")] == 2
    terminals = [s for s in acq.sensors if s.kind == "terminal_temperature"]
    assert len(terminals) == 48
    assert terminals[0].sensor_id == "terminal/pdu-a/1"
    assert {s.sensor_id for s in acq.sensors} >= {c.id for c in demo.sensors}
    with pytest.raises(KeyError, match="known"):
        twin.feed_loss("C")
    with pytest.raises(KeyError, match="known"):
        twin.set_outlet("pdu-a", "99", True)


def test_lost_neutral_shifts_phase_voltages_towards_the_light_phase() -> None:
    cfg = rack(
        [pdu("pdu-a", "A")],
        [
            device("big", "resistive", 3000.0, [("pdu-a", "1", 1.0)], load_fraction=1.0),
            device("small", "resistive", 300.0, [("pdu-a", "5", 1.0)], load_fraction=1.0),
            device("mid", "resistive", 1000.0, [("pdu-a", "9", 1.0)], load_fraction=1.0),
        ],
    )
    twin = RackTwin(cfg, seed=0)
    twin.acquire()
    twin.lost_neutral("pdu-a")
    acq = twin.acquire()
    v = acq.blocks["pdu-a"].voltage_v
    levels = [rms(v[k]) for k in range(3)]
    assert levels[0] < 200.0 < 250.0 < levels[1]  # heavy L1 collapses, light L2 rises
    assert np.all(channel(acq, "pdu-a", "inlet/N")[1] == 0.0)


def test_frequency_offset_moves_zero_crossings() -> None:
    twin = _single("resistive")
    twin.frequency_offset("A", 0.5)
    v, _ = channel(twin.acquire(), "pdu-a", "outlet/1")
    up = np.flatnonzero((v[:-1] < 0) & (v[1:] >= 0))
    frac = -v[up] / (v[up + 1] - v[up])
    t = (up + frac) / 6400.0
    assert (len(t) - 1) / (t[-1] - t[0]) == pytest.approx(50.5, abs=0.01)


def test_inlet_mccb_long_time_trip_kills_the_whole_pdu() -> None:
    p = pdu("pdu-a", "A")
    p["inlet_breaker"] = {"ir_x": 0.4, "tr_s": 3, "isd_x": 6, "tsd_s": 0.3, "ii_x": 10}
    cfg = rack([p], [device("h", "resistive", 4600.0, [("pdu-a", "1", 1.0)], load_fraction=1.0)])
    twin = RackTwin(cfg, seed=0)  # 20 A: below the C16 pickup, 1.4 x the MCCB's 0.4 x 32 A
    for _ in range(600):
        acq = twin.acquire()
        if acq.status["pdu-a"].breakers["inlet"] is BreakerState.TRIPPED:
            break
    trip = next(e for e in twin.physical_log if e.kind == "breaker_trip")
    assert trip.target == "pdu-a/inlet" and trip.detail["band"] == "thermal"
    assert 40.0 < trip.t_s < 80.0
    assert acq.status["pdu-a"].breakers["B1"] is BreakerState.CLOSED
    acq = twin.acquire()
    assert np.all(acq.blocks["pdu-a"].current_a == 0.0)
    assert np.all(acq.blocks["pdu-a"].voltage_v == 0.0)
    assert acq.status["pdu-a"].feed_present is True


def test_gpu_follows_its_load_steps() -> None:
    cfg = rack(
        [pdu("pdu-a", "A")],
        [
            device(
                "gpu",
                "gpu",
                2000.0,
                [("pdu-a", "1", 1.0)],
                profile=[
                    {"duration_s": 0.2, "load_fraction": 1.0},
                    {"duration_s": 0.4, "load_fraction": 0.3},
                ],
            )
        ],
    )
    twin = RackTwin(cfg, seed=0)
    p = [power(*channel(twin.acquire(), "pdu-a", "outlet/1")) for _ in range(6)]
    assert p == pytest.approx([2000.0, 600.0, 600.0, 2000.0, 600.0, 600.0], rel=0.02)


def test_aged_contact_heats_its_terminal() -> None:
    cfg = rack(
        [pdu("pdu-a", "A")],
        [
            device(f"h{k}", "resistive", 3000.0, [("pdu-a", str(k), 1.0)], load_fraction=1.0)
            for k in (1, 2)
        ],
    )
    twin = RackTwin(cfg, seed=0)
    twin.contact_ageing("pdu-a", "1", 50.0)
    for _ in range(50):  # 10 s of a 300 s time constant
        acq = twin.acquire()
    temps = {s.sensor_id: s.value for s in acq.sensors if s.kind == "terminal_temperature"}
    aged, new = temps["terminal/pdu-a/1"], temps["terminal/pdu-a/2"]
    rise = (3000.0 / 230.0) ** 2 * 0.050 * 8.0 * (1.0 - np.exp(-10.0 / 300.0))
    assert aged - new == pytest.approx(rise, rel=0.1)
