"""Energy registers, config versions, users/sessions and key/value state on every backend."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from smartpdu.storage import (
    ConfigVersion,
    ConflictError,
    EnergyRegisterState,
    NotFoundError,
    Reading,
    SessionRecord,
    SqlStore,
    UserRecord,
)

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def test_energy_upsert_replaces_full_state(store: SqlStore) -> None:
    a1 = EnergyRegisterState(
        "pdu-a",
        "outlet/1",
        {"active_import_wh": 1234.000000001, "reactive_varh": 0.1 + 0.2},
        T0,
        {"trip_reset_by": "alice", "trip_reset_utc": "2026-01-01T00:00:00.000000Z"},
    )
    a2 = EnergyRegisterState("pdu-a", "outlet/2", {"active_import_wh": 5.0}, T0)
    b1 = EnergyRegisterState("pdu-b", "inlet/A", {"active_import_wh": 9e9}, T0)
    store.save_energy([a1, a2, b1])
    assert store.load_energy() == [a1, a2, b1]  # floats round-trip exactly
    newer = EnergyRegisterState(
        "pdu-a", "outlet/1", {"active_import_wh": 1300.5}, T0 + timedelta(seconds=1)
    )
    store.save_energy([newer])
    assert store.load_energy("pdu-a") == [newer, a2]  # whole state replaced, meta too


def test_config_versions(store: SqlStore) -> None:
    assert store.get_config_version() is None
    assert store.add_config_version("a: 1\n", "admin", "first", T0) == 1
    assert (
        store.add_config_version("a: 2\n# ü\n", "bob", "raise limit", T0 + timedelta(hours=1)) == 2
    )
    infos = store.list_config_versions()
    assert [(i.version, i.author, i.comment) for i in infos] == [
        (1, "admin", "first"),
        (2, "bob", "raise limit"),
    ]
    assert infos[0].created_utc == T0
    assert store.get_config_version(1) == ConfigVersion(1, T0, "admin", "first", "a: 1\n")
    latest = store.get_config_version()
    assert latest is not None and latest.version == 2 and latest.yaml_text == "a: 2\n# ü\n"
    assert store.get_config_version(99) is None


def _user(name: str, role: str = "viewer") -> UserRecord:
    return UserRecord(name, role, "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", T0)


def test_users_crud(store: SqlStore) -> None:
    store.create_user(_user("alice", "admin"))
    store.create_user(_user("bob"))
    with pytest.raises(ConflictError, match="alice"):
        store.create_user(_user("alice"))
    assert store.get_user("alice") == _user("alice", "admin")
    assert [u.username for u in store.list_users()] == ["alice", "bob"]
    updated = store.update_user("bob", role="operator", disabled=True)
    assert (updated.role, updated.disabled, updated.password_hash) == (
        "operator",
        True,
        _user("bob").password_hash,
    )
    assert store.get_user("bob") == updated
    store.update_user("bob", password_hash="new-hash", disabled=False)
    bob = store.get_user("bob")
    assert bob is not None and bob.password_hash == "new-hash" and not bob.disabled
    with pytest.raises(NotFoundError):
        store.update_user("carol", role="admin")
    assert store.delete_user("bob") is True
    assert store.delete_user("bob") is False
    assert store.get_user("bob") is None


def test_sessions(store: SqlStore) -> None:
    store.create_user(_user("alice"))
    s1 = SessionRecord("h1", "alice", T0, T0 + timedelta(hours=1))
    s2 = SessionRecord("h2", "alice", T0, T0 + timedelta(hours=8))
    store.create_session(s1)
    store.create_session(s2)
    with pytest.raises(ConflictError):
        store.create_session(s1)
    with pytest.raises(ConflictError):
        store.create_session(SessionRecord("h3", "nobody", T0, T0))  # unknown user
    assert store.get_session("h1") == s1
    assert store.purge_sessions(T0 + timedelta(hours=1)) == 1  # expiry is inclusive
    assert store.get_session("h1") is None
    assert store.delete_session("h2") is True and store.delete_session("h2") is False
    store.create_session(s2)
    store.delete_user("alice")
    assert store.get_session("h2") is None  # deleting a user ends its sessions
    store.create_user(_user("bob"))
    store.create_session(SessionRecord("b1", "bob", T0, T0 + timedelta(days=1)))
    store.create_session(SessionRecord("b2", "bob", T0, T0 + timedelta(days=1)))
    assert store.delete_user_sessions("bob") == 2


def test_kv(store: SqlStore) -> None:
    assert store.kv_get("relay/pdu-a/1") is None
    store.kv_set("relay/pdu-a/1", "on")
    store.kv_set("relay/pdu-a/2", "off")
    store.kv_set("relay/pdu-b/1", "on")
    store.kv_set("relay/pdu-a/1", "off")
    assert store.kv_get("relay/pdu-a/1") == "off"
    assert store.kv_items("relay/pdu-a/") == {"relay/pdu-a/1": "off", "relay/pdu-a/2": "off"}
    assert len(store.kv_items()) == 3
    assert store.kv_items("relay/pdu-a%") == {}  # prefix is literal, not a LIKE pattern
    assert store.kv_delete("relay/pdu-b/1") is True
    assert store.kv_delete("relay/pdu-b/1") is False


def test_concurrent_threads_share_one_store(store: SqlStore) -> None:
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(50):
                store.kv_set(f"t{t}/{i}", str(i))
                store.write_readings(
                    [Reading("pdu-a", f"k{t}", T0 + timedelta(seconds=i), float(i))]
                )
                store.kv_get(f"t{t}/{i}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert len(store.kv_items()) == 200
    pts = store.history("pdu-a", "k3", T0, T0 + timedelta(minutes=1), step_s=1)
    assert len(pts) == 50
