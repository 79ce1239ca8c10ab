"""Issue 11 item 2: a command in flight at a crash leaves a trace and never runs twice.

The plane journals the intent when it accepts a command and every relay step before the relay
moves; a new plane on the same store (a restarted controller) reconciles what was left open:
``interrupted`` with the relay state found, filed under the key so a retry replays it.
"""

from __future__ import annotations

from synthetic_rack import SyntheticRack

from smartpdu.control import ControlPlane, MemoryKv
from smartpdu.control.journal import CommandJournal, JournalStep, OpenIntent
from smartpdu.model.commands import CommandStatus, OutletAction, OutletCommand


def _cycle(cid: str = "k-cycle") -> OutletCommand:
    return OutletCommand("pdu-a", ("7",), OutletAction.CYCLE, "user/alice", cid, off_period_s=30.0)


def test_intent_and_each_step_come_out_as_journal_events_before_the_relay(make_loop) -> None:
    loop = make_loop()
    loop.start()
    loop.step(20)
    ticket = loop.plane.submit(_cycle(), loop.t_s)
    assert ticket.result is None and ticket.key == "user/alice#k-cycle"
    snap = loop.rack.snapshot()
    out = loop.plane.on_tick(snap, None)
    codes = [e.event_code for e in out.journal_events]
    assert codes == ["OUTLET_COMMAND_ACCEPTED", "OUTLET_RELAY_DRIVEN"]
    assert [(c.outlet_id, c.on) for c in out.relay_commands] == [("7", False)]
    step = out.journal_events[1]
    assert step.command_id == "k-cycle" and step.actor == "user/alice"
    assert step.evidence["relay_commanded"] == "off"


def test_a_restart_mid_cycle_is_reconciled_and_a_retry_replays_it(make_loop, demo_config) -> None:
    kv = MemoryKv()
    loop = make_loop(kv=kv)
    loop.start()
    loop.step(20)
    assert loop.plane.submit(_cycle(), loop.t_s).result is None
    loop.step(5)  # the off step is driven and verified; the 30 s off period runs
    assert loop.rack.relay[("pdu-a", "7")] is False
    assert "k-cycle" not in loop.completed

    # "kill -9": the old plane is gone; a new one starts on the same store and the same relays.
    rack = loop.rack
    plane = ControlPlane(demo_config, kv=kv)
    snap = rack.snapshot()
    out = plane.on_start(snap, None, snap.t_s)
    interrupted = [e for e in out.events if e.event_code == "OUTLET_COMMAND_INTERRUPTED"]
    assert len(interrupted) == 1
    ev = interrupted[0]
    assert ev.command_id == "k-cycle" and ev.actor == "user/alice"
    assert ev.evidence["relay_found"] == "7:open"
    assert str(ev.evidence["steps_done"]).startswith("7:off@")
    assert [r.status for r in out.completed] == [CommandStatus.INTERRUPTED]

    retry = plane.submit(_cycle(), snap.t_s).result
    assert retry is not None and retry.status is CommandStatus.INTERRUPTED
    assert "relay found open" in retry.outlets[0].detail
    # ... and nothing was executed again: no relay step for the command after the restart.
    rack.apply(out.relay_commands)
    for _ in range(10):
        snap = rack.snapshot()
        step = plane.on_tick(snap, None)
        rack.apply(step.relay_commands)
        assert not step.journal_events
    # Another restart finds nothing open any more (reconciled once), and the answer stays.
    again = ControlPlane(demo_config, kv=kv)
    snap = rack.snapshot()
    out2 = again.on_start(snap, None, snap.t_s)
    assert not [e for e in out2.events if e.event_code == "OUTLET_COMMAND_INTERRUPTED"]
    replay = again.submit(_cycle(), snap.t_s).result
    assert replay is not None and replay.status is CommandStatus.INTERRUPTED


def test_a_finished_command_leaves_nothing_open(make_loop, demo_config) -> None:
    kv = MemoryKv()
    loop = make_loop(kv=kv)
    loop.start()
    loop.step(20)
    cmd = OutletCommand("pdu-a", ("7",), OutletAction.OFF, "user/alice", "k-off")
    loop.plane.submit(cmd, loop.t_s)
    loop.step(5)
    assert loop.completed["k-off"].status is CommandStatus.DONE
    assert CommandJournal(kv).unfinished() == []
    plane = ControlPlane(demo_config, kv=kv)
    snap = SyntheticRack(demo_config).snapshot()
    assert not plane.on_start(snap, None, snap.t_s).completed


def test_journal_round_trip_keeps_steps_and_other_runs_intents() -> None:
    kv = MemoryKv()
    j = CommandJournal(kv)
    j.open(OpenIntent("user/a#1", "fp", "pdu-a", ("1", "2"), "cycle", "user/a", "api", 5.0))
    j.step("user/a#1", JournalStep("1", False, 12.5, 60))
    assert CommandJournal(kv).unfinished()[0].steps == []  # not flushed yet
    j.flush()
    later = CommandJournal(kv)
    (intent,) = later.unfinished()
    assert intent.steps == [JournalStep("1", False, 12.5, 60)]
    later.open(OpenIntent("user/b#2", "fp", "pdu-a", ("3",), "off", "user/b", "api", 0.0))
    assert [i.key for i in CommandJournal(kv).unfinished()] == ["user/a#1", "user/b#2"]
    later.close("user/a#1")
    assert [i.key for i in CommandJournal(kv).unfinished()] == ["user/b#2"]
