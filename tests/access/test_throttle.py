"""Login brute-force protection: pure throttle bookkeeping, then through AuthService and HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smartpdu.access import AuthError, AuthService, LoginThrottle, LoginThrottledError
from smartpdu.events import EventLog, load_or_create_device_key
from smartpdu.storage import open_store


def test_lockout_after_max_failures_doubles_and_resets_on_success() -> None:
    t = LoginThrottle(max_failures=3, window_s=60, lockout_s=10, max_lockout_s=25)
    assert [t.failure("Alice", s) for s in (0, 1)] == [0.0, 0.0]
    assert t.failure("alice", 2) == 10  # case-folded: same account
    assert t.retry_after_s("ALICE", 5) == pytest.approx(7)
    assert t.retry_after_s("alice", 12) == 0
    assert [t.failure("alice", s) for s in (13, 14, 15)] == [0.0, 0.0, 20.0]  # doubled
    assert [t.failure("alice", s) for s in (40, 41, 42)] == [0.0, 0.0, 25.0]  # capped
    t.success("alice")
    assert t.retry_after_s("alice", 43) == 0
    assert t.failure("alice", 44) == 0.0


def test_old_failures_fall_out_of_the_window() -> None:
    t = LoginThrottle(max_failures=3, window_s=60, lockout_s=10)
    t.failure("bob", 0)
    t.failure("bob", 30)
    assert t.failure("bob", 61) == 0.0  # the first one is older than 60 s
    assert t.failure("bob", 62) == 10.0


def test_bad_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="max_failures"):
        LoginThrottle(max_failures=0)
    with pytest.raises(ValueError, match="lockout_s"):
        LoginThrottle(lockout_s=100, max_lockout_s=10)


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_auth_service_locks_then_lets_the_right_password_in(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    clock = _Clock()
    log = EventLog(store, load_or_create_device_key(tmp_path), clock)
    auth = AuthService(
        store, log, clock, pdu_id="pdu-a", throttle=LoginThrottle(max_failures=3, lockout_s=30)
    )
    await auth.ensure_admin("right-password-1")
    for _ in range(3):
        with pytest.raises(AuthError):
            await auth.authenticate("admin", "wrong", interface="test")
    # locked: even the right password is refused without checking it
    with pytest.raises(LoginThrottledError) as info:
        await auth.authenticate("admin", "right-password-1", interface="test")
    assert info.value.retry_after_s == pytest.approx(30)
    clock.now += timedelta(seconds=31)
    principal = await auth.authenticate("admin", "right-password-1", interface="test")
    assert principal.username == "admin"
    reasons = [
        e.evidence.get("reason")
        for e in store.events_since("pdu-a", 0, 100)
        if e.event_code == "USER_LOGIN_FAILED"
    ]
    assert reasons == ["bad password", "bad password", "bad password", "locked"]
    log.close()
    store.close()


def test_attempts_are_counted_before_the_password_check() -> None:
    t = LoginThrottle(max_failures=5, window_s=60, lockout_s=10)
    # 30 attempts begin before any of them is verified: the 6th on is refused
    waits = [t.begin("carol", "10.0.0.9", 0.0) for _ in range(30)]
    assert waits[:5] == [0.0] * 5 and all(w == 10.0 for w in waits[5:])
    assert t.retry_after_s("carol", 1.0) == 9.0


def test_a_success_gives_back_its_attempt_and_resets_the_user() -> None:
    t = LoginThrottle(max_failures=3, window_s=60, lockout_s=10, max_failures_per_address=3)
    for _ in range(5):  # five good logins in a row never lock anybody
        assert t.begin("dave", "10.0.0.1", 0.0) == 0.0
        t.success("dave", "10.0.0.1")
    assert t.retry_after_s("dave", 0.0, "10.0.0.1") == 0.0


def test_one_address_spraying_many_names_is_locked() -> None:
    t = LoginThrottle(max_failures=5, window_s=60, lockout_s=10, max_failures_per_address=20)
    waits = [t.begin(f"user{i}", "192.0.2.7", float(i)) for i in range(25)]
    assert waits[:20] == [0.0] * 20 and all(w > 0 for w in waits[20:])
    assert t.begin("someone", "192.0.2.8", 25.0) == 0.0  # other addresses are not affected
