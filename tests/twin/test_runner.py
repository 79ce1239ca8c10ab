"""Runner tests on a small fake twin (analytic samples) — the real-twin replays are in
test_runner_replay.py."""

import json
from pathlib import Path

import numpy as np
import pytest

from smartpdu.config import load_config
from smartpdu.config.models import RackConfig
from smartpdu.hardware.samples import (
    Acquisition,
    PduStatus,
    PowerSource,
    SampleBlock,
    SensorReading,
)
from smartpdu.twin.physical_log import TwinEvent
from smartpdu.twin.runner import run_scenario
from smartpdu.twin.scenario import ScenarioError, parse_scenario

ROOT = Path(__file__).resolve().parents[2]
N = 1280  # 10 cycles x 128 samples at 50 Hz
FS = 6400.0


class FakeTwin:
    """Per phase 230 V rms and I_k rms in phase (P = 230·I_k exactly over whole cycles)."""

    def __init__(self, config: RackConfig, seed: int) -> None:
        self.pdu_ids = tuple(p.id for p in config.pdus)
        self._t = 0.0
        self._rng = np.random.default_rng(seed)
        self.physical_log: list[TwinEvent] = []
        self.feed_ok = {"A": True, "B": True}
        self.amps = np.array([4.0, 6.0, 8.0])

    @property
    def now_s(self) -> float:
        return self._t

    @property
    def window_s(self) -> float:
        return N / FS

    def feed_loss(self, feed: str) -> None:
        self.feed_ok[feed] = False
        self.physical_log.append(TwinEvent(self._t, "feed_loss", f"feed/{feed}", {}))
        self.physical_log.append(
            TwinEvent(self._t, "psu_failover", "srv-01", {"to": "B", "i": np.float64(1.5)})
        )

    def acquire(self) -> Acquisition:
        t = self._t + np.arange(N) / FS
        blocks = {}
        for pdu_id, feed in zip(self.pdu_ids, ("A", "B"), strict=False):
            scale = 1.0 if self.feed_ok[feed] else 0.0
            ang = 2 * np.pi * 50 * t[None, :] - np.array([0, 2, 4])[:, None] * np.pi / 3
            v = scale * 230 * np.sqrt(2) * np.sin(ang)
            i = scale * self.amps[:, None] * np.sqrt(2) * np.sin(ang)
            noise = self._rng.normal(0, 1e-3, (2, N))
            branch = np.vstack([i[0] * 0.5 + noise[0], i[1] * 1.5 + noise[1]])
            blocks[pdu_id] = SampleBlock(
                pdu_id=pdu_id,
                t0_s=self._t,
                sample_rate_hz=FS,
                nominal_hz=50.0,
                voltage_v=v,
                current_a=np.vstack([i, i.sum(axis=0, keepdims=True), branch]),
                channels=("inlet/L1", "inlet/L2", "inlet/L3", "inlet/N", "branch/B1", "branch/B3"),
                channel_phase=np.array([0, 1, 2, 0, 0, 1]),
                residual_ma=np.array([0.5]),
                residual_channels=("inlet",),
            )
        status = {p: PduStatus(p, True, {}, {}) for p in self.pdu_ids}
        sensors = (
            SensorReading("temp-top", "temperature", 30.0 + self._t / 100, "degC"),
            SensorReading("terminal/pdu-a/1", "terminal_temperature", 25.0 + self._t, "degC"),
        )
        acq = Acquisition(self._t, blocks, status, sensors, (), PowerSource.FEED_B)
        self._t += N / FS
        return acq


@pytest.fixture(scope="module")
def rack() -> RackConfig:
    return load_config(ROOT / "configs/demo-rack.yaml")


def _scenario(text: str = "name: t\nsteps: []\n"):  # type: ignore[no-untyped-def]
    return parse_scenario(text)


