"""The shared principal cache: hits until expiry, a user change drops that user at once, and a
check that raced a change is not remembered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smartpdu.access import Principal, Role
from smartpdu.access.cache import PrincipalCache

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ALICE = Principal("alice", Role.OPERATOR)
BOB = Principal("bob", Role.VIEWER)


def test_entries_hit_until_they_expire() -> None:
    c = PrincipalCache()
    c.put_token("t", ALICE, T0 + timedelta(seconds=2), c.epoch)
    c.put_basic(b"k", ALICE, T0 + timedelta(seconds=30), c.generation("alice"))
    assert c.token("t", T0) == ALICE and c.basic(b"k", T0) == ALICE
    assert c.token("t", T0 + timedelta(seconds=2)) is None
    assert c.basic(b"k", T0 + timedelta(seconds=30)) is None


def test_a_user_change_drops_only_that_users_entries() -> None:
    c = PrincipalCache()
    until = T0 + timedelta(minutes=1)
    c.put_token("a", ALICE, until, c.epoch)
    c.put_basic(b"a", ALICE, until, 0)
    c.put_token("b", BOB, until, c.epoch)
    c.forget_user("ALICE")  # case-folded like usernames at login
    assert c.token("a", T0) is None and c.basic(b"a", T0) is None
    assert c.token("b", T0) == BOB


def test_a_check_that_raced_a_change_is_not_cached() -> None:
    c = PrincipalCache()
    seen, epoch = c.generation("alice"), c.epoch
    c.forget_user("alice")  # the user was disabled while the check read the old record
    c.put_basic(b"k", ALICE, T0 + timedelta(minutes=1), seen)
    c.put_token("t", ALICE, T0 + timedelta(minutes=1), epoch)
    assert c.basic(b"k", T0) is None and c.token("t", T0) is None


def test_a_resolution_that_raced_any_logout_is_not_cached() -> None:
    """The session read may predate a logout still deleting it: the answer is not remembered."""
    c = PrincipalCache()
    epoch = c.epoch
    c.forget_token("some-other-or-the-same-token")
    c.put_token("t", ALICE, T0 + timedelta(minutes=1), epoch)
    assert c.token("t", T0) is None
    c.put_token("t", ALICE, T0 + timedelta(minutes=1), c.epoch)  # a fresh read is kept
    assert c.token("t", T0) == ALICE
