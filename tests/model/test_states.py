"""Typed states compare and serialise exactly like the strings they replace."""

from __future__ import annotations

import json

import pytest

from smartpdu.hardware import BreakerState as HardwareBreakerState
from smartpdu.model.snapshot import LeverSnapshot
from smartpdu.model.states import BreakerState, LeverState, OutletState


def test_json_stays_the_same() -> None:
    assert json.dumps({"s": OutletState.ON, "b": BreakerState.TRIPPED}) == (
        '{"s": "on", "b": "tripped"}'
    )
    assert OutletState.of(True) == "on" and OutletState.of(False) is OutletState.OFF


def test_hardware_and_model_share_one_breaker_state() -> None:
    assert HardwareBreakerState is BreakerState


@pytest.mark.parametrize(
    ("locked", "handle_open", "state"),
    [
        (True, False, LeverState.LOCKED),
        (False, False, LeverState.UNLOCKED),
        (False, True, LeverState.OPEN),
        (True, True, LeverState.FORCED),
    ],
)
def test_lever_state(locked: bool, handle_open: bool, state: LeverState) -> None:
    assert LeverSnapshot("front", "Front", "front", locked, handle_open).state is state
