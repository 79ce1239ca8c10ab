"""The control plane: commands, sequencing, shedding and protection, one snapshot at a time.

The runtime calls :meth:`ControlPlane.on_tick` once per window with the new snapshot and applies
the returned relay commands for the next window; everything else here is plain data and typed
state, no I/O except the small key/value store for last commanded states and holds::

    on_start: reconcile commands a previous run left unfinished → power-up states
    on_tick: verify actuations → commands in → feed transitions → breakers → outlet classes
             → shedding → retries → sequenced switch-ons → completed commands → journal written

This class only coordinates; each step lives in its own module: :mod:`.actuation` (drive and
verify), :mod:`.intake` (commands), :mod:`.power_on` (power-up, feed restore, sequenced
switch-on), :mod:`.shed_actions` (load shedding), :mod:`.protect` (breakers, outlet classes,
holds) and :mod:`.holds` (what survives a restart).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from smartpdu.config import RackConfig
from smartpdu.control.actuation import Actuator
from smartpdu.control.commands import CommandLedger, CommandResults, KvCommandResults
from smartpdu.control.devices import DeviceInputs
from smartpdu.control.hold_clock import UtcHoldMemory
from smartpdu.control.holds import KvOutletMemory, OutletMemory
from smartpdu.control.intake import CommandIntake
from smartpdu.control.journal import CommandJournal
from smartpdu.control.power_on import PowerOn
from smartpdu.control.protect import ProtectionActions
from smartpdu.control.reconcile import reconcile
from smartpdu.control.settings import ControlSettings
from smartpdu.control.shed_actions import ShedActions
from smartpdu.control.state import PduState, TickWork, build_pdu
from smartpdu.control.types import CommandTicket, TickOutput, as_kv
from smartpdu.events.model import NewEvent, parse_timestamp
from smartpdu.model.commands import CommandResult, OutletCommand
from smartpdu.model.snapshot import RackSnapshot
from smartpdu.protection.classify import MeteredCurrent
from smartpdu.protection.lockout import OutletHold, hold_active

Metered = Mapping[str, Mapping[str, MeteredCurrent]]
"""Outlet currents as measured (NaN kept, quality flags), by PDU id then outlet id."""


def _iec_window_s(config: RackConfig) -> float:
    """The IEC 61000-4-30 window of the rack's mains (10 cycles at 50 Hz, 12 at 60 Hz); used only
    until the runtime gives the hardware's own window at :meth:`ControlPlane.on_start`."""
    hz = float(config.pdus[0].nominal_frequency_hz) if config.pdus else 50.0
    return (12 if hz > 55.0 else 10) / hz


__all__ = ["ControlPersistence", "ControlPlane", "Metered"]


@runtime_checkable
class ControlPersistence(Protocol):
    """What a store offers the control plane: its outlet memory and command result tables."""

    @property
    def outlet_memory(self) -> OutletMemory: ...

    @property
    def command_results(self) -> CommandResults: ...


