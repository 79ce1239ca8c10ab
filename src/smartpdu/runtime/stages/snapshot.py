"""Snapshot stage: assemble the immutable display snapshot of the window.

Relay intent, lockouts and trip risk are the control plane's state *before* this window's
decisions; the decide stage overlays its own outcome afterwards (see :mod:`.decide`), so the
published snapshot has no one-tick lag.
"""

from __future__ import annotations

from smartpdu.control import ControlPlane
from smartpdu.events.model import format_timestamp
from smartpdu.runtime.assemble import PduWindow, build_rack_snapshot
from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame

__all__ = ["SnapshotStage"]


class SnapshotStage(StageBase):
    name = "snapshot"
    phase = Phase.DERIVE

    def __init__(self, control: ControlPlane) -> None:
        self._control = control

    def run(self, frame: TickFrame) -> None:
        control = self._control
        windows = [
            PduWindow(
                config=pf.config,
                block=pf.block,
                metrics=(m := pf.require_metered()).metrics,
                channels=m.channels,
                status=pf.status,
                energy=pf.energy,
                commanded_on=control.commanded_states(pdu_id),
                locked_out=frozenset(control.locked_out(pdu_id)),
                demand=pf.demand,
            )
            for pdu_id, pf in frame.pdus.items()
        ]
        frame.snapshot = build_rack_snapshot(
            frame.config,
            frame.tick,
            format_timestamp(frame.now_utc),
            frame.acquisition,
            windows,
            control.trip_risk_pct(),
        )
