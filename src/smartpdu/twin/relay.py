"""Latching outlet relays: commanded state, feedback contact, wear counter and faults.

A latching relay keeps its contact position without coil power, so the state survives controller
restarts and feed loss. Faults:

- ``welded``: contacts fused closed — stays closed whatever is commanded; feedback reads closed.
- ``open``: coil or contact broken — never closes; feedback reads open.
- ``slow``: sticky mechanism — a close/open command completes about one window later.

The feedback contact is mechanically tied to the main contact, so it reports the real position.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = ["RELAY_FAULTS", "RelayBank", "RelayFault"]

RelayFault = Literal["welded", "open", "slow"]
RELAY_FAULTS: tuple[str, ...] = ("welded", "open", "slow")


class RelayBank:
    """All outlet relays of a rack (flat arrays, index = global outlet number)."""

    def __init__(self, closed: npt.NDArray[np.bool_], slow_delay_s: float) -> None:
        self.commanded = closed.copy()
        self.closed = closed.copy()
        self.cycles = np.zeros(len(closed), dtype=np.int64)
        self.fault: list[str | None] = [None] * len(closed)
        self._pending: dict[int, tuple[float, bool]] = {}
        self._slow_delay_s = slow_delay_s

    def command(self, k: int, on: bool, now_s: float) -> None:
        """Drive relay ``k``; what the contact does depends on its fault."""
        self.commanded[k] = on
        fault = self.fault[k]
        if fault == "welded" or (fault == "open" and on):
            return
        if fault == "slow":
            self._pending[k] = (now_s + self._slow_delay_s, on)
            return
        self._move(k, on)

    def set_fault(self, k: int, fault: str | None) -> None:
        if fault is not None and fault not in RELAY_FAULTS:
            raise ValueError(f"relay fault must be one of {RELAY_FAULTS} or None, got {fault!r}")
        self.fault[k] = fault
        self._pending.pop(k, None)
        if fault == "welded":
            self._move(k, True)
        elif fault == "open":
            self._move(k, False)

    def step(self, now_s: float) -> None:
        """Complete slow operations that are due at ``now_s`` (start of a window)."""
        for k, (due, on) in list(self._pending.items()):
            if due <= now_s + 1e-9:
                del self._pending[k]
                self._move(k, on)

    def _move(self, k: int, on: bool) -> None:
        if bool(self.closed[k]) != on:
            self.closed[k] = on
            self.cycles[k] += 1
