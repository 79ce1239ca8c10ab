"""Power-up states, feed loss/restore and the sequenced release of switch-ons.

Every switch-on (power-up, feed restore, shed restore, protection retry, operator command) is
queued in the PDU's :class:`~smartpdu.control.sequencer.PowerOnSequencer` and released here,
one per inrush guard gap, while the feed is present and no protection hold is active.
"""

from __future__ import annotations

from smartpdu.config.models import PowerUpState
from smartpdu.control.actuation import Actuator
from smartpdu.control.commands import OpPhase
from smartpdu.control.evidence import SYSTEM_ACTOR, action_event
from smartpdu.control.holds import OutletMemory
from smartpdu.control.settings import ControlSettings
from smartpdu.control.state import PduState, TickWork
from smartpdu.events.codes import EventCode
from smartpdu.events.model import Action
from smartpdu.model.snapshot import PduSnapshot
from smartpdu.protection.lockout import hold_active

__all__ = ["PowerOn"]

_E = EventCode


class PowerOn:
    """Decide when outlets come (back) on; the sequencer spaces the switch-ons."""

    def __init__(self, settings: ControlSettings, memory: OutletMemory, actuator: Actuator) -> None:
        self.settings = settings
        self._memory = memory
        self._act = actuator

    def power_up(self, tk: TickWork, pdu: PduState, ps: PduSnapshot) -> None:
        """Apply each outlet's power-up state (on/off/last) after the PDU init delay."""
        pdu.feed_present = ps.inlet.feed_present
        seq = pdu.cfg.sequencing
        pid = pdu.cfg.id
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
                want = self._memory.last_commanded(pid, oid)
                want = closed if want is None else want
            if hold_active(o.hold, tk.t_s):
                want = False
            o.relay_on = closed
            if want and not closed:
                pdu.sequencer.request(
                    oid, tk.t_s + seq.init_delay_s + o.cfg.power_on_delay_s, "power_up"
                )
            elif not want and closed:
                self._act.drive(tk, o, False, "power_up_state", None, SYSTEM_ACTOR)

    def feed(self, tk: TickWork, pdu: PduState, ps: PduSnapshot) -> None:
        """On feed loss open the relays that were on; on restore queue them, staggered."""
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
                    self._act.drive(tk, o, False, "feed_lost_open_relay", None, SYSTEM_ACTOR)
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

    def release(self, tk: TickWork, pdu: PduState, ps: PduSnapshot) -> None:
        """Switch on what the sequencer releases now; held outlets stay off."""
        if not ps.inlet.feed_present:
            return
        for p in pdu.sequencer.release(tk.t_s):
            o = pdu.outlets[p.outlet_id]
            if hold_active(o.hold, tk.t_s):
                if o.owner is not None:
                    self._act.finish_op(
                        o, OpPhase.LOCKED_OUT, "held by protection", str(_E.OUTLET_LOCKED_OUT)
                    )
                continue
            if p.reason_code == "command" and o.owner is not None:
                op = self._act.op(o)
                if op is not None:
                    op.phase = OpPhase.VERIFY_ON
                pending = self._act.ledger.pending.get(o.owner)
                actor = None if pending is None else pending.command.actor
                self._act.drive(tk, o, True, "command", o.owner, actor)
            else:
                self._act.drive(tk, o, True, p.reason_code, None, SYSTEM_ACTOR)
