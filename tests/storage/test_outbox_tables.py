"""The outbox tables (migration 7: cursors, delivery log) on both backends, and the kv move."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict

import pytest
from store_upgrade import LATEST, since

from smartpdu.events.outbox_store import DeliveryCursor, DeliveryRecord, OutboxRepository
from smartpdu.storage import SqlStore

Opener = Callable[[], SqlStore]
Upgrade = Callable[..., SqlStore]


def test_cursors_round_trip_and_forget(backend: tuple[str, Opener]) -> None:
    repo = backend[1]().outbox
    assert repo.cursor("d1", "pdu-a") is None and repo.cursors("d1") == {}
    repo.set_cursor("d1", "pdu-a", DeliveryCursor(41, 50))
    repo.set_cursor("d1", "pdu-b", DeliveryCursor(7))
    repo.set_cursor("d2", "pdu-a", DeliveryCursor(2**40))  # beyond 32 bits
    repo.set_cursor("d1", "pdu-a", DeliveryCursor(50))  # acknowledged: pending cleared
    again = backend[1]().outbox  # survives a restart
    assert again.cursors("d1") == {"pdu-a": DeliveryCursor(50), "pdu-b": DeliveryCursor(7)}
    assert again.cursor("d2", "pdu-a") == DeliveryCursor(2**40)
    assert again.forget("d1") == 2 and again.forget("d1") == 0  # cursors only: no log yet
    assert again.cursors("d1") == {} and again.cursors("d2") != {}


def _record(n: int, ok: bool = True) -> DeliveryRecord:
    return DeliveryRecord(
        n, f"d1.pdu-a.1-{n}", "pdu-a", 1, n, n, n, ok, "HTTP 204" if ok else "boom", 0.25, "t"
    )


def test_log_keeps_the_newest_and_survives_a_restart(backend: tuple[str, Opener]) -> None:
    tables = backend[1]().outbox
    for n in range(1, 6):
        tables.append_log("d1", _record(n, ok=n % 2 == 0), keep=3)
    tables.append_log("d2", _record(1), keep=3)
    again = backend[1]().outbox
    assert again.log("d1") == [_record(3, False), _record(4), _record(5, False)]
    again.set_cursor("d1", "pdu-a", DeliveryCursor(5))
    assert again.forget("d1") == 4  # one cursor, three records
    assert again.log("d1") == [] and again.log("d2") == [_record(1)]


def test_outbox_repository_reads_cursors_from_the_table(backend: tuple[str, Opener]) -> None:
    store = backend[1]()
    repo = OutboxRepository(store)
    assert repo.cursor("d1", "pdu-a") == DeliveryCursor()  # never delivered
    repo.set_cursor("d1", "pdu-a", DeliveryCursor(3, 9))
    assert store.outbox.cursor("d1", "pdu-a") == DeliveryCursor(3, 9)
    repo.append_log("d1", _record(1))
    assert store.outbox.log("d1") == [_record(1)] and repo.last_log_n("d1") == 1
    assert store.kv_items() == {}  # nothing of the outbox in kv any more
    with pytest.raises(ValueError, match="destination id"):
        repo.set_cursor("bad/id", "pdu-a", DeliveryCursor(1))


def _old_kv() -> dict[str, str]:
    """What releases before migration 7 wrote (OutboxRepository over kv)."""
    return {
        "outbox/redfish-1/cursor/pdu-a": json.dumps({"delivered": 41, "pending_last": 50}),
        "outbox/redfish-1/cursor/pdu-b": json.dumps({"delivered": 7, "pending_last": None}),
        "outbox/trips/cursor/pdu-a": "garbage",  # unreadable: stays in kv
        "outbox/redfish-1/log/00001": json.dumps(asdict(_record(1))),
        "outbox/redfish-1/log/00002": json.dumps(asdict(_record(2, ok=False))),
        "outbox/redfish-1/log/00003": '{"n": 3}',  # unreadable: stays in kv
    }


def _check_upgraded(store: SqlStore) -> None:
    assert store.schema_version() == LATEST
    assert store.outbox.cursors("redfish-1") == {
        "pdu-a": DeliveryCursor(41, 50),
        "pdu-b": DeliveryCursor(7),
    }
    assert store.outbox.cursors("trips") == {}
    old = _old_kv()
    assert store.outbox.log("redfish-1") == [_record(1), _record(2, ok=False)]
    assert store.kv_items() == {
        k: old[k] for k in ("outbox/trips/cursor/pdu-a", "outbox/redfish-1/log/00003")
    }


def test_upgrade_moves_kv_cursors_and_log(upgraded: Upgrade) -> None:
    new = upgraded(6, _old_kv())
    assert new.applied_migrations == since(7)  # type: ignore[attr-defined]
    _check_upgraded(new)
