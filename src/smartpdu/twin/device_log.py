"""Ground-truth log entries for PSUs and devices: failover/restore, device off/on.

Kept apart from the window physics: it only compares which PSUs and devices were running before
and after a window and dates each change at the instant it happened (a breaker's cut, else the
window start).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from smartpdu.twin.breakers import Trip
from smartpdu.twin.physical_log import TwinEvent
from smartpdu.twin.rack_topology import Topology

__all__ = ["DeviceLog", "breaker_path", "trip_event"]

BArray = npt.NDArray[np.bool_]


def breaker_path(breaker_id: str) -> str:
    return "inlet" if breaker_id == "inlet" else f"branch/{breaker_id}"


def trip_event(pdu_id: str, trip: Trip, t_s: float) -> TwinEvent:
    """The log entry of ``trip`` on PDU ``pdu_id``, the contacts having opened at ``t_s``."""
    ev = trip.event
    detail: dict[str, float | str] = {
        "band": ev.band,
        "value": ev.value,
        "limit": ev.limit,
        "unit": ev.unit,
        "i_rms_a": trip.i_rms_a,
        "i_peak_a": trip.i_peak_a,
    }
    return TwinEvent(t_s, "breaker_trip", f"{pdu_id}/{breaker_path(trip.breaker_id)}", detail)


class DeviceLog:
    """Tracks which devices run (own switch on and a live PSU) and logs the changes."""

    def __init__(self, topo: Topology, device_names: list[str]) -> None:
        self._topo = topo
        self._names = device_names
        self._running = np.zeros(len(device_names), dtype=bool)
        self._switch_prev = np.ones(len(device_names), dtype=bool)

    def update(
        self,
        prev: BArray,
        alive_end: BArray,
        switch: BArray,
        t0: float,
        cut_s: dict[int, float],
        first_window: bool,
    ) -> list[TwinEvent]:
        """Events for PSUs alive ``prev`` → ``alive_end`` and devices starting/stopping."""
        topo = self._topo
        if (
            not first_window
            and prev.tobytes() == alive_end.tobytes()
            and switch.tobytes() == self._switch_prev.tobytes()
        ):
            return []  # same PSUs and switches as last window: nothing started or stopped
        events: list[TwinEvent] = []
        n_alive = np.bincount(topo.psu_device, weights=alive_end, minlength=len(self._names))
        running = switch & (n_alive > 0)
        when = {int(topo.psu_device[j]): t0 + t for j, t in cut_s.items()}
        if not first_window:
            for jj in np.flatnonzero(prev != alive_end):
                j = int(jj)
                d = int(topo.psu_device[j])
                if n_alive[d] > 0:
                    kind = "psu_restore" if alive_end[j] else "psu_failover"
                    target = f"{self._names[d]}/psu{topo.psu_index[j]}"
                    pdu = topo.pdu_ids[topo.psu_pdu[j]]
                    events.append(TwinEvent(when.get(d, t0), kind, target, {"pdu": pdu}))
            for dd in np.flatnonzero(running != self._running):
                d = int(dd)
                reason = "switch" if switch[d] != self._switch_prev[d] else "power"
                kind = "device_on" if running[d] else "device_off"
                events.append(
                    TwinEvent(when.get(d, t0), kind, f"device/{self._names[d]}", {"reason": reason})
                )
        self._running = running
        self._switch_prev = switch
        return events
