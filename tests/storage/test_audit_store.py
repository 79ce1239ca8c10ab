"""audit_verify on each backend: tampering directly in the database is detected and located."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from smartpdu.events import DeviceKey, EventCode, EventLog, NewEvent, audit_verify
from smartpdu.storage import SqlStore


class Clock:
    def __init__(self) -> None:
        self.t = datetime(2026, 3, 1, tzinfo=UTC)
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            self.t += timedelta(seconds=1)
            return self.t


def fill(store: SqlStore, n: int = 30, every: int = 10) -> DeviceKey:
    key = DeviceKey.generate()
    log = EventLog(store, key, Clock(), checkpoint_every=every, checkpoint_interval_s=3600)
    for i in range(n):
        log.append(
            NewEvent(
                pdu_id="pdu-a",
                source=f"outlet/{i % 8 + 1}",
                event_code=EventCode.OUTLET_ON,
                message=f"Outlet {i % 8 + 1} on",
                evidence={"power_w": 100.0 + i},
                actor="bob",
            )
        )
    log.close()
    return key


def raw(store: SqlStore, statement: str) -> None:
    """Tamper like an attacker with database access (bypassing the Store API)."""
    store._conn.execute(statement)  # type: ignore[attr-defined]  # both backends autocommit


def test_untouched_store_verifies(store: SqlStore) -> None:
    key = fill(store)
    res = audit_verify(store, "pdu-a", key.public_key)
    assert res.ok and (res.events_checked, res.checkpoints_checked) == (30, 3)
    assert audit_verify(store, "pdu-unknown", key.public_key).ok  # empty log


@pytest.mark.parametrize(
    "assignment",
    [
        "message = 'Outlet 3 off'",
        "actor = 'mallory'",
        "evidence = '{\"power_w\":1.0}'",
        "severity = 'critical'",
        "timestamp_utc = '2026-03-01T00:00:12.500000Z'",
    ],
)
def test_altered_field_names_its_sequence_id(store: SqlStore, assignment: str) -> None:
    key = fill(store)
    raw(store, f"UPDATE events SET {assignment} WHERE pdu_id = 'pdu-a' AND sequence_id = 13")
    res = audit_verify(store, "pdu-a", key.public_key)
    assert (res.ok, res.first_bad_sequence_id) == (False, 13), res.reason


def test_deleted_event_names_the_gap(store: SqlStore) -> None:
    key = fill(store)
    raw(store, "DELETE FROM events WHERE pdu_id = 'pdu-a' AND sequence_id = 21")
    res = audit_verify(store, "pdu-a", key.public_key)
    assert (res.ok, res.first_bad_sequence_id) == (False, 21) and "missing" in res.reason


def test_truncated_tail_is_detected_through_the_shutdown_checkpoint(store: SqlStore) -> None:
    key = fill(store, n=25)  # checkpoints at 10, 20 and 25 (close)
    raw(store, "DELETE FROM events WHERE pdu_id = 'pdu-a' AND sequence_id > 22")
    res = audit_verify(store, "pdu-a", key.public_key)
    assert (res.ok, res.first_bad_sequence_id) == (False, 23)


def test_wrong_public_key_fails(store: SqlStore) -> None:
    fill(store)
    res = audit_verify(store, "pdu-a", DeviceKey.generate().public_key)
    assert not res.ok and "signed by key" in res.reason


def test_resequenced_rows_are_detected(store: SqlStore) -> None:
    key = fill(store)
    # Hide event 5 by renumbering everything after it down by one.
    raw(store, "DELETE FROM events WHERE pdu_id = 'pdu-a' AND sequence_id = 5")
    for s in range(6, 31):
        raw(
            store,
            f"UPDATE events SET sequence_id = {s - 1} WHERE pdu_id = 'pdu-a' AND sequence_id = {s}",
        )
    res = audit_verify(store, "pdu-a", key.public_key)
    assert (res.ok, res.first_bad_sequence_id) == (False, 5)
