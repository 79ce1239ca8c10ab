"""Decide stage: the control plane's tick (or power-up on the first window), relays driven, and
this window's decisions overlaid on the snapshot.

Command intents and command-driven relay steps (``TickOutput.journal_events``) are committed
to the event log *before* the relays are driven, so a crash never leaves a relay move that no
event explains.

Control reads the outlets' currents as the meter produced them — NaN is "no value", quality
flags attached (:class:`~smartpdu.protection.classify.MeteredCurrent`) — not the display values
where NaN became 0. After the decisions, relay intent, lockouts and trip risk are overlaid on the
snapshot (only where they changed, so a quiet tick copies nothing): what is published is what
was decided in the same window.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from smartpdu.control import ControlPlane
from smartpdu.control.currents import OutletCurrents
from smartpdu.events import EventLog
from smartpdu.hardware import RackHardware
from smartpdu.metering import BlockMetrics
from smartpdu.model.snapshot import BranchSnapshot, OutletSnapshot, PduSnapshot, RackSnapshot
from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame

__all__ = ["DecideStage", "metered_outlets", "overlay_decisions"]

log = logging.getLogger(__name__)


class DecideStage(StageBase):
    name = "decide"
    phase = Phase.DECIDE

    def __init__(
        self,
        control: ControlPlane,
        hardware: RackHardware,
        lock: threading.RLock,
        events: EventLog | None = None,
    ) -> None:
        self._control = control
        self._hw = hardware
        self._lock = lock
        self._events = events

    def run(self, frame: TickFrame) -> None:
        snapshot = frame.require_snapshot()
        metered = {
            pdu_id: metered_outlets(pf.require_metered()) for pdu_id, pf in frame.pdus.items()
        }
        with self._lock:
            if frame.first:
                out = self._control.on_start(snapshot, metered, frame.t_s, window_s=frame.window_s)
            else:
                out = self._control.on_tick(snapshot, metered)
            if out.journal_events:  # intents and steps are on disk before any relay moves
                if self._events is None:
                    frame.events.extend(out.journal_events)
                else:
                    frame.sealed.extend(self._events.append_many(out.journal_events))
            for rc in out.relay_commands:
                try:
                    self._hw.set_outlet(rc.pdu_id, rc.outlet_id, rc.on)
                except Exception:  # one bad relay must not stop the others or the tick
                    log.exception("relay command failed: %s", rc)
            frame.snapshot = overlay_decisions(snapshot, self._control)
        frame.relay_commands.extend(out.relay_commands)
        frame.events.extend(out.events)
        frame.completed.extend(out.completed)


def metered_outlets(metered: BlockMetrics) -> OutletCurrents:
    """Each outlet's current as metered (NaN kept) with its quality flags, by outlet id: the
    meter's outlet rows as arrays (a ``MeteredCurrent`` is built only for an id looked up)."""
    m = metered.metrics
    rows = _OUTLET_ROWS.get(metered.channels)
    if rows is None:  # the layout is the same every window: find the outlet rows once
        if len(_OUTLET_ROWS) >= 64:
            _OUTLET_ROWS.clear()
        found = [(k, ch[7:]) for k, ch in enumerate(metered.channels) if ch.startswith("outlet/")]
        rows = _OUTLET_ROWS[metered.channels] = (
            np.array([k for k, _ in found], dtype=np.intp),
            tuple(o for _, o in found),
        )
    idx, oids = rows
    return OutletCurrents(oids, m.i_rms_a[idx], m.i_peak_a[idx], m.flags[idx])


_OUTLET_ROWS: dict[tuple[str, ...], tuple[npt.NDArray[np.intp], tuple[str, ...]]] = {}
"""Outlet rows and ids by channel layout (a handful of layouts per process)."""


def overlay_decisions(snap: RackSnapshot, control: ControlPlane) -> RackSnapshot:
    """``snap`` with this window's relay intent, lockouts and branch trip risk (copy on change)."""
    risk = control.trip_risk_pct()
    changed: dict[str, PduSnapshot] = {}
    for pdu_id, ps in snap.pdus.items():
        commanded = control.commanded_states(pdu_id)
        locked = set(control.locked_out(pdu_id))
        outlets: dict[str, OutletSnapshot] | None = None
        for oid, o in ps.outlets.items():
            on = commanded.get(oid, o.relay_closed)
            lo = oid in locked
            if on != o.commanded_on or lo != o.locked_out:
                outlets = outlets if outlets is not None else dict(ps.outlets)
                outlets[oid] = replace(o, commanded_on=on, locked_out=lo)
        branches: dict[str, BranchSnapshot] | None = None
        for bid, b in ps.branches.items():
            r = risk.get(f"{pdu_id}/branch/{bid}")
            if r != b.trip_risk_pct:
                branches = branches if branches is not None else dict(ps.branches)
                branches[bid] = replace(b, trip_risk_pct=r)
        if outlets is not None or branches is not None:
            changed[pdu_id] = replace(
                ps,
                outlets=ps.outlets if outlets is None else outlets,
                branches=ps.branches if branches is None else branches,
            )
    return replace(snap, pdus={**snap.pdus, **changed}) if changed else snap
