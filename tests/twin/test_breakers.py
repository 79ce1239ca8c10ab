"""Twin breakers: devices from config, trip instant inside the window, tolerances, reset."""

from __future__ import annotations

import math

import numpy as np
import pytest

from smartpdu.config.models import BranchConfig, BreakerConfig, MccbConfig, PduConfig
from smartpdu.twin.breaker_physics import Tolerance, mcb_physics, mccb_physics
from smartpdu.twin.breakers import PduBreakers, branch_physics

FS = 6400.0


def _pdu() -> PduConfig:
    return PduConfig(
        id="p",
        feed="A",
        branches=[
            BranchConfig(id="B1"),
            BranchConfig(id="B2", line="L2", breaker=BreakerConfig(kind="RCBO")),
        ],
        outlets=[{"id": "1", "branch": "B1"}, {"id": "2", "branch": "B2"}],
    )


def _sine(i_rms: float, n: int = 1280) -> np.ndarray:
    return math.sqrt(2) * i_rms * np.sin(2 * math.pi * 50 * np.arange(n) / FS)


def test_devices_from_config() -> None:
    mcb = branch_physics(BranchConfig(id="x"))
    assert mcb.kind == "MCB" and mcb.residual_ma is None
    assert mcb.thermal_pickup_a == pytest.approx(1.30 * 16.0)
    assert mcb.magnetic_a == pytest.approx(math.sqrt(50.0) * 16.0)  # middle of C's 5-10 x In
    rcbo = branch_physics(BranchConfig(id="x", breaker=BreakerConfig(kind="RCBO", residual_ma=30)))
    assert rcbo.kind == "RCBO" and rcbo.residual_ma == pytest.approx(22.5)
    inlet = PduBreakers(_pdu()).inlet.device
    assert inlet.rating_a == 32.0 and inlet.short_time_a == pytest.approx(192.0)


def test_tolerances_are_deterministic_per_device_and_stay_in_their_bands() -> None:
    assert Tolerance.draw(7, "p/B1") == Tolerance.draw(7, "p/B1")
    assert Tolerance.draw(7, "p/B1") != Tolerance.draw(8, "p/B1")
    assert Tolerance.draw(7, "p/B1") != Tolerance.draw(7, "p/B2")
    a, b = PduBreakers(_pdu(), seed=3), PduBreakers(_pdu(), seed=3)
    assert a.branches[0].device == b.branches[0].device
    assert a.branches[0].device != PduBreakers(_pdu(), seed=4).branches[0].device
    cfg = BreakerConfig(curve="B", rating_a=10.0, kind="RCBO")
    for seed in range(200):
        d = mcb_physics(cfg, Tolerance.draw(seed, "x"))
        assert 1.13 < d.thermal_pickup_a / 10.0 < 1.45
        assert 3.0 < d.magnetic_a / 10.0 < 5.0
        assert d.residual_ma is not None and 15.0 < d.residual_ma <= 30.0
        assert 0.0 < d.residual_s <= 0.04
        m = mccb_physics(MccbConfig(), 32.0, Tolerance.draw(seed, "x"))
        assert 1.05 < m.thermal_pickup_a / 32.0 < 1.2


def test_magnetic_trip_opens_after_the_armature_travel_from_the_first_high_peak() -> None:
    b = PduBreakers(_pdu())
    i = np.zeros((2, 1280))
    i[0, 640:] = _sine(150.0, 640)  # C16 magnetic at 7.07 x 16 = 113 A
    trips = b.step_branches(i, np.zeros(2), FS, 0.2)
    assert len(trips) == 1
    k, trip = trips[0]
    assert k == 0 and trip.event.band == "magnetic"
    first = 640 + int(np.flatnonzero(np.abs(i[0, 640:]) >= math.sqrt(2) * 113.137)[0])
    assert trip.cut == math.ceil(first + 0.008 * FS)  # nominal armature travel 8 ms
    assert not b.branches[0].closed and b.branches[1].closed


def test_normal_load_does_not_trip_and_tripped_breaker_cools() -> None:
    b = PduBreakers(_pdu())
    i = np.stack([_sine(10.0), _sine(1.0)])
    for _ in range(10):
        assert b.step_branches(i, np.array([0.0, 5.0]), FS, 0.2) == []
    rise = b.branches[0].state.rise
    assert rise > 0.0
    b.branches[0].closed = False
    b.step_branches(i, np.zeros(2), FS, 0.2)  # open: no current flows
    assert b.branches[0].state.rise < rise


def test_hot_bimetal_trips_again_almost_at_once_when_reclosed_under_load() -> None:
    b = PduBreakers(_pdu())
    i = np.stack([_sine(48.0), np.zeros(1280)])
    trips: list = []
    while not trips:
        trips = b.step_branches(i, np.zeros(2), FS, 0.2)
    assert trips[0][1].event.band == "thermal"
    b.reset("B1")
    again = b.step_branches(i, np.zeros(2), FS, 0.2)
    assert again and again[0][1].event.band == "thermal"
    assert again[0][1].event.at_s < 0.05  # from cold the same current needs seconds


def test_rcbo_trips_on_residual_and_reset_recloses() -> None:
    b = PduBreakers(_pdu())
    trips = b.step_branches(np.zeros((2, 1280)), np.array([0.0, 30.0]), FS, 0.2)
    assert [t.event.band for _, t in trips] == ["residual"]
    assert trips[0][1].cut == math.ceil(0.025 * FS)
    b.reset("B2")
    assert b.branches[1].closed
    with pytest.raises(KeyError, match="known breakers"):
        b.reset("B9")


def test_inlet_short_time_trip_on_the_most_loaded_pole() -> None:
    b = PduBreakers(_pdu())
    phases = np.stack([_sine(200.0), _sine(5.0), _sine(5.0)])  # > Isd 6 x 32 = 192 A
    trip = None
    for _ in range(3):
        trip = trip or b.step_inlet(phases, phases.sum(axis=0), FS, 0.2)
    assert trip is not None and trip.event.band == "short_time"
    assert trip.cut == math.ceil(0.1 * FS)  # tsd 0.3 s: 0.2 s in the first window, 0.1 s after
    assert not b.inlet.closed


def test_inlet_neutral_release_when_switched_on() -> None:
    cfg = _pdu().model_copy(update={"inlet_breaker": MccbConfig(neutral_x=0.5, neutral_t_s=0.1)})
    b = PduBreakers(cfg)
    phases = np.stack([_sine(10.0), np.zeros(1280), np.zeros(1280)])
    trip = b.step_inlet(phases, _sine(20.0), FS, 0.2)  # 20 A > 0.5 x 32 A on the neutral
    assert trip is not None and trip.event.band == "neutral"
    assert trip.cut == math.ceil(0.1 * FS)
