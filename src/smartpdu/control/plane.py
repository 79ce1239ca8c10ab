"""The control plane: commands, sequencing, shedding and protection, one snapshot at a time.

The runtime calls :meth:`ControlPlane.on_tick` once per window with the new snapshot and applies
the returned relay commands for the next window; everything else here is plain data and typed
state, no I/O except the small key/value store for last commanded states and holds::

    on_tick: verify actuations → commands in → feed transitions → breakers → outlet classes
             → shedding → retries → sequenced switch-ons → completed commands
"""

from __future__ import annotations

import json
import uuid
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

from smartpdu.config import PduConfig, RackConfig
from smartpdu.config.models import OutletConfig, PowerUpState
from smartpdu.control.commands import CommandLedger, OpPhase, OutletOp, PendingCommand, aggregate
from smartpdu.control.evidence import SYSTEM_ACTOR, action_event
from smartpdu.control.sequencer import PowerOnSequencer
from smartpdu.control.settings import ControlSettings
from smartpdu.control.shedding import LevelChange, LoadShedder, ScopeLoad, ShedCandidate
from smartpdu.control.types import CommandTicket, RelayCommand, TickOutput, as_kv
from smartpdu.events.codes import EventCode, Severity
from smartpdu.events.model import Action, NewEvent
from smartpdu.protection.breaker_watch import BreakerWatch, breaker_spec, inlet_spec
from smartpdu.protection.classify import (
    ChannelSample,
    Finding,
    FindingKind,
    OutletProtectionState,
    classify_outlet,
)
from smartpdu.protection.lockout import (
    OutletHold,
    acknowledge_hold,
    hold_active,
    record_trip,
    retry_due,
)
from smartpdu.runtime.services import (
    CommandResult,
    CommandStatus,
    OutletAction,
    OutletCommand,
    OutletOutcome,
)
from smartpdu.runtime.snapshot import OutletSnapshot, PduSnapshot, RackSnapshot

__all__ = ["ControlPlane"]

_E = EventCode


@dataclass(slots=True)
class _Actuation:
    on: bool
    issued_tick: int
    reason_code: str
    command_id: str | None
    actor: str | None
    windows: int = 0


@dataclass(slots=True)
class _Outlet:
    pdu_id: str
    cfg: OutletConfig
    line: str
    relay_on: bool | None = None
    last_load_a: float = 0.0
    protection: OutletProtectionState = field(default_factory=OutletProtectionState)
    hold: OutletHold | None = None
    actuation: _Actuation | None = None
    owner: str | None = None
    """command_id of the command currently driving this outlet."""
    restore_after_feed: bool = False
    history: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=25))

    @property
    def source(self) -> str:
        return f"outlet/{self.cfg.id}"


@dataclass(slots=True)
class _Pdu:
    cfg: PduConfig
    sequencer: PowerOnSequencer
    shedder: LoadShedder
    branches: dict[str, BreakerWatch]
    inlet: BreakerWatch
    outlets: dict[str, _Outlet]
    feed_present: bool | None = None


@dataclass(slots=True)
class _Tick:
    tick: int
    t_s: float
    dt_s: float
    relays: dict[tuple[str, str], RelayCommand] = field(default_factory=dict)
    events: list[NewEvent] = field(default_factory=list)
    completed: list[CommandResult] = field(default_factory=list)


