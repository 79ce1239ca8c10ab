"""Persist protection holds in UTC, not in hardware seconds, so a restart keeps their cooldown.

The control plane runs on the acquisition clock (``snapshot.t_s``), which starts again from zero
whenever the controller (and its sampling front end) restarts. A hold stored in those seconds
would restart its cooldown — or, after a longer run, wait for a time the new clock reaches much
later. The wall clock (UTC) is the one that keeps counting while the controller is down and the
outlet stays off, so holds are stored as UTC epoch seconds and translated to the running
acquisition clock with the offset of the first window of each run (the acquisition clock runs
at wall rate, so one offset per run is exact up to clock drift).

:class:`UtcHoldMemory` wraps the store's :class:`~smartpdu.control.holds.OutletMemory`; holds
written by older releases (hardware seconds: far below any UTC epoch) are taken as they are.
"""

from __future__ import annotations

from dataclasses import replace

from smartpdu.control.holds import OutletMemory
from smartpdu.protection.lockout import OutletHold

__all__ = ["UtcHoldMemory", "shift_hold"]

_EPOCH_FLOOR_S = 1.0e8
"""Times above this are UTC epoch seconds (1973+); hardware seconds of a run never get there."""


def shift_hold(h: OutletHold, by_s: float) -> OutletHold:
    """``h`` with every time moved by ``by_s`` seconds."""
    return replace(
        h,
        since_s=h.since_s + by_s,
        cooldown_until_s=h.cooldown_until_s + by_s,
        trips_s=tuple(t + by_s for t in h.trips_s),
    )


class UtcHoldMemory:
    """:class:`OutletMemory` that stores hold times in UTC and hands them out in run time."""

    def __init__(self, inner: OutletMemory) -> None:
        self._inner = inner
        self.offset_s: float | None = None
        """UTC epoch seconds minus acquisition seconds of this run (set at the first window)."""

    def to_run_time(self, h: OutletHold | None) -> OutletHold | None:
        """A loaded hold in this run's acquisition seconds (legacy records unchanged)."""
        if h is None or self.offset_s is None or h.since_s < _EPOCH_FLOOR_S:
            return h
        return shift_hold(h, -self.offset_s)

    def load_hold(self, pdu_id: str, outlet_id: str) -> OutletHold | None:
        """The stored hold as stored (UTC); see :meth:`to_run_time`."""
        return self._inner.load_hold(pdu_id, outlet_id)

    def save_hold(self, pdu_id: str, outlet_id: str, hold: OutletHold | None) -> None:
        if hold is not None and self.offset_s is not None:
            hold = shift_hold(hold, self.offset_s)
        self._inner.save_hold(pdu_id, outlet_id, hold)

    def save_intent(self, pdu_id: str, outlet_id: str, on: bool) -> None:
        self._inner.save_intent(pdu_id, outlet_id, on)

    def last_commanded(self, pdu_id: str, outlet_id: str) -> bool | None:
        return self._inner.last_commanded(pdu_id, outlet_id)
