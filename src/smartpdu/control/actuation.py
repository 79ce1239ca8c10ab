"""Drive relays and verify each actuation against relay feedback and measured current.

Every relay command goes through :meth:`Actuator.drive`, which records an :class:`Actuation`;
the following windows check it (``verify.windows`` at most) and either confirm it, or report the
outlet stuck on/off. A command's per-outlet op advances here when its actuation is verified.
"""

from __future__ import annotations

from smartpdu.control.commands import CommandLedger, OpPhase, OutletOp, client_key
from smartpdu.control.evidence import action_event
from smartpdu.control.journal import CommandJournal, JournalStep
from smartpdu.control.settings import VerifySettings
from smartpdu.control.state import Actuation, OutletState, PduState, TickWork
from smartpdu.control.types import RelayCommand
from smartpdu.events.codes import EventCode
from smartpdu.events.model import Action
from smartpdu.model.commands import OutletAction
from smartpdu.model.snapshot import OutletSnapshot, PduSnapshot

__all__ = ["Actuator"]

_E = EventCode


def _client_id(key: str | None) -> str | None:
    """Events carry the client's command id (the actor is recorded beside it)."""
    return None if key is None else client_key(key)


class Actuator:
    """Issue relay commands, track which command owns an outlet, verify the outcome."""

    def __init__(
        self, ledger: CommandLedger, verify: VerifySettings, journal: CommandJournal
    ) -> None:
        self.ledger = ledger
        self.verify_settings = verify
        self.journal = journal

    # ----------------------------------------------------------------- ownership
    def drive(
        self,
        tk: TickWork,
        o: OutletState,
        on: bool,
        reason: str,
        cid: str | None,
        actor: str | None,
    ) -> None:
        """Switch ``o`` for the next window; a command other than ``cid`` driving it fails.

        A command's step is journalled (and its event queued for the durable commit that
        precedes the relay move)."""
        if o.owner is not None and o.owner != cid:
            self.finish_op(o, OpPhase.FAILED, f"superseded: {reason}")
        if cid is None:
            o.owner = None
        else:
            self._journal_step(tk, o, on, cid, actor)
        o.relay_on = on
        o.actuation = Actuation(on, tk.tick, reason, cid, actor)
        tk.relays[(o.pdu_id, o.cfg.id)] = RelayCommand(o.pdu_id, o.cfg.id, on)

    def _journal_step(
        self, tk: TickWork, o: OutletState, on: bool, cid: str, actor: str | None
    ) -> None:
        self.journal.step(cid, JournalStep(o.cfg.id, on, tk.t_s, tk.tick))
        pending = self.ledger.pending.get(cid)
        action = "" if pending is None else f" {pending.command.action}"
        way = "on" if on else "off"
        tk.journal.append(
            action_event(
                o.pdu_id,
                o.source,
                _E.OUTLET_RELAY_DRIVEN,
                f"outlet {o.cfg.id}{action}: relay driven {way} (command step)",
                action=Action.SWITCH,
                reason_code="command_step",
                evidence={"relay_commanded": way, "tick": tk.tick, "t_s": tk.t_s},
                actor=actor,
                command_id=_client_id(cid),
            )
        )

    def op(self, o: OutletState) -> OutletOp | None:
        """The op of the command currently driving ``o``, if any."""
        if o.owner is None:
            return None
        pending = self.ledger.pending.get(o.owner)
        return None if pending is None else pending.ops.get(o.cfg.id)

    def finish_op(
        self, o: OutletState, phase: OpPhase, detail: str, code: str | None = None
    ) -> None:
        op = self.op(o)
        if op is not None and not op.final:
            op.finish(phase, detail, code)
        o.owner = None

    # ----------------------------------------------------------------- verification
    def verify(self, tk: TickWork, pdu: PduState, ps: PduSnapshot) -> None:
        """Check every outstanding actuation; remember each outlet's current and last load."""
        vs = self.verify_settings
        for oid, o in pdu.outlets.items():
            os_ = ps.outlets.get(oid)
            if os_ is None:
                continue
            i = os_.reading.i_rms_a
            a = o.actuation
            if a is not None and tk.tick > a.issued_tick:
                a.windows += 1
                ok, why = self._check(ps, o, os_, a)
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
        self, ps: PduSnapshot, o: OutletState, os_: OutletSnapshot, a: Actuation
    ) -> tuple[bool, str]:
        vs = self.verify_settings
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

    def _verified(self, tk: TickWork, o: OutletState, os_: OutletSnapshot, a: Actuation) -> None:
        op = self.op(o) if a.command_id is not None and o.owner == a.command_id else None
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
            pending = self.ledger.pending[a.command_id or ""]
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
                command_id=_client_id(a.command_id),
            )
        )
        self.finish_op(o, OpPhase.DONE, "verified", str(code))

    def _stuck(
        self, tk: TickWork, o: OutletState, os_: OutletSnapshot, a: Actuation, why: str
    ) -> None:
        vs = self.verify_settings
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
                command_id=_client_id(a.command_id),
            )
        )
        if a.command_id is not None and o.owner == a.command_id:
            self.finish_op(o, OpPhase.FAILED, text, str(code))
