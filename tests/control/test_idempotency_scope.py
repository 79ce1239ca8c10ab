"""Idempotency keys are scoped to the actor and bound to the request they were first used with."""

from __future__ import annotations

from smartpdu.control import CommandLedger, MemoryKv
from smartpdu.control.commands import client_key, fingerprint, scoped_key
from smartpdu.model.commands import CommandResult, CommandStatus, OutletAction, OutletCommand


def cmd(outlet: str, actor: str, cid: str = "k1", **kw) -> OutletCommand:
    return OutletCommand("pdu-a", (outlet,), OutletAction.OFF, actor, cid, **kw)


def test_scoped_keys_round_trip_even_with_separators_in_the_key() -> None:
    key = scoped_key("user/alice", "a#b/c")
    assert key != scoped_key("user/bob", "a#b/c")
    assert client_key(key) == "a#b/c"


def test_fingerprint_tells_requests_apart() -> None:
    assert fingerprint(cmd("7", "user/a")) == fingerprint(cmd("7", "user/b", "other"))
    assert fingerprint(cmd("7", "user/a")) != fingerprint(cmd("8", "user/a"))
    assert fingerprint(cmd("7", "user/a")) != fingerprint(cmd("7", "user/a", off_period_s=2))


def test_two_actors_one_key_two_commands_and_a_conflict(make_loop) -> None:
    loop = make_loop()
    loop.start()
    assert loop.plane.submit(cmd("15", "user/alice"), loop.t_s).result is None
    assert loop.plane.submit(cmd("16", "user/bob"), loop.t_s).result is None  # not a replay
    loop.step(4)
    assert loop.rack.relay[("pdu-a", "15")] is False and loop.rack.relay[("pdu-a", "16")] is False
    clash = loop.plane.submit(cmd("14", "user/alice"), loop.t_s).result
    assert clash is not None and clash.status is CommandStatus.REJECTED
    assert "different request" in clash.detail and "k1" in clash.detail
    loop.step(4)
    assert loop.rack.relay[("pdu-a", "14")] is True
    replay = loop.plane.submit(cmd("15", "user/alice"), loop.t_s).result
    assert replay is not None and replay.status is CommandStatus.DONE
    assert replay.command_id == "k1" and replay.outlets[0].outlet_id == "15"
    offs = [(e.source, e.actor, e.command_id) for e in loop.codes("OUTLET_OFF")]
    assert sorted(offs) == [("outlet/15", "user/alice", "k1"), ("outlet/16", "user/bob", "k1")]


def test_the_binding_survives_a_restart() -> None:
    kv = MemoryKv()
    ledger = CommandLedger(kv=kv)
    key = scoped_key("user/alice", "k9")
    ledger.claim(key, "off pdu-a/7 via api")
    ledger.finish(CommandResult("k9", CommandStatus.DONE), key)
    fresh = CommandLedger(kv=kv)
    assert fresh.fingerprint_of(key) == "off pdu-a/7 via api"
    assert fresh.result(key) == CommandResult("k9", CommandStatus.DONE)
    assert fresh.fingerprint_of(scoped_key("user/bob", "k9")) is None


def test_citing_event_ids_refiles_the_result_of_the_right_actor() -> None:
    """Two actors finished one client key in the same tick: each result gets its own events."""
    from smartpdu.model.commands import OutletOutcome

    kv = MemoryKv()
    ledger = CommandLedger(kv=kv)
    ka, kb = scoped_key("user/a", "k"), scoped_key("user/b", "k")
    ra = CommandResult("k", CommandStatus.DONE, (OutletOutcome("15", CommandStatus.DONE),))
    rb = CommandResult("k", CommandStatus.DONE, (OutletOutcome("16", CommandStatus.DONE),))
    ledger.finish(ra, ka)
    ledger.finish(rb, kb)
    cited_b = CommandResult("k", CommandStatus.DONE, rb.outlets, event_sequence_ids=(11,))
    cited_a = CommandResult("k", CommandStatus.DONE, ra.outlets, event_sequence_ids=(10,))
    ledger.cite(cited_b)
    ledger.cite(cited_a)
    assert ledger.result(kb) == cited_b and ledger.result(ka) == cited_a
    reopened = CommandLedger(kv=kv)  # what a restart reads back
    assert reopened.result(ka) == cited_a and reopened.result(kb) == cited_b
    assert not ledger.uncited