class ControlPlane:
    """Owns every outlet decision of one rack; see the module docstring for the tick order."""

    def __init__(
        self, config: RackConfig, *, kv: Any = None, settings: ControlSettings | None = None
    ) -> None:
        self.config = config
        self.settings = settings or ControlSettings()
        memory: OutletMemory
        results: CommandResults
        store = as_kv(kv)
        if isinstance(kv, ControlPersistence):  # a Store: its real tables
            memory, results = kv.outlet_memory, kv.command_results
        else:
            memory, results = KvOutletMemory(store), KvCommandResults(store)
        journal = CommandJournal(store)
        self._holds = UtcHoldMemory(memory)
        memory = self._holds
        self._memory = memory
        self._last: RackSnapshot | None = None
        self._t_s: float | None = None
        self._window_s = self.settings.window_s or _iec_window_s(config)
        self._pdus: dict[str, PduState] = {
            p.id: build_pdu(p, self.settings, self._memory.load_hold) for p in config.pdus
        }
        ledger = self._ledger = CommandLedger(repo=results)
        self._act = Actuator(ledger, self.settings.verify, journal)
        self._intake = CommandIntake(self.settings, ledger, self._pdus, self._memory, self._act)
        self._power_on = PowerOn(self.settings, self._memory, self._act)
        self._shed = ShedActions(self.settings.shedding, self._act, DeviceInputs(config))
        self._protect = ProtectionActions(self.settings, self._memory, self._act)

    # ----------------------------------------------------------------- queries
    def last_commanded(self, pdu_id: str, outlet_id: str) -> bool | None:
        return self._memory.last_commanded(pdu_id, outlet_id)

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
        self._shed.devices = DeviceInputs(config)
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
    def cite_events(self, results: list[CommandResult]) -> None:
        """File each finished result again with the sequence ids of the events it caused (the
        runtime learns them only after sealing), so a replay returns exactly the first answer."""
        for result in results:
            self._ledger.cite(result)

    def finished_result(self, key: str) -> CommandResult | None:
        """The result filed under ledger ``key`` (actor + client id), None while it runs."""
        if key in self._ledger.pending:
            return None
        return self._ledger.result(key)

    def submit(self, command: OutletCommand, t_s: float) -> CommandTicket:
        """Accept a command; duplicates, rejections, denials and lockouts are answered at once."""
        return self._intake.submit(command, t_s)

    def acknowledge(self, pdu_id: str, outlet_id: str, actor: str) -> NewEvent:
        """Release a trip-cause latch (the outlet stays off until someone switches it on)."""
        return self._protect.acknowledge(self._pdus[pdu_id].outlets[outlet_id], actor)

    def _powered(self, snapshot: RackSnapshot, pdu_id: str, outlet_id: str) -> bool:
        """The outlet delivers power: feed present, branch closed, relay closed and not being
        switched off by this plane (a shed decided earlier in the same tick counts)."""
        ps = snapshot.pdus.get(pdu_id)
        pdu = self._pdus.get(pdu_id)
        if ps is None or pdu is None or not ps.inlet.feed_present:
            return False
        o, os_ = pdu.outlets.get(outlet_id), ps.outlets.get(outlet_id)
        if o is None or os_ is None or not os_.relay_closed or o.relay_on is False:
            return False
        branch = ps.branches.get(o.cfg.branch)
        return branch is None or branch.breaker_state != "tripped"

    # ----------------------------------------------------------------- tick entry points
    def on_start(
        self,
        snapshot: RackSnapshot,
        metered: Metered | None,
        t_s: float,
        *,
        window_s: float | None = None,
    ) -> TickOutput:
        """Apply each outlet's power-up state (on/off/last) after the PDU init delay.

        ``window_s`` is the hardware's window length (unless the settings pin one)."""
        if window_s is not None and self.settings.window_s is None:
            self._window_s = window_s
        tk = TickWork(snapshot.tick, t_s, self._window_s)
        self._t_s = t_s
        self._holds.offset_s = parse_timestamp(snapshot.timestamp_utc).timestamp() - snapshot.t_s
        for pdu in self._pdus.values():  # stored in UTC: cooldowns go on across the restart
            for o in pdu.outlets.values():
                o.hold = self._holds.to_run_time(o.hold)
        for intent in self._act.journal.unfinished():
            result, event = reconcile(intent, snapshot, t_s)
            self._ledger.claim(intent.key, intent.fingerprint)
            self._ledger.finish(result, intent.key)
            self._act.journal.close(intent.key)
            tk.events.append(event)
            tk.completed.append(result)
        tk.journal.extend(self._intake.drain_intents())
        for pid, pdu in self._pdus.items():
            ps = snapshot.pdus.get(pid)
            if ps is not None:
                self._power_on.power_up(tk, pdu, ps)
        self._act.journal.flush()
        self._last = snapshot
        return tk.output()

    def on_tick(self, snapshot: RackSnapshot, metered: Metered | None = None) -> TickOutput:
        """One window: see the module docstring for the order. ``metered`` lets protection
        classify the outlets on measured values (NaN and quality flags kept) rather than on the
        display snapshot; without it the snapshot's readings are used."""
        t_s = snapshot.t_s
        dt = self._window_s if self._t_s is None else max(t_s - self._t_s, 1e-3)
        if self._t_s is not None and t_s <= self._t_s:
            dt = self._window_s
        self._t_s = t_s
        tk = TickWork(snapshot.tick, t_s, dt)
        tk.events.extend(self._intake.drain_events())
        tk.journal.extend(self._intake.drain_intents())
        feed_loss = any(not p.inlet.feed_present for p in snapshot.pdus.values())

        def powered(pdu_id: str, outlet_id: str) -> bool:
            return self._powered(snapshot, pdu_id, outlet_id)

        for pid, pdu in self._pdus.items():
            ps = snapshot.pdus.get(pid)
            if ps is None:
                continue
            self._act.verify(tk, pdu, ps)
            self._intake.cycle_waits(tk, pdu)
        self._intake.start(tk, snapshot)
        for pid, pdu in self._pdus.items():
            ps = snapshot.pdus.get(pid)
            if ps is None:
                continue
            self._power_on.feed(tk, pdu, ps)
            if self.settings.protection_enabled:
                self._protect.breakers(tk, pdu, ps)
                self._protect.classify(tk, pdu, ps, None if metered is None else metered.get(pid))
            self._shed.step(tk, pdu, ps, feed_loss and ps.inlet.feed_present, powered)
            self._protect.retries(tk, pdu)
            self._power_on.release(tk, pdu, ps)
        self._intake.complete(tk)
        self._act.journal.flush()  # the steps are on disk before the runtime drives the relays
        self._last = snapshot
        return tk.output()
