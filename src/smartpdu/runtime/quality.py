"""Measurement plausibility over time: power-hierarchy sums and ghost power, as events.

The pure checks live in :mod:`smartpdu.metering.consistency`; this module runs them on snapshots
once per second and turns persistent findings into ``METERING_MISMATCH`` / ``GHOST_POWER`` events
(raised after ``confirm`` consecutive failing checks, re-armed after as many passing ones), so a
single noisy window never alarms and a real fault alarms once, not every second.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smartpdu.events import Action, NewEvent
from smartpdu.metering import Finding, check_hierarchy, ghost_power
from smartpdu.model.snapshot import PduSnapshot, RackSnapshot

__all__ = ["MeteringWatch", "pdu_findings"]


def pdu_findings(pdu: PduSnapshot) -> list[Finding]:
    """Every hierarchy mismatch and ghost-power finding of one PDU snapshot."""
    outlets = {f"outlet/{o.id}": o.reading.p_w for o in pdu.outlets.values()}
    branches = {f"branch/{b.id}": b.reading.p_w for b in pdu.branches.values()}
    phases = {f"phase/{ln}": r.p_w for ln, r in pdu.inlet.phases.items()}
    found = check_hierarchy(
        branches, outlets, {f"outlet/{o.id}": f"branch/{o.branch}" for o in pdu.outlets.values()}
    )
    found += check_hierarchy(
        phases, branches, {f"branch/{b.id}": f"phase/{b.line}" for b in pdu.branches.values()}
    )
    found += ghost_power(
        {o.id: o.reading.p_w for o in pdu.outlets.values()},
        {o.id: o.relay_closed for o in pdu.outlets.values()},
    )
    return found


@dataclass(slots=True)
class MeteringWatch:
    confirm: int = 3
    interval_ticks: int = 5
    _fail: dict[tuple[str, str, str], int] = field(default_factory=dict)
    _ok: dict[tuple[str, str, str], int] = field(default_factory=dict)
    _raised: set[tuple[str, str, str]] = field(default_factory=set)

    def observe(self, snap: RackSnapshot, *, window_s: float) -> list[NewEvent]:
        """Drafts for findings confirmed on this check (``window_s``: one tick's length)."""
        if snap.tick % self.interval_ticks:
            return []
        out: list[NewEvent] = []
        seen: set[tuple[str, str, str]] = set()
        for pdu in snap.pdus.values():
            if not pdu.inlet.feed_present:
                continue  # nothing to compare while the PDU is dead
            for f in pdu_findings(pdu):
                key = (pdu.id, f.kind, f.source)
                seen.add(key)
                self._ok.pop(key, None)
                self._fail[key] = self._fail.get(key, 0) + 1
                if self._fail[key] >= self.confirm and key not in self._raised:
                    self._raised.add(key)
                    out.append(_event(pdu.id, f, self.confirm * self.interval_ticks * window_s))
        for key in list(self._fail):
            if key in seen:
                continue
            self._ok[key] = self._ok.get(key, 0) + 1
            if self._ok[key] >= self.confirm:
                self._fail.pop(key, None)
                self._ok.pop(key, None)
                self._raised.discard(key)
        return out


def _event(pdu_id: str, f: Finding, window_s: float) -> NewEvent:
    ghost = f.kind == "ghost_power"
    what = (
        f"{f.source} shows {f.measured_w:.1f} W while switched off"
        if ghost
        else f"{f.source} measures {f.measured_w:.1f} W but its parts sum to {f.expected_w:.1f} W"
    )
    return NewEvent(
        pdu_id=pdu_id,
        source=f.source,
        event_code="GHOST_POWER" if ghost else "METERING_MISMATCH",
        message=what,
        action_taken=Action.NOTIFY,
        reason_code="POWER_ON_OPEN_RELAY" if ghost else "HIERARCHY_SUM_MISMATCH",
        evidence={
            "value": round(f.measured_w, 3),
            "expected": round(f.expected_w, 3),
            "limit": round(f.tolerance_w, 3),
            "unit": "W",
            "window_s": window_s,
        },
    )