def test_energy_and_currents_from_samples_match_analytic(rack: RackConfig) -> None:
    s = run_scenario(rack, _scenario(), duration_s=60.0, seed=1, twin_factory=FakeTwin)
    assert s.windows == 300 and s.simulated_s == pytest.approx(60.0)
    hours = 60.0 / 3600.0
    for pdu in ("pdu-a", "pdu-b"):
        for ph, amps in zip(("L1", "L2", "L3"), (4.0, 6.0, 8.0), strict=True):
            assert s.energy_kwh[pdu][ph] == pytest.approx(230 * amps * hours / 1000, rel=1e-9)
            assert s.max_inlet_current_a[pdu][ph] == pytest.approx(amps, rel=1e-9)
        assert s.max_branch_current[pdu].branch == "B3"
        assert s.max_branch_current[pdu].current_a == pytest.approx(9.0, rel=1e-4)
    assert s.final_sensors["temp-top"].value == pytest.approx(30.0 + 59.8 / 100)
    assert "terminal/pdu-a/1" not in s.final_sensors
    assert s.hottest_terminal is not None and s.hottest_terminal.temp_c == pytest.approx(84.8)
    assert s.controller_power == "feed_b"


def test_steps_apply_when_clock_reaches_them_and_events_are_reported(rack: RackConfig) -> None:
    sc = _scenario("name: t\nsteps:\n  - {at: 2s, do: feed_loss, feed: A}\n")
    s = run_scenario(rack, sc, duration_s=5.0, seed=1, twin_factory=FakeTwin)
    assert s.steps_applied == 1
    assert [e.kind for e in s.events] == ["feed_loss", "psu_failover"]
    assert [e.t_s for e in s.events] == pytest.approx([2.0, 2.0])
    assert s.event_counts == {"feed_loss": 1, "psu_failover": 1}
    # pdu-a carried current for the first 2 s only
    assert s.energy_kwh["pdu-a"]["L1"] == pytest.approx(230 * 4 * 2 / 3.6e6, rel=1e-9)
    json.dumps(s.to_dict())  # JSON-ready, numpy scalars converted
    assert s.to_dict()["events"][1]["detail"] == {"to": "B", "i": 1.5}


def test_same_seed_same_digest_other_seed_differs(rack: RackConfig) -> None:
    a = run_scenario(rack, _scenario(), duration_s=2.0, seed=3, twin_factory=FakeTwin)
    b = run_scenario(rack, _scenario(), duration_s=2.0, seed=3, twin_factory=FakeTwin)
    c = run_scenario(rack, _scenario(), duration_s=2.0, seed=4, twin_factory=FakeTwin)
    assert a == b and len(a.digest) == 64
    assert c.digest != a.digest


def test_seed_defaults_to_scenario_seed(rack: RackConfig) -> None:
    sc = _scenario("name: t\nseed: 77\nsteps: []\n")
    assert run_scenario(rack, sc, duration_s=1.0, twin_factory=FakeTwin).seed == 77
    assert run_scenario(rack, sc, duration_s=1.0, seed=5, twin_factory=FakeTwin).seed == 5
    assert run_scenario(rack, _scenario(), duration_s=1.0, twin_factory=FakeTwin).seed == 0


def test_progress_and_pacing_with_injected_clock(rack: RackConfig) -> None:
    wall = [100.0]
    sleeps: list[float] = []

    def sleep(dt: float) -> None:
        sleeps.append(dt)
        wall[0] += dt

    seen: list[tuple[float, float]] = []
    run_scenario(
        rack,
        _scenario(),
        duration_s=10.0,
        seed=0,
        speed=4.0,
        progress=lambda done, total: seen.append((done, total)),
        clock=lambda: wall[0],
        sleep=sleep,
        twin_factory=FakeTwin,
    )
    assert len(seen) == 50 and seen[-1] == (pytest.approx(10.0), 10.0)
    assert wall[0] - 100.0 == pytest.approx(10.0 / 4.0)  # paced at 4x real time
    assert all(dt == pytest.approx(0.2 / 4.0) for dt in sleeps)


def test_bad_arguments_and_unknown_ids(rack: RackConfig) -> None:
    with pytest.raises(ValueError, match="clock and sleep"):
        run_scenario(rack, _scenario(), duration_s=1.0, speed=2.0, twin_factory=FakeTwin)
    with pytest.raises(ValueError, match="speed"):
        run_scenario(rack, _scenario(), duration_s=1.0, speed=-1.0, twin_factory=FakeTwin)
    with pytest.raises(ValueError, match="duration_s"):
        run_scenario(rack, _scenario(), duration_s=0.0, twin_factory=FakeTwin)
    sc = _scenario("name: t\nsteps:\n  - {at: 1, do: device_power, device: ghost, state: on}\n")
    with pytest.raises(ScenarioError) as info:
        run_scenario(rack, sc, duration_s=1.0, twin_factory=FakeTwin)
    assert [i.path for i in info.value.issues] == ["steps[0].device"]
