"""Decide stage: the control plane's tick (or power-up on the first window), relays driven, and
this window's decisions overlaid on the snapshot.

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
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from smartpdu.control import ControlPlane
from smartpdu.hardware import RackHardware
from smartpdu.metering import BlockMetrics, flag_tuple
from smartpdu.model.snapshot import BranchSnapshot, OutletSnapshot, PduSnapshot, RackSnapshot
from smartpdu.protection.classify import MeteredCurrent
from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame

__all__ = ["DecideStage", "metered_outlets", "overlay_decisions"]

log = logging.getLogger(__name__)


class DecideStage(StageBase):
    name = "decide"
    phase = Phase.DECIDE

    def __init__(
        self, control: ControlPlane, hardware: RackHardware, lock: threading.RLock
    ) -> None:
        self._control = control
        self._hw = hardware
        self._lock = lock

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
            for rc in out.relay_commands:
                try:
                    self._hw.set_outlet(rc.pdu_id, rc.outlet_id, rc.on)
                except Exception:  # one bad relay must not stop the others or the tick
                    log.exception("relay command failed: %s", rc)
            frame.snapshot = overlay_decisions(snapshot, self._control)
        frame.relay_commands.extend(out.relay_commands)
        frame.events.extend(out.events)
        frame.completed.extend(out.completed)


def metered_outlets(metered: BlockMetrics) -> dict[str, MeteredCurrent]:
    """Each outlet's current as metered (NaN kept) with its quality flag names, by outlet id."""
    m = metered.metrics
    idx, oids = _outlet_rows(metered.channels)
    i_rms = m.i_rms_a[idx].tolist()
    i_peak = m.i_peak_a[idx].tolist()
    flags = m.flags[idx].tolist()
    return {
        oid: MeteredCurrent(i, pk, flag_tuple(f))
        for oid, i, pk, f in zip(oids, i_rms, i_peak, flags, strict=True)
    }


@lru_cache(maxsize=16)
def _outlet_rows(channels: tuple[str, ...]) -> tuple[npt.NDArray[np.intp], tuple[str, ...]]:
    """Rows of the outlet channels and their outlet ids (the layout is the same every window)."""
    rows = [(k, ch[7:]) for k, ch in enumerate(channels) if ch.startswith("outlet/")]
    return np.array([k for k, _ in rows], dtype=np.intp), tuple(oid for _, oid in rows)


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
