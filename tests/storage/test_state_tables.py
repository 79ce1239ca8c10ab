"""Migration 8 on both backends: sessions with public id and interface, alarm state, maximum
demand and residual trends in typed tables, and the move of each out of key/value."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from store_upgrade import since

from smartpdu.events.outbox_store import DeliveryCursor
from smartpdu.model.accounts import SessionRecord, UserRecord, session_public_id
from smartpdu.storage import SqlStore

Opener = Callable[[], SqlStore]
Upgrade = Callable[..., SqlStore]
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _alarm(aid: int, state: str, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": aid, "key": f"r/e{aid}/high", "rule": "r", "condition": "high",
        "severity": "warning", "entity": f"pdu-a/outlet/{aid}", "pdu_id": "pdu-a",
        "metric": "current_a", "unit": "A", "limit": 10.0, "value": 11.5, "peak": 12.0,
        "state": state, "raised_utc": "2026-03-01T00:00:00Z", "event_code": "ALARM_RAISED",
    }  # fmt: skip
    return {**base, **kw}


STATE = {
    "next_id": 7,
    "active": [
        {"alarm": _alarm(5, "raised"), "acknowledged": False},
        {"alarm": _alarm(6, "acknowledged", acknowledged_by="user/ops"), "acknowledged": True},
    ],
    "history": [_alarm(3, "cleared", cleared_utc="t3"), _alarm(1, "cleared", cleared_utc="t4")],
}


def test_sessions_are_found_by_public_id_and_listed_live(backend: tuple[str, Opener]) -> None:
    store = backend[1]()
    store.create_user(UserRecord("ops", "operator", "h", T0))
    late = SessionRecord("b" * 64, "ops", T0 + timedelta(minutes=1), T0 + timedelta(hours=2))
    early = SessionRecord("a" * 64, "ops", T0, T0 + timedelta(hours=1), "redfish")
    for s in (late, early):
        store.create_session(s)
    again = backend[1]()  # survives a restart
    assert again.find_session(early.id) == early and early.id == session_public_id("a" * 64)
    assert again.get_session("b" * 64) == late and late.interface == "api"
    assert again.list_sessions(T0) == [early, late]
    assert again.list_sessions(T0 + timedelta(hours=1)) == [late]  # expired: not live
    assert again.find_session("0" * 16) is None
    assert again.delete_session(early.token_hash) and again.find_session(early.id) is None
    assert again.kv_items() == {}  # no index copy in key/value any more


def test_alarm_state_round_trip(backend: tuple[str, Opener]) -> None:
    repo = backend[1]().alarm_state
    assert repo.load() is None  # never saved
    repo.save(STATE)
    assert backend[1]().alarm_state.load() == STATE  # order kept: history oldest first
    repo.save({"next_id": 9, "active": [], "history": []})
    assert repo.load() == {"next_id": 9, "active": [], "history": []}


def test_max_demand_round_trip(backend: tuple[str, Opener]) -> None:
    repo = backend[1]().max_demand
    assert repo.load("pdu-a") == {}
    repo.save("pdu-a", {"L1": 12.5, "power": 2875.25})
    repo.save("pdu-a", {"L1": 13.0})  # upsert: power keeps its value
    repo.save("pdu-b", {"L1": 1.0})
    assert backend[1]().max_demand.load("pdu-a") == {"L1": 13.0, "power": 2875.25}


def test_residual_trends_round_trip(backend: tuple[str, Opener]) -> None:
    repo = backend[1]().residual_trends
    assert repo.load() == {}
    repo.save({"pdu-a/inlet": [(1800.0, 3.25), (5400.0, 3.5)], "pdu-a/branch/B1": []})
    assert backend[1]().residual_trends.load() == {
        "pdu-a/branch/B1": [],
        "pdu-a/inlet": [(1800.0, 3.25), (5400.0, 3.5)],
    }
    repo.save({"pdu-b/inlet": [(1.0, 2.0)]})  # replaces the whole set (configuration change)
    assert repo.load() == {"pdu-b/inlet": [(1.0, 2.0)]}


def _release7_kv() -> dict[str, str]:
    """What releases before migration 8 kept in key/value."""
    entry = {"token_hash": "a" * 64, "username": "ops", "created_utc": T0.isoformat(),
             "expires_utc": (T0 + timedelta(hours=1)).isoformat(), "interface": "redfish"}  # fmt: skip
    gone = {**entry, "token_hash": "c" * 64}
    trends = {"pdu-a/inlet": {"points": [[1800.0, 3.25], [5400.0, 3.5]]}}
    return {
        f"access/session/{session_public_id('a' * 64)}": json.dumps(entry),
        f"access/session/{session_public_id('c' * 64)}": json.dumps(gone),  # session gone
        "access/session/broken": "{",  # unreadable: stays
        "alarms/state": json.dumps(STATE),
        "demand/pdu-a": json.dumps({"max_demand": [12.5, 11.0, 10.5, 2875.25]}),
        "demand/pdu-b": "garbage",  # unreadable: stays
        "residual/trends": json.dumps(trends),
        "redfish/cursor/3/pdu-a": "5",
        "redfish/cursor/4/pdu-a": "x",  # unreadable: stays
        "calibration/pdu-a/bench_seed": "42",  # the twin bench's seed: belongs in kv
    }


def _sessions_of_release7(old: SqlStore) -> None:
    old.create_user(UserRecord("ops", "operator", "h", T0))
    for th in ("a" * 64, "b" * 64):  # b: opened without an index entry
        old._write(
            "INSERT INTO sessions (token_hash, username, created_utc, expires_utc) "
            "VALUES (?, ?, ?, ?)",
            (th, "ops", "2026-03-01T00:00:00.000000Z", "2026-03-01T01:00:00.000000Z"),
        )


def test_upgrade_moves_runtime_state_out_of_kv(upgraded: Upgrade) -> None:
    new = upgraded(7, _release7_kv(), _sessions_of_release7)
    assert new.applied_migrations == since(8)  # type: ignore[attr-defined]
    a = new.find_session(session_public_id("a" * 64))
    assert a is not None and a.interface == "redfish"
    b = new.find_session(session_public_id("b" * 64))  # id computed, interface defaulted
    assert b is not None and b.interface == "api"
    assert new.alarm_state.load() == STATE
    assert new.max_demand.load("pdu-a") == {"L1": 12.5, "L2": 11.0, "L3": 10.5, "power": 2875.25}
    assert new.residual_trends.load() == {"pdu-a/inlet": [(1800.0, 3.25), (5400.0, 3.5)]}
    assert new.outbox.cursors("redfish-3") == {"pdu-a": DeliveryCursor(5)}
    old = _release7_kv()
    kept = ("access/session/broken", "demand/pdu-b", "redfish/cursor/4/pdu-a",
            "calibration/pdu-a/bench_seed")  # fmt: skip
    assert new.kv_items() == {k: old[k] for k in kept}