class ControlPlane:
    """Owns every outlet decision of one rack; see the module docstring for the tick order."""

    def __init__(
        self, config: RackConfig, *, kv: Any = None, settings: ControlSettings | None = None
    ) -> None:
        self.config = config
        self.settings = settings or ControlSettings()
        self._kv = as_kv(kv)
        self._ledger = CommandLedger()
        self._inbox: list[PendingCommand] = []
        self._outbox: list[NewEvent] = []
        self._last: RackSnapshot | None = None
        self._t_s: float | None = None
        self._pdus: dict[str, _Pdu] = {}
        for p in config.pdus:
            branch_line = {b.id: b.line for b in p.branches}
            lsi = None if p.inlet_breaker is None else p.inlet_breaker.model_dump()
            self._pdus[p.id] = _Pdu(
                cfg=p,
                sequencer=PowerOnSequencer(p.sequencing.inrush_guard_delay_s),
                shedder=LoadShedder(self.settings.shedding),
                branches={
                    b.id: BreakerWatch(
                        breaker_spec(
                            b.breaker.kind,
                            b.breaker.curve,
                            b.breaker.rating_a,
                            residual_ma=b.breaker.residual_ma,
                        ),
                        b.breaker.rating_a,
                        self.settings.trip_risk,
                    )
                    for b in p.branches
                },
                inlet=BreakerWatch(
                    inlet_spec(p.inlet_rating_a, lsi), p.inlet_rating_a, self.settings.trip_risk
                ),
                outlets={
                    o.id: _Outlet(p.id, o, branch_line[o.branch], hold=self._load_hold(p.id, o.id))
                    for o in p.outlets
                },
            )

    # ----------------------------------------------------------------- persistence
    def _key(self, pdu_id: str, outlet_id: str, what: str) -> str:
        return f"control/{pdu_id}/outlet/{outlet_id}/{what}"

    def _load_hold(self, pdu_id: str, outlet_id: str) -> OutletHold | None:
        raw = self._kv.get(self._key(pdu_id, outlet_id, "hold"))
        if not raw:
            return None
        d = json.loads(raw)
        return OutletHold(
            d["reason_code"],
            d["since_s"],
            d["latched"],
            d["cooldown_until_s"],
            tuple(d["trips_s"]),
            d.get("acknowledged", False),
            d.get("retried", False),
        )

    def _save_hold(self, o: _Outlet) -> None:
        h = o.hold
        value = (
            ""
            if h is None
            else json.dumps(
                {
                    "reason_code": h.reason_code,
                    "since_s": h.since_s,
                    "latched": h.latched,
                    "cooldown_until_s": h.cooldown_until_s,
                    "trips_s": list(h.trips_s),
                    "acknowledged": h.acknowledged,
                    "retried": h.retried,
                }
            )
        )
        self._kv.set(self._key(o.pdu_id, o.cfg.id, "hold"), value)

    def _save_intent(self, pdu_id: str, outlet_id: str, on: bool) -> None:
        self._kv.set(self._key(pdu_id, outlet_id, "commanded"), "on" if on else "off")

    def last_commanded(self, pdu_id: str, outlet_id: str) -> bool | None:
        raw = self._kv.get(self._key(pdu_id, outlet_id, "commanded"))
        return None if raw is None else raw == "on"

    # ----------------------------------------------------------------- queries
    def hold(self, pdu_id: str, outlet_id: str) -> OutletHold | None:
        return self._pdus[pdu_id].outlets[outlet_id].hold

    def is_locked_out(self, pdu_id: str, outlet_id: str) -> bool:
        """True while protection holds the outlet off (for the snapshot's ``locked_out``)."""
        o = self._pdus[pdu_id].outlets[outlet_id]
        return hold_active(o.hold, self._t_s or 0.0)

    def is_shed(self, pdu_id: str, outlet_id: str) -> bool:
        return self._pdus[pdu_id].shedder.is_shed(outlet_id)

    def commanded_states(self, pdu_id: str) -> dict[str, bool]:
        """Relay state the controller last asked for, per outlet (for the snapshot)."""
        pdu = self._pdus.get(pdu_id)
        if pdu is None:
            return {}
        return {oid: bool(o.relay_on) for oid, o in pdu.outlets.items() if o.relay_on is not None}

    def locked_out(self, pdu_id: str) -> list[str]:
        """Outlets protection holds off right now (for the snapshot's ``locked_out``)."""
        pdu = self._pdus.get(pdu_id)
        t = self._t_s or 0.0
        return [] if pdu is None else [i for i, o in pdu.outlets.items() if hold_active(o.hold, t)]

    def trip_risk_pct(self) -> dict[str, float]:
        """Thermal trip-curve position per breaker: ``<pdu>/branch/<id>`` and ``<pdu>/inlet``."""
        out: dict[str, float] = {}
        for pid, pdu in self._pdus.items():
            for bid, w in pdu.branches.items():
                out[f"{pid}/branch/{bid}"] = round(w.last_position_pct, 2)
            out[f"{pid}/inlet"] = round(pdu.inlet.last_position_pct, 2)
        return out

    def update_config(self, config: RackConfig) -> None:
        """Take new outlet settings (priority, delays, power-up, guard); same topology."""
        self.config = config
        for p in config.pdus:
            pdu = self._pdus.get(p.id)
            if pdu is None:
                continue
            pdu.cfg = p
            pdu.sequencer.guard_s = p.sequencing.inrush_guard_delay_s
            for oc in p.outlets:
                if oc.id in pdu.outlets:
                    pdu.outlets[oc.id].cfg = oc

    # ----------------------------------------------------------------- commands
    def submit(self, command: OutletCommand, t_s: float) -> CommandTicket:
        """Accept a command; duplicates, rejections, denials and lockouts are answered at once."""
        cid = command.command_id or f"cmd-{uuid.uuid4().hex}"
        if self._ledger.known(cid):
            return CommandTicket(cid, self._ledger.result(cid))
        immediate = self._screen(command, cid, t_s)
        if immediate is not None:
            self._ledger.finish(immediate)
            return CommandTicket(cid, immediate)
        off = command.off_period_s
        ops = {oid: OutletOp(oid, command.action, OpPhase.QUEUED) for oid in command.outlet_ids}
        pending = PendingCommand(
            command, cid, ops, self.settings.cycle_off_s if off is None else off
        )
        self._ledger.pending[cid] = pending
        self._inbox.append(pending)
        for oid in command.outlet_ids:
            self._save_intent(command.pdu_id, oid, command.action is not OutletAction.OFF)
        return CommandTicket(cid, None)

    def _screen(self, c: OutletCommand, cid: str, t_s: float) -> CommandResult | None:
        def reject(detail: str) -> CommandResult:
            return CommandResult(cid, CommandStatus.REJECTED, detail=detail)

        pdu = self._pdus.get(c.pdu_id)
        if pdu is None:
            return reject(f"unknown PDU {c.pdu_id!r}; known: {', '.join(self._pdus)}")
        if not c.outlet_ids:
            return reject("no outlet given")
        unknown = [o for o in c.outlet_ids if o not in pdu.outlets]
        if unknown:
            return reject(f"unknown outlet(s) {', '.join(unknown)} on PDU {c.pdu_id!r}")
        if len(set(c.outlet_ids)) != len(c.outlet_ids):
            return reject("an outlet is listed twice")
        if c.off_period_s is not None and not 0.0 <= c.off_period_s <= 3600.0:
            return reject(f"off_period_s must be in [0, 3600] s, got {c.off_period_s}")
        source = f"outlet/{c.outlet_ids[0]}" if len(c.outlet_ids) == 1 else "outlet/group"
        if c.actor in self.settings.denied_actors:
            self._outbox.append(
                action_event(
                    c.pdu_id,
                    source,
                    _E.OUTLET_COMMAND_DENIED,
                    f"{c.action} refused: actor {c.actor} is not allowed to switch outlets",
                    action=Action.DENY,
                    reason_code="actor_denied",
                    evidence={"outlets": ",".join(c.outlet_ids), "interface": c.interface},
                    actor=c.actor,
                    command_id=cid,
                )
            )
            return CommandResult(cid, CommandStatus.DENIED, detail=f"actor {c.actor} denied")
        if c.action is OutletAction.OFF:
            return None
        held = [o for o in c.outlet_ids if hold_active(pdu.outlets[o].hold, t_s)]
        if not held:
            return None
        outcomes = []
        for oid in c.outlet_ids:
            h = pdu.outlets[oid].hold
            if oid in held and h is not None:
                why = (
                    "latched until acknowledged"
                    if h.latched and not h.acknowledged
                    else (f"cooling down until t={h.cooldown_until_s:.1f} s")
                )
                outcomes.append(
                    OutletOutcome(
                        oid,
                        CommandStatus.LOCKED_OUT,
                        f"{h.reason_code}: {why}",
                        _E.OUTLET_LOCKED_OUT,
                    )
                )
                self._outbox.append(
                    action_event(
                        c.pdu_id,
                        f"outlet/{oid}",
                        _E.OUTLET_LOCKED_OUT,
                        f"outlet {oid} stays off: protection hold ({h.reason_code}), {why}",
                        action=Action.NONE,
                        reason_code=h.reason_code,
                        evidence={
                            "latched": h.latched,
                            "acknowledged": h.acknowledged,
                            "cooldown_until_s": h.cooldown_until_s,
                            "trips": len(h.trips_s),
                        },
                        actor=c.actor,
                        command_id=cid,
                    )
                )
            else:
                outcomes.append(
                    OutletOutcome(oid, CommandStatus.LOCKED_OUT, "not executed: group locked out")
                )
        return CommandResult(
            cid,
            CommandStatus.LOCKED_OUT,
            tuple(outcomes),
            f"outlet(s) {', '.join(held)} held off by protection; acknowledge the trip first",
        )

    def acknowledge(self, pdu_id: str, outlet_id: str, actor: str) -> NewEvent:
        """Release a trip-cause latch (the outlet stays off until someone switches it on)."""
        o = self._pdus[pdu_id].outlets[outlet_id]
        h = o.hold
        if h is None:
            return action_event(
                pdu_id,
                o.source,
                _E.ALARM_ACKNOWLEDGED,
                f"outlet {outlet_id} had no hold",
                action=Action.ACK,
                reason_code="no_hold",
                evidence={"held": False},
                actor=actor,
            )
        o.hold = acknowledge_hold(h)
        self._save_hold(o)
        return action_event(
            pdu_id,
            o.source,
            _E.ALARM_ACKNOWLEDGED,
            f"trip hold of outlet {outlet_id} ({h.reason_code}) acknowledged by {actor}",
            action=Action.UNLOCK,
            reason_code=h.reason_code,
            evidence={
                "latched": h.latched,
                "since_s": h.since_s,
                "cooldown_until_s": h.cooldown_until_s,
                "trips": len(h.trips_s),
            },
            actor=actor,
        )

    # ----------------------------------------------------------------- tick entry points
    def on_start(self, snapshot: RackSnapshot, acquisition: Any, t_s: float) -> TickOutput:
        """Apply each outlet's power-up state (on/off/last) after the PDU init delay."""
        tk = _Tick(snapshot.tick, t_s, self.settings.window_s)
        self._t_s = t_s
        for pid, pdu in self._pdus.items():
            ps = snapshot.pdus.get(pid)
            if ps is None:
                continue
            pdu.feed_present = ps.inlet.feed_present
            seq = pdu.cfg.sequencing
            for oid, o in pdu.outlets.items():
                os_ = ps.outlets.get(oid)
                closed = bool(os_ and os_.relay_closed)
                mode = o.cfg.power_up_state
                want: bool | None
                if mode is PowerUpState.ON:
                    want = True
                elif mode is PowerUpState.OFF:
                    want = False
                else:
                    want = self.last_commanded(pid, oid)
                    want = closed if want is None else want
                if hold_active(o.hold, t_s):
                    want = False
                o.relay_on = closed
                if want and not closed:
                    pdu.sequencer.request(
                        oid, t_s + seq.init_delay_s + o.cfg.power_on_delay_s, "power_up"
                    )
                elif not want and closed:
                    self._drive(tk, o, False, "power_up_state", None, SYSTEM_ACTOR)
        self._last = snapshot
        return TickOutput(list(tk.relays.values()), tk.events, tk.completed)

    def on_tick(self, snapshot: RackSnapshot, acquisition: Any = None) -> TickOutput:
        t_s = snapshot.t_s
        dt = self.settings.window_s if self._t_s is None else max(t_s - self._t_s, 1e-3)
        if self._t_s is not None and t_s <= self._t_s:
            dt = self.settings.window_s
        self._t_s = t_s
        tk = _Tick(snapshot.tick, t_s, dt)
        tk.events.extend(self._outbox)
        self._outbox.clear()
        feed_loss = any(not p.inlet.feed_present for p in snapshot.pdus.values())
        for pid, pdu in self._pdus.items():
            ps = snapshot.pdus.get(pid)
            if ps is None:
                continue
            self._verify(tk, pdu, ps)
            self._cycle_waits(tk, pdu)
        self._take_inbox(tk, snapshot)
        for pid, pdu in self._pdus.items():
            ps = snapshot.pdus.get(pid)
            if ps is None:
                continue
            self._feed(tk, pdu, ps)
            if self.settings.protection_enabled:
                self._breakers(tk, pdu, ps)
                self._classify(tk, pdu, ps)
            self._shed(tk, pdu, ps, feed_loss and ps.inlet.feed_present)
            self._retries(tk, pdu)
            self._release(tk, pdu, ps)
        self._complete(tk)
        self._last = snapshot
        return TickOutput(list(tk.relays.values()), tk.events, tk.completed)

    # ----------------------------------------------------------------- actuation
    def _drive(
        self, tk: _Tick, o: _Outlet, on: bool, reason: str, cid: str | None, actor: str | None
    ) -> None:
        if o.owner is not None and o.owner != cid:
            self._finish_op(o, OpPhase.FAILED, f"superseded: {reason}")
        if cid is None:
            o.owner = None
        o.relay_on = on
        o.actuation = _Actuation(on, tk.tick, reason, cid, actor)
        tk.relays[(o.pdu_id, o.cfg.id)] = RelayCommand(o.pdu_id, o.cfg.id, on)

    def _op(self, o: _Outlet) -> OutletOp | None:
        if o.owner is None:
            return None
        pending = self._ledger.pending.get(o.owner)
        return None if pending is None else pending.ops.get(o.cfg.id)

    def _finish_op(self, o: _Outlet, phase: OpPhase, detail: str, code: str | None = None) -> None:
        op = self._op(o)
        if op is not None and not op.final:
            op.finish(phase, detail, code)
        o.owner = None

    def _verify(self, tk: _Tick, pdu: _Pdu, ps: PduSnapshot) -> None:
        vs = self.settings.verify
        for oid, o in pdu.outlets.items():
            os_ = ps.outlets.get(oid)
            if os_ is None:
                continue
            i = os_.reading.i_rms_a
            a = o.actuation
            if a is not None and tk.tick > a.issued_tick:
                a.windows += 1
                ok, why = self._check(pdu, ps, o, os_, a)
                if ok:
                    o.actuation = None
                    self._verified(tk, o, os_, a)
                elif a.windows >= vs.windows:
                    o.actuation = None
                    self._stuck(tk, o, os_, a, why)
            o.history.append((i, os_.reading.i_peak_a))
            if os_.relay_closed and i > vs.on_current_a and o.actuation is None:
                o.last_load_a = i

    def _check(
        self, pdu: _Pdu, ps: PduSnapshot, o: _Outlet, os_: OutletSnapshot, a: _Actuation
    ) -> tuple[bool, str]:
        vs = self.settings.verify
        i = os_.reading.i_rms_a
        if not a.on:
            if os_.relay_closed:
                return False, "relay_welded"
            if i >= vs.off_current_a:
                return False, "current_with_relay_open"
            return True, ""
        if not os_.relay_closed:
            return False, "relay_not_closed"
        branch = ps.branches.get(o.cfg.branch)
        powered = ps.inlet.feed_present and (branch is None or branch.breaker_state != "tripped")
        if powered and o.last_load_a > vs.on_current_a and i < vs.on_current_a:
            return False, "no_current_load_expected"
        return True, ""

    def _verified(self, tk: _Tick, o: _Outlet, os_: OutletSnapshot, a: _Actuation) -> None:
        op = self._op(o) if a.command_id is not None and o.owner == a.command_id else None
        ev = {
            "relay_closed": os_.relay_closed,
            "value": os_.reading.i_rms_a,
            "unit": "A",
            "peak": os_.reading.i_peak_a,
            "window_s": a.windows * tk.dt_s,
        }
        if op is None:
            if a.reason_code in ("power_up", "feed_restore", "protection_retry"):
                tk.events.append(
                    action_event(
                        o.pdu_id,
                        o.source,
                        _E.OUTLET_ON,
                        f"outlet {o.cfg.id} on ({a.reason_code.replace('_', ' ')}), verified",
                        action=Action.SWITCH,
                        reason_code=a.reason_code,
                        evidence=ev,
                    )
                )
            return
        if op.action is OutletAction.CYCLE and op.phase is OpPhase.VERIFY_OFF:
            pending = self._ledger.pending[a.command_id or ""]
            op.phase = OpPhase.OFF_WAIT
            op.off_until_s = tk.t_s + pending.off_period_s
            return
        code = {
            OutletAction.ON: _E.OUTLET_ON,
            OutletAction.OFF: _E.OUTLET_OFF,
            OutletAction.CYCLE: _E.OUTLET_CYCLE,
        }[op.action]
        tk.events.append(
            action_event(
                o.pdu_id,
                o.source,
                code,
                f"outlet {o.cfg.id} {op.action}: verified",
                action=Action.SWITCH,
                reason_code="operator_command",
                evidence=ev,
                actor=a.actor,
                command_id=a.command_id,
            )
        )
        self._finish_op(o, OpPhase.DONE, "verified", str(code))

    def _stuck(self, tk: _Tick, o: _Outlet, os_: OutletSnapshot, a: _Actuation, why: str) -> None:
        vs = self.settings.verify
        code = _E.OUTLET_STUCK_OFF if a.on else _E.OUTLET_STUCK_ON
        limit = vs.on_current_a if a.on else vs.off_current_a
        text = (
            f"outlet {o.cfg.id} commanded {'on' if a.on else 'off'} ({a.reason_code}) but "
            f"relay feedback {'closed' if os_.relay_closed else 'open'}, "
            f"{os_.reading.i_rms_a:.2f} A after {a.windows} windows: {why.replace('_', ' ')}"
        )
        tk.events.append(
            action_event(
                o.pdu_id,
                o.source,
                code,
                text,
                action=Action.NONE,
                reason_code=why,
                evidence={
                    "value": os_.reading.i_rms_a,
                    "limit": limit,
                    "unit": "A",
                    "window_s": a.windows * tk.dt_s,
                    "peak": os_.reading.i_peak_a,
                    "relay_closed": os_.relay_closed,
                    "commanded_on": a.on,
                    "cause": a.reason_code,
                },
                actor=a.actor,
                command_id=a.command_id,
            )
        )
        if a.command_id is not None and o.owner == a.command_id:
            self._finish_op(o, OpPhase.FAILED, text, str(code))

    def _cycle_waits(self, tk: _Tick, pdu: _Pdu) -> None:
        for o in pdu.outlets.values():
            op = self._op(o)
            if op is not None and op.phase is OpPhase.OFF_WAIT and tk.t_s >= op.off_until_s - 1e-6:
                op.phase = OpPhase.QUEUED
                pdu.sequencer.request(o.cfg.id, tk.t_s, "command")

    def _take_inbox(self, tk: _Tick, snapshot: RackSnapshot) -> None:
        inbox, self._inbox = self._inbox, []
        for pending in inbox:
            c = pending.command
            pdu = self._pdus[c.pdu_id]
            ps = snapshot.pdus.get(c.pdu_id)
            bulk = len(c.outlet_ids) > 1
            for oid, op in pending.ops.items():
                o = pdu.outlets[oid]
                pdu.shedder.forget(oid)
                o.restore_after_feed = False
                pdu.sequencer.cancel(oid)
                if o.owner is not None:
                    self._finish_op(
                        o, OpPhase.FAILED, f"superseded by command {pending.command_id}"
                    )
                o.owner = pending.command_id
                if c.action is OutletAction.ON:
                    closed = bool(ps and oid in ps.outlets and ps.outlets[oid].relay_closed)
                    if closed and o.relay_on:
                        op.phase = OpPhase.VERIFY_ON
                        self._drive(tk, o, True, "command", pending.command_id, c.actor)
                    else:
                        delay = o.cfg.power_on_delay_s if bulk else 0.0
                        pdu.sequencer.request(oid, tk.t_s + delay, "command")
                else:
                    op.phase = OpPhase.VERIFY_OFF
                    self._drive(tk, o, False, "command", pending.command_id, c.actor)

    # ----------------------------------------------------------------- feed loss / restore
    def _feed(self, tk: _Tick, pdu: _Pdu, ps: PduSnapshot) -> None:
        present = ps.inlet.feed_present
        was = pdu.feed_present
        pdu.feed_present = present
        if was is None or was == present:
            return
        if not present and self.settings.open_relays_on_feed_loss:
            for oid, o in pdu.outlets.items():
                pdu.sequencer.cancel(oid)
                if o.relay_on:
                    o.restore_after_feed = True
                    self._drive(tk, o, False, "feed_lost_open_relay", None, SYSTEM_ACTOR)
                    tk.events.append(
                        action_event(
                            o.pdu_id,
                            o.source,
                            _E.OUTLET_OFF,
                            f"feed {ps.feed} lost: relay of outlet {oid} opened so that the "
                            "restore can be staggered",
                            action=Action.SWITCH,
                            reason_code="feed_lost_open_relay",
                            evidence={"feed_present": False, "value": 0.0, "unit": "A"},
                        )
                    )
        elif present:
            start = tk.t_s + pdu.cfg.sequencing.feed_restore_stagger_s
            for oid, o in pdu.outlets.items():
                if o.restore_after_feed:
                    o.restore_after_feed = False
                    if not hold_active(o.hold, tk.t_s):
                        pdu.sequencer.request(oid, start + o.cfg.power_on_delay_s, "feed_restore")

    # ----------------------------------------------------------------- breakers
    def _breakers(self, tk: _Tick, pdu: _Pdu, ps: PduSnapshot) -> None:
        for bid, watch in pdu.branches.items():
            b = ps.branches.get(bid)
            if b is None:
                continue
            members = [o for o in pdu.outlets.values() if o.cfg.branch == bid]
            self._watch(
                tk,
                pdu,
                watch,
                f"branch/{bid}",
                b.breaker_state,
                b.reading.i_rms_a,
                b.reading.i_peak_a,
                b.residual_ma or 0.0,
                0.0,
                members,
            )
        inl = ps.inlet
        phases = list(inl.phases.values())
        i_rms = max((r.i_rms_a for r in phases), default=0.0)
        i_peak = max((r.i_peak_a for r in phases), default=0.0)
        self._watch(
            tk,
            pdu,
            pdu.inlet,
            "inlet",
            inl.breaker_state,
            i_rms,
            i_peak,
            0.0,
            inl.neutral_a,
            list(pdu.outlets.values()),
        )

    def _watch(
        self,
        tk: _Tick,
        pdu: _Pdu,
        watch: BreakerWatch,
        source: str,
        state: str,
        i_rms: float,
        i_peak: float,
        residual: float,
        neutral: float,
        members: list[_Outlet],
    ) -> None:
        hist = {o.cfg.id: list(o.history) for o in members} if state == "tripped" else None
        risk, trip, reclosed = watch.update(
            state=state,
            i_rms_a=i_rms,
            i_peak_a=i_peak,
            window_s=tk.dt_s,
            residual_ma=residual,
            neutral_a=neutral,
            outlet_history=hist,
        )
        pid = pdu.cfg.id
        if risk is not None and risk.raised:
            e = risk.evidence
            tk.events.append(
                action_event(
                    pid,
                    source,
                    _E.BREAKER_TRIP_RISK,
                    f"{source} breaker at {risk.position_pct:.0f} % of its trip curve "
                    f"({risk.level}), time to trip {risk.time_to_trip_s:.0f} s at this current",
                    action=Action.ALARM,
                    reason_code=f"trip_risk_{risk.level}",
                    severity=Severity.CRITICAL if risk.level == "critical" else Severity.WARNING,
                    evidence={
                        "value": e.value,
                        "limit": e.limit,
                        "unit": e.unit,
                        "window_s": e.window_s,
                        "peak": e.peak,
                        "position_pct": risk.position_pct,
                        "time_to_trip_s": risk.time_to_trip_s,
                        "band": risk.band,
                    },
                )
            )
        if reclosed:
            tk.events.append(
                action_event(
                    pid,
                    source,
                    _E.BREAKER_CLOSED,
                    f"{source} breaker seen closed again",
                    action=Action.NONE,
                    reason_code="breaker_reclosed",
                    evidence={"value": i_rms, "unit": "A"},
                )
            )
        if trip is None:
            return
        cause = trip.cause
        cause_o = None if cause is None else pdu.outlets.get(cause.outlet_id)
        text = (
            f"{source} breaker tripped: peak {trip.peak_a:.1f} A, rms {trip.rms_a:.1f} A, "
            f"{trip.duration_s:.1f} s over {trip.rating_a:g} A"
        )
        text += (
            ""
            if cause is None
            else (f"; likely cause outlet {cause.outlet_id} (+{cause.rise_a:.1f} A), held off")
        )
        tk.events.append(
            action_event(
                pid,
                source,
                _E.BREAKER_TRIPPED,
                text,
                action=Action.LOCK if cause_o is not None else Action.NONE,
                reason_code="breaker_tripped",
                evidence={
                    "value": trip.rms_a,
                    "limit": trip.rating_a,
                    "unit": "A",
                    "window_s": trip.window_s,
                    "peak": trip.peak_a,
                    "rms": trip.rms_a,
                    "duration_s": trip.duration_s,
                    "position_pct": trip.position_pct,
                    "cause_outlet": None if cause is None else cause.outlet_id,
                    "cause_rise_a": None if cause is None else cause.rise_a,
                },
            )
        )
        if cause_o is not None:
            self._trip_outlet(
                tk,
                pdu,
                cause_o,
                "breaker_trip_cause",
                True,
                {
                    "value": cause.rise_a if cause else 0.0,
                    "unit": "A",
                    "breaker": source,
                    "peak": cause.peak_a if cause else 0.0,
                    "window_s": trip.window_s,
                },
            )

    # ----------------------------------------------------------------- outlet classes
    def _classify(self, tk: _Tick, pdu: _Pdu, ps: PduSnapshot) -> None:
        cs = self.settings.classifier
        for oid, o in pdu.outlets.items():
            os_ = ps.outlets.get(oid)
            if os_ is None:
                continue
            r = os_.reading
            sample = ChannelSample(r.i_rms_a, r.i_peak_a, o.cfg.rating_a, os_.terminal_temp_c)
            o.protection, findings = classify_outlet(
                cs, o.protection, sample, t_s=tk.t_s, dt_s=tk.dt_s
            )
            for f in findings:
                self._finding(tk, pdu, o, f)

    def _finding(self, tk: _Tick, pdu: _Pdu, o: _Outlet, f: Finding) -> None:
        ev: dict[str, object] = {
            "value": f.value,
            "limit": f.limit,
            "unit": f.unit,
            "window_s": f.window_s,
            "peak": f.peak,
            **f.extra,
        }
        oid = o.cfg.id
        thermal = f.kind in (
            FindingKind.DERATE,
            FindingKind.DERATE_CLEARED,
            FindingKind.THERMAL_TRIP,
        )
        code = (
            _E.TEMPERATURE_HIGH
            if thermal
            else (_E.OUTLET_INRUSH if f.kind is FindingKind.INRUSH else _E.OUTLET_OVERLOAD)
        )
        if f.trips:
            msg = (
                f"outlet {oid}: {f.reason_code.replace('_', ' ')} ({f.value:.2f} {f.unit} "
                f"> {f.limit:.2f} {f.unit}); switched off"
            )
            tk.events.append(
                action_event(
                    o.pdu_id,
                    o.source,
                    code,
                    msg,
                    action=Action.TRIP,
                    reason_code=f.reason_code,
                    evidence=ev,
                    severity=Severity.CRITICAL,
                )
            )
            self._trip_outlet(tk, pdu, o, f.reason_code, f.latch, ev)
            return
        cs = self.settings.classifier
        action, msg, sev = {
            FindingKind.INRUSH: (Action.NONE, "switch-on inrush peak (allowed)", None),
            FindingKind.OVERLOAD_WARNING: (
                Action.NONE,
                f"current above rating; switched off if it lasts {cs.overload_window_s:g} s",
                Severity.WARNING,
            ),
            FindingKind.DERATE: (
                Action.DERATE,
                "terminal heating: current limit derated",
                Severity.WARNING,
            ),
            FindingKind.DERATE_CLEARED: (
                Action.CLEAR,
                "terminal temperature back to normal",
                Severity.INFO,
            ),
        }[f.kind]
        tk.events.append(
            action_event(
                o.pdu_id,
                o.source,
                code,
                f"outlet {oid}: {msg} ({f.value:.2f} {f.unit}, limit {f.limit:.2f} {f.unit})",
                action=action,
                reason_code=f.reason_code,
                evidence=ev,
                severity=sev,
            )
        )

    def _trip_outlet(
        self, tk: _Tick, pdu: _Pdu, o: _Outlet, reason: str, latch: bool, ev: dict[str, object]
    ) -> None:
        o.hold = record_trip(
            o.hold, reason_code=reason, t_s=tk.t_s, latch=latch, policy=self.settings.retry
        )
        self._save_hold(o)
        pdu.sequencer.cancel(o.cfg.id)
        if o.owner is not None:
            self._finish_op(
                o, OpPhase.LOCKED_OUT, f"protection trip: {reason}", str(_E.OUTLET_LOCKED_OUT)
            )
        if o.relay_on is not False or o.actuation is not None:
            self._drive(tk, o, False, reason, None, SYSTEM_ACTOR)
        h = o.hold
        what = (
            "until acknowledged"
            if h.latched
            else (
                f"cooldown {self.settings.retry.cooldown_s:g} s then automatic retry "
                f"({len(h.trips_s)}/{self.settings.retry.max_retries + 1} trips)"
            )
        )
        tk.events.append(
            action_event(
                o.pdu_id,
                o.source,
                _E.OUTLET_LOCKED_OUT,
                f"outlet {o.cfg.id} held off ({reason}): {what}",
                action=Action.LOCK,
                reason_code=reason,
                evidence={
                    **ev,
                    "latched": h.latched,
                    "cooldown_until_s": h.cooldown_until_s,
                    "trips": len(h.trips_s),
                },
            )
        )

    def _retries(self, tk: _Tick, pdu: _Pdu) -> None:
        for oid, o in pdu.outlets.items():
            if retry_due(o.hold, tk.t_s) and o.hold is not None:
                o.hold = replace(o.hold, retried=True)
                self._save_hold(o)
                if self.last_commanded(o.pdu_id, oid) is not False:
                    pdu.sequencer.request(oid, tk.t_s, "protection_retry")

    # ----------------------------------------------------------------- shedding
    def _shed(self, tk: _Tick, pdu: _Pdu, ps: PduSnapshot, feed_loss: bool) -> None:
        loads = self._scopes(pdu, ps)
        cands = []
        for oid, o in pdu.outlets.items():
            os_ = ps.outlets.get(oid)
            if os_ is None or not o.relay_on or hold_active(o.hold, tk.t_s):
                continue
            cands.append(
                ShedCandidate(oid, str(o.cfg.priority), os_.reading.i_rms_a, os_.reading.s_va)
            )
        changes, decisions = pdu.shedder.step(
            loads, cands, t_s=tk.t_s, dt_s=tk.dt_s, feed_loss=feed_loss
        )
        for ch in changes:
            tk.events.append(self._level_event(pdu, ch))
        for d in decisions:
            o = pdu.outlets[d.outlet_id]
            ev = {
                "value": d.value,
                "limit": d.limit,
                "unit": d.unit,
                "window_s": d.window_s,
                "peak": d.peak,
                "scope": d.scope_key,
                "outlet_load": d.load,
                "priority": str(o.cfg.priority),
            }
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
                        f"{self.settings.shedding.restore_pct:g} % with its load",
                        action=Action.RESTORE,
                        reason_code=d.reason_code,
                        evidence=ev,
                    )
                )
            else:
                self._drive(tk, o, False, "shed", None, SYSTEM_ACTOR)
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

    def _scopes(self, pdu: _Pdu, ps: PduSnapshot) -> list[ScopeLoad]:
        loads: list[ScopeLoad] = []
        c = pdu.cfg
        everyone = tuple(pdu.outlets)
        limit_va = c.phases * c.nominal_voltage_v * c.inlet_rating_a
        loads.append(
            ScopeLoad(
                f"feed/{c.feed}", _E.FEED_OVERLOAD, ps.inlet.apparent_va, limit_va, "VA", everyone
            )
        )
        for line, r in ps.inlet.phases.items():
            members = tuple(o.cfg.id for o in pdu.outlets.values() if o.line == line)
            loads.append(
                ScopeLoad(
                    f"phase/{line}", _E.PHASE_OVERLOAD, r.i_rms_a, c.inlet_rating_a, "A", members
                )
            )
        for bid, b in ps.branches.items():
            if b.breaker_state == "tripped":
                continue
            members = tuple(o.cfg.id for o in pdu.outlets.values() if o.cfg.branch == bid)
            loads.append(
                ScopeLoad(
                    f"branch/{bid}", _E.BRANCH_OVERLOAD, b.reading.i_rms_a, b.rating_a, "A", members
                )
            )
        return loads

    def _level_event(self, pdu: _Pdu, ch: LevelChange) -> NewEvent:
        s = ch.scope
        sev = {"ok": Severity.INFO, "warning": Severity.WARNING, "critical": Severity.CRITICAL}[
            ch.level
        ]
        rising = ch.level == "critical" or (ch.level == "warning" and ch.previous == "ok")
        limit = s.limit * (
            self.settings.shedding.planning_pct / 100 if ch.level == "warning" else 1.0
        )
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

    # ----------------------------------------------------------------- sequenced switch-on
    def _release(self, tk: _Tick, pdu: _Pdu, ps: PduSnapshot) -> None:
        if not ps.inlet.feed_present:
            return
        for p in pdu.sequencer.release(tk.t_s):
            o = pdu.outlets[p.outlet_id]
            if hold_active(o.hold, tk.t_s):
                if o.owner is not None:
                    self._finish_op(
                        o, OpPhase.LOCKED_OUT, "held by protection", str(_E.OUTLET_LOCKED_OUT)
                    )
                continue
            if p.reason_code == "command" and o.owner is not None:
                op = self._op(o)
                if op is not None:
                    op.phase = OpPhase.VERIFY_ON
                pending = self._ledger.pending.get(o.owner)
                actor = None if pending is None else pending.command.actor
                self._drive(tk, o, True, "command", o.owner, actor)
            else:
                self._drive(tk, o, True, p.reason_code, None, SYSTEM_ACTOR)

    def _complete(self, tk: _Tick) -> None:
        for cid, pending in list(self._ledger.pending.items()):
            if pending.done:
                outcomes = [op.outcome for op in pending.ops.values() if op.outcome is not None]
                result = aggregate(cid, outcomes)
                self._ledger.finish(result)
                tk.completed.append(result)
