"""AuthService against a real SQLite store and the real hash-chained event log."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smartpdu.access import (
    AuthError,
    AuthService,
    LastAdminError,
    Permission,
    PolicyError,
    Principal,
    Role,
    UserExistsError,
    UserNotFoundError,
    token_hash,
    verify_password,
)
from smartpdu.events.chain import verify_chain
from smartpdu.events.log import EventLog
from smartpdu.events.signing import DeviceKey
from smartpdu.storage.factory import open_store


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def env(tmp_path: Path):
    store = open_store(f"sqlite:///{tmp_path / 'pdu.db'}")
    clock = Clock()
    key = DeviceKey.generate()
    log = EventLog(store, key, clock)
    auth = AuthService(store, log, clock, session_ttl_s=600, pdu_id="pdu-a")
    yield store, log, auth, clock, key
    store.close()


def codes(store) -> list[str]:
    return [e.event_code for e in store.events_since("pdu-a", 0, 1000)]


def test_role_table() -> None:
    viewer, op, admin = (Principal("x", r) for r in (Role.VIEWER, Role.OPERATOR, Role.ADMIN))
    assert viewer.can(Permission.READ) and not viewer.can(Permission.CONTROL)
    assert op.can(Permission.CONTROL) and not op.can(Permission.CONFIGURE)
    assert not op.can(Permission.MANAGE_USERS)
    assert all(admin.can(p) for p in Permission)
    assert admin.actor == "user/x"


async def test_ensure_admin_generates_once(env) -> None:
    store, _, auth, _, _ = env
    pw = await auth.ensure_admin(None)
    assert pw is not None and len(pw) >= 12
    assert await auth.ensure_admin(None) is None  # second run: untouched
    assert await auth.ensure_admin("another-password") is None
    rec = store.get_user("admin")
    assert rec.role == "admin"
    assert rec.password_hash.startswith("$argon2id$") and pw not in rec.password_hash
    assert verify_password(rec.password_hash, pw)
    assert codes(store) == ["USER_CREATED"]


async def test_ensure_admin_given_password_and_policy(env) -> None:
    _, _, auth, _, _ = env
    with pytest.raises(PolicyError):
        await auth.ensure_admin("short")
    assert await auth.ensure_admin("long-enough-pw") is None
    p = await auth.authenticate("admin", "long-enough-pw", interface="api")
    assert p == Principal("admin", Role.ADMIN)


async def test_login_success_and_failures_are_audited(env) -> None:
    store, _, auth, _, _ = env
    await auth.ensure_admin("admin-password")
    await auth.authenticate("admin", "admin-password", interface="api", remote="10.0.0.1")
    with pytest.raises(AuthError):
        await auth.authenticate("admin", "wrong-password", interface="api", remote="10.0.0.2")
    with pytest.raises(AuthError):
        await auth.authenticate("nobody", "whatever1", interface="cli")
    evs = store.events_since("pdu-a", 0, 100)
    assert [e.event_code for e in evs] == [
        "USER_CREATED",
        "USER_LOGIN",
        "USER_LOGIN_FAILED",
        "USER_LOGIN_FAILED",
    ]
    assert evs[1].actor == "user/admin" and evs[1].evidence["remote"] == "10.0.0.1"
    assert evs[2].evidence["reason"] == "bad password"
    assert evs[3].evidence["reason"] == "unknown user" and evs[3].source == "user/unknown"
    assert all("admin-password" not in str(e.to_dict()) for e in evs)


async def test_sessions_store_only_hash_and_expire(env) -> None:
    store, _, auth, clock, _ = env
    await auth.ensure_admin("admin-password")
    p = await auth.authenticate("admin", "admin-password", interface="api")
    s = await auth.create_session(p, interface="api")
    assert len(s.token) >= 43
    assert store.get_session(s.token) is None
    assert store.get_session(token_hash(s.token)) is not None
    assert await auth.resolve_session(s.token) == p
    assert await auth.resolve_session(s.token + "x") is None
    assert await auth.resolve_session("") is None
    clock.now += timedelta(seconds=601)
    assert await auth.resolve_session(s.token) is None
    assert store.get_session(token_hash(s.token)) is None  # expired session removed


async def test_logout(env) -> None:
    store, _, auth, _, _ = env
    await auth.ensure_admin("admin-password")
    p = await auth.authenticate("admin", "admin-password", interface="api")
    s = await auth.create_session(p, interface="api")
    assert await auth.end_session(s.token)
    assert not await auth.end_session(s.token)
    assert await auth.resolve_session(s.token) is None
    assert codes(store)[-1] == "USER_LOGOUT"


async def test_user_crud_audited_with_actor(env) -> None:
    store, _, auth, _, _ = env
    await auth.ensure_admin("admin-password")
    u = await auth.users.create_user("alice", "alice-password", Role.OPERATOR, actor="user/admin")
    assert u.role is Role.OPERATOR and not u.disabled
    with pytest.raises(UserExistsError):
        await auth.users.create_user("alice", "alice-password", Role.VIEWER, actor="user/admin")
    with pytest.raises(PolicyError):
        await auth.users.create_user("Bad Name", "alice-password", Role.VIEWER, actor="user/admin")
    with pytest.raises(PolicyError):
        await auth.users.create_user("bob", "short", Role.VIEWER, actor="user/admin")
    p = await auth.authenticate("alice", "alice-password", interface="api")
    s = await auth.create_session(p, interface="api")
    u = await auth.users.update_user("alice", actor="user/admin", role=Role.VIEWER)
    assert u.role is Role.VIEWER
    assert await auth.resolve_session(s.token) is None  # demotion ends sessions
    await auth.users.update_user("alice", actor="user/admin", password="new-password-1")
    with pytest.raises(AuthError):
        await auth.authenticate("alice", "alice-password", interface="api")
    await auth.users.update_user("alice", actor="user/admin", disabled=True)
    with pytest.raises(AuthError):
        await auth.authenticate("alice", "new-password-1", interface="api")
    assert [x.username for x in await auth.users.list_users()] == ["admin", "alice"]
    assert await auth.users.delete_user("alice", actor="user/admin")
    assert not await auth.users.delete_user("alice", actor="user/admin")
    with pytest.raises(UserNotFoundError):
        await auth.users.update_user("alice", actor="user/admin", role=Role.ADMIN)
    evs = store.events_since("pdu-a", 0, 100)
    mine = [(e.event_code, e.actor) for e in evs if e.source == "user/alice"]
    assert ("USER_CREATED", "user/admin") in mine
    assert ("USER_UPDATED", "user/admin") in mine
    assert ("PASSWORD_CHANGED", "user/admin") in mine
    assert ("USER_DELETED", "user/admin") in mine


async def test_last_admin_is_protected(env) -> None:
    _, _, auth, _, _ = env
    await auth.ensure_admin("admin-password")
    with pytest.raises(LastAdminError):
        await auth.users.update_user("admin", actor="user/admin", role=Role.VIEWER)
    with pytest.raises(LastAdminError):
        await auth.users.update_user("admin", actor="user/admin", disabled=True)
    with pytest.raises(LastAdminError):
        await auth.users.delete_user("admin", actor="user/admin")
    await auth.users.create_user("root2", "root2-password", Role.ADMIN, actor="user/admin")
    assert await auth.users.delete_user("admin", actor="user/root2")


async def test_audit_chain_of_user_events_verifies(env) -> None:
    store, log, auth, _, key = env
    await auth.ensure_admin("admin-password")
    await auth.users.create_user("alice", "alice-password", Role.VIEWER, actor="user/admin")
    log.checkpoint("pdu-a")
    result = verify_chain(
        store.events_since("pdu-a", 0, 100), store.checkpoints("pdu-a"), key.public_key
    )
    assert result.ok, result.reason


async def test_resolved_sessions_are_cached_briefly_and_invalidated_by_changes(env) -> None:
    store, _, auth, clock, _ = env
    await auth.ensure_admin("admin-password")
    await auth.users.create_user("carol", "carol-password", Role.OPERATOR, actor="user/admin")
    p = await auth.authenticate("carol", "carol-password", interface="api")
    s = await auth.create_session(p, interface="api")
    assert await auth.resolve_session(s.token) == p
    # a change outside this service (direct store edit) is seen after the 2 s cache at most
    store.delete_session(token_hash(s.token))
    assert await auth.resolve_session(s.token) == p
    clock.now += timedelta(seconds=2.1)
    assert await auth.resolve_session(s.token) is None
    # changes through the service take effect at once
    s2 = await auth.create_session(p, interface="api")
    assert await auth.resolve_session(s2.token) == p
    await auth.users.update_user("carol", actor="user/admin", disabled=True)
    assert await auth.resolve_session(s2.token) is None


async def test_concurrent_resolutions_of_one_token_read_the_store_once(env) -> None:
    store, _, auth, _, _ = env
    await auth.ensure_admin("admin-password-1")
    p = await auth.authenticate("admin", "admin-password-1", interface="api")
    s = await auth.create_session(p, interface="api")
    reads = []
    real = store.get_session

    def counted(h):  # type: ignore[no-untyped-def]
        reads.append(h)
        return real(h)

    store.get_session = counted
    got = await asyncio.gather(*(auth.resolve_session(s.token) for _ in range(8)))
    assert got == [p] * 8 and len(reads) == 1
    assert auth.cached_principal(s.token) == p and not auth._resolving  # nothing left behind


async def test_a_resolution_that_raced_a_logout_is_not_cached(env) -> None:
    """The session was read just before the logout deleted it: that request may still pass
    (it was concurrent), but nothing after the logout may (no cached principal)."""
    store, _, auth, _, _ = env
    await auth.ensure_admin("admin-password-1")
    p = await auth.authenticate("admin", "admin-password-1", interface="api")
    s = await auth.create_session(p, interface="api")
    gate, read = threading.Event(), threading.Event()
    real = store.get_session

    def slow_first_read(h):  # type: ignore[no-untyped-def]
        store.get_session = real  # only the resolution's read waits
        found = real(h)
        read.set()
        gate.wait(10)
        return found

    store.get_session = slow_first_read
    racing = asyncio.create_task(auth.resolve_session(s.token))
    assert await asyncio.to_thread(read.wait, 10)
    assert await auth.end_session(s.token)
    gate.set()
    assert await racing == p
    assert auth.cached_principal(s.token) is None
    assert await auth.resolve_session(s.token) is None


async def test_check_basic_is_cached_single_flight_and_invalidated_by_changes(env) -> None:
    _, _, auth, _, _ = env
    await auth.ensure_admin("admin-password-1")
    await auth.users.create_user("op", "operator-pass-1", Role.OPERATOR, actor="user/admin")
    before = auth.credential_checks
    got = await asyncio.gather(
        *(auth.check_basic("op", "operator-pass-1", interface="redfish") for _ in range(6))
    )
    assert {p.role for p in got} == {Role.OPERATOR}
    assert auth.credential_checks == before + 1  # six concurrent requests, one argon2 run
    await auth.check_basic("op", "operator-pass-1", interface="redfish")
    assert auth.credential_checks == before + 1  # cached
    await auth.users.update_user("op", actor="user/admin", role=Role.VIEWER)
    p = await auth.check_basic("op", "operator-pass-1", interface="redfish")
    assert p.role == Role.VIEWER and auth.credential_checks == before + 2
    await auth.users.update_user("op", actor="user/admin", disabled=True)
    with pytest.raises(AuthError):
        await auth.check_basic("op", "operator-pass-1", interface="redfish")
    auth.close()


async def test_sessions_are_listed_and_revoked_by_id_with_an_audit(env) -> None:
    store, _, auth, _, _ = env
    await auth.ensure_admin("admin-password-1")
    p = await auth.authenticate("admin", "admin-password-1", interface="api")
    info = await auth.create_session(p, interface="redfish")
    views = await auth.list_sessions()
    assert [v.username for v in views] == ["admin"] and views[0].interface == "redfish"
    assert await auth.resolve_session(info.token) == p
    assert await auth.revoke_session(views[0].id, actor="user/ops", interface="redfish")
    assert await auth.resolve_session(info.token) is None  # evicted from the cache at once
    assert await auth.list_sessions() == []
    assert not await auth.revoke_session(views[0].id, actor="user/ops", interface="redfish")
    last = store.events_since("pdu-a", 0, 1000)[-1]
    assert last.event_code == "USER_LOGOUT" and last.actor == "user/ops"
    assert last.evidence["revoked_by_other"] is True
    auth.close()
