"""Command intake: screen, queue, start and complete operator outlet commands.

:meth:`CommandIntake.submit` answers duplicates, rejections, denials and lockouts at once and
queues the rest; at the next tick :meth:`CommandIntake.start` takes each queued command over its
outlets (switch-offs at once, switch-ons through the sequencer), and :meth:`CommandIntake.complete`
turns commands whose every op has ended into results.
"""

from __future__ import annotations

import uuid

from smartpdu.control.actuation import Actuator
from smartpdu.control.commands import (
    CommandLedger,
    OpPhase,
    OutletOp,
    PendingCommand,
    aggregate,
    client_key,
    fingerprint,
    key_conflict,
    scoped_key,
)
from smartpdu.control.evidence import action_event
from smartpdu.control.holds import OutletMemory, hold_evidence
from smartpdu.control.journal import OpenIntent
from smartpdu.control.settings import ControlSettings
from smartpdu.control.state import PduState, TickWork
from smartpdu.control.types import CommandTicket
from smartpdu.events.codes import EventCode
from smartpdu.events.model import Action, NewEvent
from smartpdu.model.commands import (
    CommandResult,
    CommandStatus,
    OutletAction,
    OutletCommand,
    OutletOutcome,
)
from smartpdu.model.snapshot import RackSnapshot
from smartpdu.protection.lockout import hold_active

__all__ = ["CommandIntake"]

_E = EventCode


class CommandIntake:
    """Own the inbox of accepted commands and the events produced while screening them."""

    def __init__(
        self,
        settings: ControlSettings,
        ledger: CommandLedger,
        pdus: dict[str, PduState],
        memory: OutletMemory,
        actuator: Actuator,
    ) -> None:
        self.settings = settings
        self._ledger = ledger
        self._pdus = pdus
        self._memory = memory
        self._act = actuator
        self._inbox: list[PendingCommand] = []
        self._outbox: list[NewEvent] = []
        self._intents: list[NewEvent] = []

    def drain_events(self) -> list[NewEvent]:
        """Events of denials and lockouts answered since the last tick."""
        out, self._outbox = self._outbox, []
        return out

    def drain_intents(self) -> list[NewEvent]:
        """Intent events of commands accepted since the last tick (for the durable journal
        commit that precedes their first relay step)."""
        out, self._intents = self._intents, []
        return out

    # ----------------------------------------------------------------- submit
    def submit(self, command: OutletCommand, t_s: float) -> CommandTicket:
        """Accept a command; duplicates, rejections, denials and lockouts are answered at once.

        The id is the actor's idempotency key: the same actor repeating the same request gets
        the first result; the same key with a different request is rejected as a conflict;
        another actor's identical key is an unrelated command.
        """
        cid = command.command_id or f"cmd-{uuid.uuid4().hex}"
        key = scoped_key(command.actor, cid)
        fp = fingerprint(command)
        first = self._ledger.fingerprint_of(key)
        if first and first != fp:
            return CommandTicket(cid, key_conflict(cid, command, first))
        if self._ledger.known(key):
            return CommandTicket(cid, self._ledger.result(key))
        self._ledger.claim(key, fp)
        immediate = self._screen(command, cid, t_s)
        if immediate is not None:
            self._ledger.finish(immediate, key)
            return CommandTicket(cid, immediate)
        off = command.off_period_s
        ops = {oid: OutletOp(oid, command.action, OpPhase.QUEUED) for oid in command.outlet_ids}
        pending = PendingCommand(
            command, key, ops, self.settings.cycle_off_s if off is None else off
        )
        self._record_intent(pending, fp)
        self._ledger.pending[key] = pending
        self._inbox.append(pending)
        for oid in command.outlet_ids:
            self._memory.save_intent(command.pdu_id, oid, command.action is not OutletAction.OFF)
        return CommandTicket(cid, None, key)

    def _record_intent(self, pending: PendingCommand, fp: str) -> None:
        """Journal the accepted command (durable now) and draft its intent event."""
        c = pending.command
        self._act.journal.open(
            OpenIntent(
                pending.command_id,
                fp,
                c.pdu_id,
                c.outlet_ids,
                str(c.action),
                c.actor,
                c.interface,
                pending.off_period_s,
            )
        )
        source = f"outlet/{c.outlet_ids[0]}" if len(c.outlet_ids) == 1 else "outlet/group"
        off = f", off {pending.off_period_s:g} s" if c.action is OutletAction.CYCLE else ""
        self._intents.append(
            action_event(
                c.pdu_id,
                source,
                _E.OUTLET_COMMAND_ACCEPTED,
                f"{c.action} of outlet(s) {', '.join(c.outlet_ids)} accepted from {c.actor} "
                f"via {c.interface}{off}",
                action=Action.NONE,
                reason_code="operator_command",
                evidence={
                    "action": str(c.action),
                    "outlets": ",".join(c.outlet_ids),
                    "interface": c.interface,
                    "off_period_s": pending.off_period_s,
                },
                actor=c.actor,
                command_id=client_key(pending.command_id),
            )
        )

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
                        evidence=hold_evidence(h, acknowledged=h.acknowledged),
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

    # ----------------------------------------------------------------- tick
    def cycle_waits(self, tk: TickWork, pdu: PduState) -> None:
        """Queue the switch-on of power cycles whose off period has run out."""
        for o in pdu.outlets.values():
            op = self._act.op(o)
            if op is not None and op.phase is OpPhase.OFF_WAIT and tk.t_s >= op.off_until_s - 1e-6:
                op.phase = OpPhase.QUEUED
                pdu.sequencer.request(o.cfg.id, tk.t_s, "command")

    def start(self, tk: TickWork, snapshot: RackSnapshot) -> None:
        """Take over the outlets of every queued command (supersedes shedding and restores)."""
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
                    self._act.finish_op(
                        o, OpPhase.FAILED, f"superseded by command {pending.command_id}"
                    )
                o.owner = pending.command_id
                if c.action is OutletAction.ON:
                    closed = bool(ps and oid in ps.outlets and ps.outlets[oid].relay_closed)
                    if closed and o.relay_on:
                        op.phase = OpPhase.VERIFY_ON
                        self._act.drive(tk, o, True, "command", pending.command_id, c.actor)
                    else:
                        delay = o.cfg.power_on_delay_s if bulk else 0.0
                        pdu.sequencer.request(oid, tk.t_s + delay, "command")
                else:
                    op.phase = OpPhase.VERIFY_OFF
                    self._act.drive(tk, o, False, "command", pending.command_id, c.actor)

    def complete(self, tk: TickWork) -> None:
        """Finish every command whose ops have all ended; the worst outcome wins."""
        for key, pending in list(self._ledger.pending.items()):
            if pending.done:
                outcomes = [op.outcome for op in pending.ops.values() if op.outcome is not None]
                result = aggregate(client_key(key), outcomes)
                self._ledger.finish(result, key)
                self._act.journal.close(key)
                tk.completed.append(result)
