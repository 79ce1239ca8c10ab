"""Twin breakers: specs from config, trip instant inside the window, reset."""

from __future__ import annotations

import math

import numpy as np
import pytest

from smartpdu.config.models import BranchConfig, BreakerConfig, PduConfig
from smartpdu.protection import McbSpec, RcboSpec
from smartpdu.twin.breakers import PduBreakers, branch_spec

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


def test_specs_from_config() -> None:
    assert isinstance(branch_spec(BranchConfig(id="x")), McbSpec)
    rcbo = branch_spec(BranchConfig(id="x", breaker=BreakerConfig(kind="RCBO", residual_ma=30)))
    assert isinstance(rcbo, RcboSpec) and rcbo.idn_ma == 30
    assert PduBreakers(_pdu()).inlet.spec.rating_a == 32.0


def test_magnetic_trip_opens_half_a_cycle_after_the_first_high_peak() -> None:
    b = PduBreakers(_pdu())
    i = np.zeros((2, 1280))
    i[0, 640:] = _sine(150.0, 640)  # C16 magnetic at 7.07 x 16 = 113 A
    trips = b.step_branches(i, np.zeros(2), FS, 0.2)
    assert len(trips) == 1
    k, trip = trips[0]
    assert k == 0 and trip.event.band == "magnetic"
    first = 640 + int(np.flatnonzero(np.abs(i[0, 640:]) >= math.sqrt(2) * 113.137)[0])
    assert trip.cut == first + 64
    assert not b.branches[0].closed and b.branches[1].closed


def test_normal_load_does_not_trip_and_tripped_breaker_cools() -> None:
    b = PduBreakers(_pdu())
    i = np.stack([_sine(10.0), _sine(1.0)])
    for _ in range(10):
        assert b.step_branches(i, np.array([0.0, 5.0]), FS, 0.2) == []
    theta = b.branches[0].state.theta
    assert theta > 0.0
    b.branches[0].closed = False
    b.step_branches(i, np.zeros(2), FS, 0.2)  # open: no current flows
    assert b.branches[0].state.theta < theta


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
    assert not b.inlet.closed
