"""Commands: verified on/off/cycle, idempotency, stuck relays, denied, locked out, rejected."""

from __future__ import annotations

from smartpdu.control import ControlSettings
from smartpdu.model.commands import CommandStatus, OutletAction, OutletCommand


def cmd(action, outlets, cid=None, actor="user/alice", **kw) -> OutletCommand:
    return OutletCommand("pdu-a", tuple(outlets), action, actor, cid, **kw)


def test_off_is_verified_and_evented(make_loop) -> None:
    loop = make_loop()
    loop.start()
    t = loop.plane.submit(cmd(OutletAction.OFF, ["7"], "c-off"), loop.t_s)
    assert t.result is None
    loop.step(3)
    r = loop.completed["c-off"]
    assert r.status is CommandStatus.DONE
    assert loop.rack.relay[("pdu-a", "7")] is False
    ev = loop.codes("OUTLET_OFF")[-1]
    assert ev.command_id == "c-off" and ev.actor == "user/alice"
    assert ev.reason_code and ev.evidence["relay_closed"] is False


def test_same_command_id_executes_once(make_loop) -> None:
    loop = make_loop()
    loop.start()
    c = cmd(OutletAction.CYCLE, ["6"], "dup-1", off_period_s=0.4)
    assert loop.plane.submit(c, loop.t_s).result is None
    assert loop.plane.submit(c, loop.t_s).result is None  # still pending: same ticket
    loop.step(12)
    first = loop.completed["dup-1"]
    assert first.status is CommandStatus.DONE
    again = loop.plane.submit(c, loop.t_s)
    assert again.result == first
    loop.step(12)
    switched = [r for r in loop.relays if r[2] == "6"]
    assert [on for *_, on in switched] == [False, True]
    assert len(loop.codes("OUTLET_CYCLE")) == 1


def test_welded_relay_gives_stuck_on_never_success(make_loop) -> None:
    loop = make_loop()
    loop.start()
    loop.rack.welded.add(("pdu-a", "9"))
    loop.plane.submit(cmd(OutletAction.OFF, ["9"], "w1"), loop.t_s)
    loop.step(5)
    r = loop.completed["w1"]
    assert r.status is CommandStatus.FAILED
    assert r.outlets[0].event_code == "OUTLET_STUCK_ON"
    ev = loop.codes("OUTLET_STUCK_ON")
    assert len(ev) == 1 and ev[0].reason_code == "relay_welded"
    assert ev[0].evidence["value"] > 0.05 and ev[0].command_id == "w1"
    assert not loop.codes("OUTLET_OFF")


def test_dead_relay_gives_stuck_off(make_loop) -> None:
    loop = make_loop()
    loop.start()
    loop.plane.submit(cmd(OutletAction.OFF, ["10"], "d0"), loop.t_s)
    loop.step(3)
    loop.rack.dead.add(("pdu-a", "10"))
    loop.plane.submit(cmd(OutletAction.ON, ["10"], "d1"), loop.t_s)
    loop.step(6)
    r = loop.completed["d1"]
    assert r.status is CommandStatus.FAILED
    assert loop.codes("OUTLET_STUCK_OFF")[0].reason_code == "relay_not_closed"


def test_no_current_while_load_expected_is_stuck_off(make_loop) -> None:
    loop = make_loop()
    loop.start()
    loop.step(2)  # learn the outlet's load
    loop.plane.submit(cmd(OutletAction.OFF, ["11"], "n0"), loop.t_s)
    loop.step(3)
    loop.rack.load_a[("pdu-a", "11")] = 0.0  # relay closes but nothing flows
    loop.plane.submit(cmd(OutletAction.ON, ["11"], "n1"), loop.t_s)
    loop.step(6)
    assert loop.completed["n1"].status is CommandStatus.FAILED
    assert loop.codes("OUTLET_STUCK_OFF")[0].reason_code == "no_current_load_expected"


def test_denied_rejected_and_locked_out_are_distinct(make_loop) -> None:
    loop = make_loop(settings=ControlSettings(denied_actors=frozenset({"user/mallory"})))
    loop.start()
    denied = loop.plane.submit(cmd(OutletAction.OFF, ["1"], "x1", actor="user/mallory"), 0.0)
    assert denied.result is not None and denied.result.status is CommandStatus.DENIED
    bad = loop.plane.submit(cmd(OutletAction.OFF, ["99"], "x2"), 0.0)
    assert bad.result is not None and bad.result.status is CommandStatus.REJECTED
    # trip outlet 2 with an instant OCP, then try to switch it on
    loop.step(5)
    loop.rack.load_a[("pdu-a", "2")] = 30.0
    loop.step(2)
    assert loop.plane.is_locked_out("pdu-a", "2")
    held = loop.plane.submit(cmd(OutletAction.ON, ["2"], "x3"), loop.t_s)
    assert held.result is not None and held.result.status is CommandStatus.LOCKED_OUT
    loop.step(1)
    assert loop.codes("OUTLET_COMMAND_DENIED")[0].actor == "user/mallory"


def test_acknowledge_releases_after_cooldown(make_loop) -> None:
    loop = make_loop()
    loop.start()
    loop.step(5)
    loop.rack.load_a[("pdu-a", "2")] = 30.0
    loop.step(2)
    loop.rack.load_a[("pdu-a", "2")] = 1.0
    ev = loop.plane.acknowledge("pdu-a", "2", "user/alice")
    assert ev.event_code == "ALARM_ACKNOWLEDGED" and ev.action_taken == "unlock"
    assert loop.plane.is_locked_out("pdu-a", "2")  # cooldown 30 s still running
    loop.step(160)
    assert not loop.plane.is_locked_out("pdu-a", "2")
    assert loop.rack.relay[("pdu-a", "2")] is False  # acknowledging does not switch on
    loop.plane.submit(cmd(OutletAction.ON, ["2"], "ack-on"), loop.t_s)
    loop.step(4)
    assert loop.completed["ack-on"].status is CommandStatus.DONE


def test_last_commanded_state_is_persisted(make_loop) -> None:
    from smartpdu.control import MemoryKv

    kv = MemoryKv()
    loop = make_loop(kv=kv)
    loop.start()
    loop.plane.submit(cmd(OutletAction.OFF, ["12"], "p1"), loop.t_s)
    loop.step(3)
    # controller restarts while the latching relay is (somehow) closed again: power-up "last"
    again = make_loop(kv=kv)
    again.rack.relay[("pdu-a", "12")] = True
    again.start()
    assert ("pdu-a", "12") in {(p, o) for _, p, o, on in again.relays if not on}
