"""Reconcile a command a previous run left unfinished: say what was done and what is found.

Pure: the journalled intent and the first snapshot after the restart in, the command's
``interrupted`` result and the event that explains it out. The command is not resumed (its
caller is gone and the rack may have changed); the outlet's power-up state applies next, and
its own events say what that does.
"""

from __future__ import annotations

from smartpdu.control.commands import client_key
from smartpdu.control.evidence import action_event
from smartpdu.control.journal import OpenIntent
from smartpdu.events.codes import EventCode
from smartpdu.events.model import Action, NewEvent
from smartpdu.model.commands import CommandResult, CommandStatus, OutletOutcome
from smartpdu.model.snapshot import RackSnapshot

__all__ = ["reconcile"]


def _found(snapshot: RackSnapshot, pdu_id: str, outlet_id: str) -> str:
    ps = snapshot.pdus.get(pdu_id)
    o = None if ps is None else ps.outlets.get(outlet_id)
    if o is None:
        return "unknown"
    return "closed" if o.relay_closed else "open"


def reconcile(
    intent: OpenIntent, snapshot: RackSnapshot, t_s: float
) -> tuple[CommandResult, NewEvent]:
    """The ``interrupted`` result of ``intent`` and its ``OUTLET_COMMAND_INTERRUPTED`` event."""
    cid = client_key(intent.key)
    outcomes = []
    found: dict[str, str] = {}
    for oid in intent.outlet_ids:
        steps = [s for s in intent.steps if s.outlet_id == oid]
        found[oid] = _found(snapshot, intent.pdu_id, oid)
        done = (
            "relay driven " + ", then ".join("on" if s.on else "off" for s in steps)
            if steps
            else "no relay driven"
        )
        outcomes.append(
            OutletOutcome(
                oid,
                CommandStatus.INTERRUPTED,
                f"{intent.action} interrupted by a controller restart: {done}; "
                f"relay found {found[oid]}",
                str(EventCode.OUTLET_COMMAND_INTERRUPTED),
            )
        )
    steps_text = ",".join(s.describe() for s in intent.steps) or "none"
    found_text = ",".join(f"{oid}:{st}" for oid, st in found.items())
    result = CommandResult(
        cid,
        CommandStatus.INTERRUPTED,
        tuple(outcomes),
        f"{intent.action} interrupted by a controller restart (steps done: {steps_text}; "
        f"relays found: {found_text}); not executed again — send a new key to retry",
    )
    oids = intent.outlet_ids
    event = action_event(
        intent.pdu_id,
        f"outlet/{oids[0]}" if len(oids) == 1 else "outlet/group",
        EventCode.OUTLET_COMMAND_INTERRUPTED,
        f"{intent.action} of outlet(s) {', '.join(oids)} from {intent.actor} was interrupted by "
        f"a controller restart; steps done: {steps_text}; relay found: {found_text}; "
        "power-up state applies",
        action=Action.NONE,
        reason_code="controller_restart",
        evidence={
            "action": intent.action,
            "outlets": ",".join(oids),
            "steps_done": steps_text,
            "relay_found": found_text,
            "interface": intent.interface,
            "t_s": t_s,
        },
        actor=intent.actor,
        command_id=cid,
    )
    return result, event
