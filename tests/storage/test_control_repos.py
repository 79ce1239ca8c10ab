"""Typed repositories of migration 4 on both backends, and the kv → table upgrade on each."""

from __future__ import annotations

import json
from collections.abc import Callable

from store_upgrade import LATEST, since

from smartpdu.control.commands import CommandLedger, result_to_json
from smartpdu.model.commands import CommandResult, CommandStatus, OutletOutcome
from smartpdu.protection.lockout import OutletHold
from smartpdu.storage import CalibrationRecord, SqlStore

Opener = Callable[[], SqlStore]
Upgrade = Callable[..., SqlStore]


def _result(cid: str) -> CommandResult:
    return CommandResult(
        cid, CommandStatus.FAILED, (OutletOutcome("3", CommandStatus.FAILED, "stuck", None),), "x"
    )


def test_outlet_memory_round_trip_and_release(backend: tuple[str, Opener]) -> None:
    store = backend[1]()
    mem = store.outlet_memory
    hold = OutletHold("RCM_TRIP", 1.5, True, 31.5, (1.5, 0.5), acknowledged=True)
    assert mem.load_hold("pdu-a", "7") is None
    mem.save_hold("pdu-a", "7", hold)
    mem.save_intent("pdu-a", "7", False)
    mem.save_intent("pdu-a", "8", True)
    store.close()
    again = backend[1]()  # survives a restart
    assert again.outlet_memory.load_hold("pdu-a", "7") == hold
    assert again.outlet_memory.last_commanded("pdu-a", "7") is False
    assert again.outlet_memory.last_commanded("pdu-a", "8") is True
    again.outlet_memory.save_hold("pdu-a", "7", None)
    assert again.outlet_memory.load_hold("pdu-a", "7") is None


def test_command_results_keep_the_newest_capacity(backend: tuple[str, Opener]) -> None:
    store = backend[1]()
    ledger = CommandLedger(capacity=2, repo=store.command_results)
    for cid in ("a", "b", "c"):
        ledger.finish(_result(cid))
    fresh = CommandLedger(capacity=2, repo=backend[1]().command_results)
    assert fresh.result("a") is None
    assert fresh.result("b") == _result("b") and fresh.result("c") == _result("c")


def test_calibration_versions_are_kept(backend: tuple[str, Opener]) -> None:
    cals = backend[1]().calibrations
    r1 = CalibrationRecord("pdu-a", 1, "2026-01-01T00:00:00Z", "bench", 123, '{"v":1}')
    r2 = CalibrationRecord("pdu-a", 2, "2026-01-02T00:00:00Z", "field", None, '{"v":2}')
    cals.save(r1)
    cals.save(r2)
    assert cals.latest("pdu-a") == r2 and cals.history("pdu-a") == [r1, r2]
    assert cals.latest("pdu-b") is None


def _release3_kv() -> dict[str, str]:
    hold = {
        "reason_code": "OVERCURRENT",
        "since_s": 3.0,
        "latched": True,
        "cooldown_until_s": 33.0,
        "trips_s": [3.0],
    }  # fmt: skip  (release-2 shape)
    cal = {"version": 4, "timestamp": "2026-01-01T00:00:00Z", "source": "bench",
           "channels": {}, "crc32": 99}  # fmt: skip
    return {
        "command/id/old": result_to_json(_result("old")),
        "command/id/new": result_to_json(_result("new")),
        "command/slot/4095": "old",
        "command/slot/0": "new",
        "command/next": "1",
        "control/pdu-a/outlet/1/hold": json.dumps(hold),
        "control/pdu-a/outlet/1/commanded": "off",
        "calibration/pdu-a": json.dumps(cal),
        "redfish/sub/1": "{}",
    }


def _check_upgraded(store: SqlStore) -> None:
    assert store.schema_version() == LATEST
    ledger = CommandLedger(capacity=2, repo=store.command_results)
    assert ledger.result("old") == _result("old") and ledger.result("new") == _result("new")
    ledger.finish(_result("newest"))  # the wrapped slot 4095 was older: it goes first
    assert ledger.result("old") is None and ledger.result("new") is not None
    assert store.outlet_memory.load_hold("pdu-a", "1") == OutletHold(
        "OVERCURRENT", 3.0, True, 33.0, (3.0,)
    )
    assert store.outlet_memory.last_commanded("pdu-a", "1") is False
    latest = store.calibrations.latest("pdu-a")
    assert latest is not None and (latest.version, latest.crc32) == (4, 99)
    assert store.kv_items() == {"redfish/sub/1": "{}"}


def test_upgrade_moves_kv_rows(upgraded: Upgrade) -> None:
    new = upgraded(3, _release3_kv())
    assert new.applied_migrations == since(4)  # type: ignore[attr-defined]
    _check_upgraded(new)
