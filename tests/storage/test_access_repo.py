"""Migration 9's access tables on SQLite and real PostgreSQL: credentials and the access log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smartpdu.model.access import (
    AccessEntry,
    AccessMethod,
    AccessQuery,
    AccessResult,
    LeverCredential,
)
from smartpdu.storage import ConflictError, SqlStore
from smartpdu.storage.records import UserRecord

T0 = "2026-01-01T00:00:00.000000Z"


def _user(store: SqlStore, name: str) -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    store.create_user(UserRecord(name, "operator", "$argon2id$v=19$m=6,t=3,p=4$c2FsdA$aA", created))


def test_credentials_round_trip_unique_card_and_cascade(store: SqlStore) -> None:
    _user(store, "alice")
    _user(store, "bob")
    cred = LeverCredential(
        "alice", "$argon2id$pin", "d1", ("mon-fri 08:00-18:00",), "Europe/Berlin", T0
    )
    store.access.save_credential(cred)
    assert store.access.get_credential("alice") == cred
    assert store.access.credential_by_card("d1") == cred
    assert store.access.credential_by_card("nope") is None
    changed = LeverCredential("alice", None, "d2", (), "UTC", T0)
    store.access.save_credential(changed)  # upsert
    assert store.access.get_credential("alice") == changed
    with pytest.raises(ConflictError, match="already assigned"):  # one card, one user
        store.access.save_credential(LeverCredential("bob", None, "d2", (), "UTC", T0))
    with pytest.raises(ConflictError):  # no such user
        store.access.save_credential(LeverCredential("carol", None, None, (), "UTC", T0))
    assert store.delete_user("alice")
    assert store.access.get_credential("alice") is None  # credentials go with the user
    assert not store.access.delete_credential("alice")


def test_access_log_filters_and_close_visit(store: SqlStore) -> None:
    log = store.access
    a = log.append_access(AccessEntry("2026-01-01T10:00:00.000000Z", "lever-front", "user/op",
                                      AccessMethod.PIN, AccessResult.GRANTED, "ok",
                                      opened_utc="2026-01-01T10:00:05.000000Z"))  # fmt: skip
    b = log.append_access(AccessEntry("2026-01-01T11:00:00.000000Z", "lever-rear", "unknown",
                                      AccessMethod.FORCED, AccessResult.FORCED, "handle forced"))  # fmt: skip
    log.append_access(AccessEntry("2026-01-01T12:00:00.000000Z", "lever-front", "user/x",
                                  AccessMethod.CARD, AccessResult.DENIED, "OUTSIDE_SCHEDULE"))  # fmt: skip
    assert b > a
    log.update_access(a, None, "2026-01-01T10:02:05.000000Z", 120.0)
    rows = log.access_log(AccessQuery())
    assert [r.id for r in rows] == sorted(r.id for r in rows if r.id is not None)
    assert len(rows) == 3 and rows[0].open_s == 120.0
    assert rows[0].closed_utc == "2026-01-01T10:02:05.000000Z"
    front = log.access_log(AccessQuery(lever_id="lever-front"))
    assert [r.actor for r in front] == ["user/op", "user/x"]
    assert [r.result for r in log.access_log(AccessQuery(result="denied"))] == ["denied"]
    window = AccessQuery(since=datetime(2026, 1, 1, 10, 30, tzinfo=UTC),
                         until=datetime(2026, 1, 1, 12, 0, tzinfo=UTC))  # fmt: skip
    assert [r.method for r in log.access_log(window)] == [AccessMethod.FORCED]
    assert len(log.access_log(AccessQuery(limit=2))) == 2
    assert log.access_log(AccessQuery(actor="user/op", method="card")) == []
