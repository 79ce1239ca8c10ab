"""Latching relays: wear counter, welded/open/slow faults, feedback follows the real contact."""

from __future__ import annotations

import numpy as np
import pytest

from smartpdu.twin.relay import RelayBank


def _bank() -> RelayBank:
    return RelayBank(np.array([True, False, True]), slow_delay_s=0.2)


def test_commands_move_contacts_and_count_cycles() -> None:
    r = _bank()
    r.command(1, True, 0.0)
    r.command(1, True, 0.0)  # already closed: no operation
    r.command(0, False, 0.0)
    assert r.closed.tolist() == [False, True, True]
    assert r.cycles.tolist() == [1, 1, 0]


def test_welded_stays_closed_and_open_never_closes() -> None:
    r = _bank()
    r.set_fault(0, "welded")
    r.command(0, False, 0.0)
    assert r.closed[0] and not r.commanded[0]
    r.set_fault(1, "open")
    r.command(1, True, 0.0)
    assert not r.closed[1]
    r.set_fault(1, None)
    r.command(1, True, 0.0)
    assert r.closed[1]


def test_slow_relay_completes_one_window_later() -> None:
    r = _bank()
    r.set_fault(2, "slow")
    r.command(2, False, 1.0)
    r.step(1.0)
    assert r.closed[2]
    r.step(1.2)
    assert not r.closed[2]
    assert r.cycles[2] == 1


def test_unknown_fault_is_rejected() -> None:
    with pytest.raises(ValueError, match="welded"):
        _bank().set_fault(0, "melted")
