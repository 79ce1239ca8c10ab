"""A busy token's cached resolution is re-read ahead of its end, so no request waits for the
store in steady use, without trusting it any longer than before (real SQLite store, real event
log, a hand-moved clock)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from smartpdu.access import AuthService, Principal, Role, token_hash
from smartpdu.access.cache import PrincipalCache
from smartpdu.access.service import SESSION_CACHE, SESSION_REFRESH_AHEAD
from smartpdu.events.log import EventLog
from smartpdu.events.signing import DeviceKey
from smartpdu.storage.factory import open_store

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def env(tmp_path: Path) -> Iterator[tuple[Any, AuthService, Clock, list[str]]]:
    store = open_store(f"sqlite:///{tmp_path / 'pdu.db'}")
    clock = Clock()
    auth = AuthService(store, EventLog(store, DeviceKey.generate(), clock), clock, pdu_id="pdu-a")
    reads: list[str] = []
    real = store.get_session

    def counted(h: str) -> Any:
        reads.append(h)
        return real(h)

    store.get_session = counted  # type: ignore[method-assign]
    yield store, auth, clock, reads
    auth.close()
    store.close()


async def _session(auth: AuthService) -> tuple[Principal, str]:
    await auth.ensure_admin("admin-password-1")
    await auth.users.create_user("olga", "olga-password-1", Role.OPERATOR, actor="user/admin")
    p = await auth.authenticate("olga", "olga-password-1", interface="api")
    return p, (await auth.create_session(p, interface="api")).token


async def _settled(auth: AuthService) -> None:
    for _ in range(500):
        if not auth._resolving:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the refresh did not finish")


def test_cache_says_when_an_entry_is_about_to_end() -> None:
    cache = PrincipalCache()
    p = Principal("olga", Role.VIEWER)
    cache.put_token("h", p, T0 + timedelta(seconds=2), cache.epoch)
    ahead = timedelta(seconds=0.5)
    assert not cache.token_ends_within("h", T0, ahead)
    assert cache.token_ends_within("h", T0 + timedelta(seconds=1.6), ahead)
    assert not cache.token_ends_within("h", T0 + timedelta(seconds=2), ahead)  # already over
    assert not cache.token_ends_within("other", T0, ahead)
    cache.drop_token("h")
    assert cache.token("h", T0) is None


async def test_a_busy_token_is_refreshed_before_it_ends(env) -> None:  # type: ignore[no-untyped-def]
    _, auth, clock, reads = env
    p, token = await _session(auth)
    assert await auth.resolve_session(token) == p and len(reads) == 1
    clock.now += SESSION_CACHE - SESSION_REFRESH_AHEAD / 2  # nearly over: refresh ahead
    assert auth.cached_principal(token) == p  # answered at once, from the cache
    await _settled(auth)
    assert len(reads) == 2
    clock.now += SESSION_REFRESH_AHEAD  # past the first entry's end: the refreshed one serves
    assert auth.cached_principal(token) == p
    assert await auth.resolve_session(token) == p and len(reads) == 2
    clock.now += SESSION_CACHE / 4  # not near the new end: no further read
    assert await auth.resolve_session(token) == p
    await _settled(auth)
    assert len(reads) == 2


async def test_concurrent_readers_share_one_refresh(env) -> None:  # type: ignore[no-untyped-def]
    _, auth, clock, reads = env
    p, token = await _session(auth)
    assert await auth.resolve_session(token) == p
    clock.now += SESSION_CACHE - SESSION_REFRESH_AHEAD / 2
    got = await asyncio.gather(*(auth.resolve_session(token) for _ in range(8)))
    assert got == [p] * 8 and [auth.cached_principal(token) for _ in range(8)] == [p] * 8
    await _settled(auth)
    assert len(reads) == 2


async def test_refresh_that_finds_the_session_gone_drops_it_at_once(env) -> None:  # type: ignore[no-untyped-def]
    store, auth, clock, _ = env
    p, token = await _session(auth)
    assert await auth.resolve_session(token) == p
    store.delete_session(token_hash(token))  # revoked outside this service
    clock.now += SESSION_CACHE - SESSION_REFRESH_AHEAD / 2
    assert await auth.resolve_session(token) == p  # still within the 2 s it was trusted for
    await _settled(auth)
    assert auth.cached_principal(token) is None  # before that trust would have ended
    assert await auth.resolve_session(token) is None


async def test_refresh_that_finds_the_user_disabled_drops_it(env) -> None:  # type: ignore[no-untyped-def]
    store, auth, clock, _ = env
    p, token = await _session(auth)
    assert await auth.resolve_session(token) == p
    rec = store.get_user("olga")
    store.update_user(rec.username, disabled=True)  # outside the service: no cache invalidation
    clock.now += SESSION_CACHE - SESSION_REFRESH_AHEAD / 2
    assert auth.cached_principal(token) == p
    await _settled(auth)
    assert auth.cached_principal(token) is None
    assert await auth.resolve_session(token) is None


async def test_logout_during_a_refresh_is_not_undone_by_it(env) -> None:  # type: ignore[no-untyped-def]
    _, auth, clock, _ = env
    p, token = await _session(auth)
    assert await auth.resolve_session(token) == p
    clock.now += SESSION_CACHE - SESSION_REFRESH_AHEAD / 2
    assert auth.cached_principal(token) == p  # refresh started
    assert await auth.end_session(token)
    await _settled(auth)
    assert auth.cached_principal(token) is None
    assert await auth.resolve_session(token) is None


def test_no_refresh_without_a_running_loop(env) -> None:  # type: ignore[no-untyped-def]
    _, auth, clock, reads = env
    p, token = asyncio.run(_session(auth))
    assert asyncio.run(auth.resolve_session(token)) == p and len(reads) == 1
    clock.now += SESSION_CACHE - SESSION_REFRESH_AHEAD / 2
    assert auth.cached_principal(token) == p  # a sync caller: served, nothing started
    assert not auth._resolving and len(reads) == 1
