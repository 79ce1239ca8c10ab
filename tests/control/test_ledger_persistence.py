"""The idempotency ledger survives restarts through the key/value store, bounded as a ring."""

from __future__ import annotations

from smartpdu.control import CommandLedger, MemoryKv
from smartpdu.model.commands import CommandResult, CommandStatus, OutletOutcome


def _result(cid: str) -> CommandResult:
    return CommandResult(
        cid,
        CommandStatus.FAILED,
        (OutletOutcome("7", CommandStatus.FAILED, "relay welded", "OUTLET_STUCK_ON"),),
        "outlet 7: relay welded",
        (12, 13),
    )


def test_results_round_trip_and_old_ones_are_evicted() -> None:
    kv = MemoryKv()
    ledger = CommandLedger(capacity=2, kv=kv)
    for cid in ("a", "b"):
        ledger.finish(_result(cid))
    fresh = CommandLedger(capacity=2, kv=kv)  # a restarted controller
    assert fresh.result("a") == _result("a") and fresh.known("b")
    fresh.finish(_result("c"))  # overwrites the slot of "a"
    later = CommandLedger(capacity=2, kv=kv)
    assert later.result("a") is None and not later.known("a")
    assert later.result("b") == _result("b") and later.result("c") == _result("c")
    assert sum(1 for k in kv.data if k.startswith("command/id/")) == 2
