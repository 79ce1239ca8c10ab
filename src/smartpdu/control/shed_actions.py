"""Apply the load shedder to one PDU: scope loads in, sheds/restores and level events out.

:class:`~smartpdu.control.shedding.LoadShedder` decides (pure state machine); this module feeds
it the PDU's feed, phase and branch loads and the outlets that may be shed, switches the outlets
it picks and words the events.
"""

from __future__ import annotations

from smartpdu.control.actuation import Actuator
from smartpdu.control.devices import DeviceInputs, Powered
from smartpdu.control.evidence import SYSTEM_ACTOR, action_event, measured_evidence
from smartpdu.control.settings import SheddingSettings
from smartpdu.control.shedding import LevelChange, ScopeLoad, ShedCandidate
from smartpdu.control.state import PduState, TickWork
from smartpdu.events.codes import EventCode, Severity
from smartpdu.events.model import Action, NewEvent
from smartpdu.model.snapshot import PduSnapshot
from smartpdu.protection.lockout import hold_active

__all__ = ["ShedActions", "scope_loads"]

_E = EventCode


def scope_loads(pdu: PduState, ps: PduSnapshot) -> list[ScopeLoad]:
    """Feed (VA), phase (A) and closed-branch (A) loads of one PDU against their ratings."""
    loads: list[ScopeLoad] = []
    c = pdu.cfg
    everyone = tuple(pdu.outlets)
    limit_va = c.phases * c.nominal_voltage_v * c.inlet_rating_a
    loads.append(
        ScopeLoad(
            f"feed/{c.feed}", _E.FEED_OVERLOAD, ps.inlet.apparent_va, limit_va, "VA", everyone
        )
    )
    by_line, by_branch = _members(pdu)
    for line, r in ps.inlet.phases.items():
        members = by_line.get(line, ())
        loads.append(
            ScopeLoad(f"phase/{line}", _E.PHASE_OVERLOAD, r.i_rms_a, c.inlet_rating_a, "A", members)
        )
    for bid, b in ps.branches.items():
        if b.breaker_state == "tripped":
            continue
        members = by_branch.get(bid, ())
        loads.append(
            ScopeLoad(
                f"branch/{bid}", _E.BRANCH_OVERLOAD, b.reading.i_rms_a, b.rating_a, "A", members
            )
        )
    return loads


def _members(pdu: PduState) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """Outlet ids per phase and per branch, kept until the PDU's configuration is replaced
    (``ControlPlane.update_config`` swaps ``pdu.cfg`` together with the outlets' ``cfg``)."""
    cached = pdu.scope_members
    if cached is not None and cached[0] is pdu.cfg:
        return cached[1], cached[2]
    by_line: dict[str, list[str]] = {}
    by_branch: dict[str, list[str]] = {}
    for o in pdu.outlets.values():  # one pass, not one per phase and branch
        by_line.setdefault(o.line, []).append(o.cfg.id)
        by_branch.setdefault(o.cfg.branch, []).append(o.cfg.id)
    lines = {k: tuple(v) for k, v in by_line.items()}
    branches = {k: tuple(v) for k, v in by_branch.items()}
    pdu.scope_members = (pdu.cfg, lines, branches)
    return lines, branches


class ShedActions:
    """Run one shedding step per PDU and carry out its decisions."""

    def __init__(
        self, settings: SheddingSettings, actuator: Actuator, devices: DeviceInputs
    ) -> None:
        self.settings = settings
        self._act = actuator
        self.devices = devices

    def step(
        self, tk: TickWork, pdu: PduState, ps: PduSnapshot, feed_loss: bool, powered: Powered
    ) -> None:
        """One shedding step; ``powered(pdu, outlet)`` says which outlets of the rack deliver
        power now (to know a device's last powered input)."""
        loads = scope_loads(pdu, ps)
        listed: list[ShedCandidate] | None = None

        def candidates() -> list[ShedCandidate]:
            # listed only when a scope is due or a decision needs evidence: the state read here
            # (relays, holds, powered inputs) is not changed by the shedder's own step
            nonlocal listed
            if listed is None:
                listed = []
                for oid, o in pdu.outlets.items():
                    os_ = ps.outlets.get(oid)
                    if os_ is None or not o.relay_on or hold_active(o.hold, tk.t_s):
                        continue
                    last = self.devices.last_input_of(pdu.cfg.id, oid, powered)
                    r = os_.reading
                    listed.append(ShedCandidate(oid, str(o.cfg.priority), r.i_rms_a, r.s_va, last))
            return listed

        changes, decisions = pdu.shedder.step(
            loads, candidates, t_s=tk.t_s, dt_s=tk.dt_s, feed_loss=feed_loss
        )
        by_id = {c.outlet_id: c for c in candidates()} if decisions else {}
        for ch in changes:
            tk.events.append(self._level_event(pdu, ch))
        for d in decisions:
            o = pdu.outlets[d.outlet_id]
            ev = {
                **measured_evidence(d),
                "scope": d.scope_key,
                "outlet_load": d.load,
                "priority": str(o.cfg.priority),
            }
            cand = by_id.get(d.outlet_id)
            if cand is not None and cand.last_input_of is not None:
                ev["last_input_of"] = cand.last_input_of
            if d.restore:
                if hold_active(o.hold, tk.t_s):
                    continue
                pdu.sequencer.request(d.outlet_id, tk.t_s, "shed_restore")
                tk.events.append(
                    action_event(
                        o.pdu_id,
                        o.source,
                        _E.OUTLET_RESTORED,
                        f"outlet {d.outlet_id} restored: {d.scope_key} stays below "
                        f"{self.settings.restore_pct:g} % with its load",
                        action=Action.RESTORE,
                        reason_code=d.reason_code,
                        evidence=ev,
                    )
                )
            else:
                self._act.drive(tk, o, False, "shed", None, SYSTEM_ACTOR)
                tk.events.append(
                    action_event(
                        o.pdu_id,
                        o.source,
                        _E.OUTLET_SHED,
                        f"outlet {d.outlet_id} ({o.cfg.priority}) shed: {d.scope_key} at "
                        f"{d.value:.1f} {d.unit} > planning limit {d.limit:.1f} {d.unit}",
                        action=Action.SHED,
                        reason_code=d.reason_code,
                        evidence=ev,
                    )
                )

    def _level_event(self, pdu: PduState, ch: LevelChange) -> NewEvent:
        s = ch.scope
        sev = {"ok": Severity.INFO, "warning": Severity.WARNING, "critical": Severity.CRITICAL}[
            ch.level
        ]
        rising = ch.level == "critical" or (ch.level == "warning" and ch.previous == "ok")
        limit = s.limit * (self.settings.planning_pct / 100 if ch.level == "warning" else 1.0)
        return action_event(
            pdu.cfg.id,
            s.key,
            s.event_code,
            f"{s.key} at {s.pct:.0f} % of its rating ({s.value:.1f} {s.unit}): {ch.level}",
            action=Action.ALARM if rising else Action.CLEAR,
            reason_code=f"{s.key.split('/')[0]}_{ch.level}",
            severity=sev,
            evidence={
                "value": s.value,
                "limit": limit,
                "unit": s.unit,
                "pct": s.pct,
                "previous": ch.previous,
                "window_s": 0.0,
                "peak": s.value,
            },
        )
