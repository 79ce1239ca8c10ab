"""Pure rack-access rules: schedules (time zones, midnight, DST), the gate, keypad lockout,
the two-person rule and the lever watch's attribution."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smartpdu.access import Principal, Role
from smartpdu.access.lever_gate import KeypadLockout, TwoPersonRule, decide
from smartpdu.access.lever_watch import Grant, LeverWatch, WatchKind
from smartpdu.access.schedule import ScheduleError, in_schedule, parse_window
from smartpdu.model.access import AccessMethod, LeverCredential
from smartpdu.model.states import LeverState as S

THU_0000Z = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)  # Thursday, 01:00 in Berlin (CET)


def test_windows_parse_and_reject_garbage() -> None:
    w = parse_window("mon-fri 08:00-18:00")
    assert w.days == frozenset(range(5)) and (w.start.hour, w.end.hour) == (8, 18)
    assert parse_window("fri-mon 00:00-24:00").days == frozenset({4, 5, 6, 0})
    assert parse_window("sat,sun 10:00-12:00").days == frozenset({5, 6})
    for bad in ("mon 8-9", "someday 08:00-09:00", "mon 25:00-26:00", "mon 08:00-08:00", ""):
        with pytest.raises(ScheduleError):
            parse_window(bad)
    with pytest.raises(ScheduleError, match="time zone"):
        in_schedule(("* 00:00-24:00",), "Mars/Olympus", THU_0000Z)


def test_schedule_is_local_time_and_crosses_midnight() -> None:
    assert in_schedule((), "UTC", THU_0000Z)  # no windows: always
    assert in_schedule(("thu 00:30-02:00",), "Europe/Berlin", THU_0000Z)  # 01:00 local
    assert not in_schedule(("thu 00:30-02:00",), "UTC", THU_0000Z)  # 00:00 UTC
    assert in_schedule(("wed 22:00-06:00",), "Europe/Berlin", THU_0000Z)  # Wed night
    assert not in_schedule(("thu 22:00-06:00",), "Europe/Berlin", THU_0000Z)
    # summer time: 06:30 UTC on a July Monday is 08:30 in Berlin
    july = datetime(2026, 7, 6, 6, 30, tzinfo=UTC)
    assert in_schedule(("mon 08:00-09:00",), "Europe/Berlin", july)
    assert not in_schedule(("mon 08:00-09:00",), "Europe/Berlin", july.replace(hour=7, minute=30))


def test_gate_roles_windows_and_lockdown() -> None:
    anytime = LeverCredential("x")
    monday = LeverCredential("x", schedule=("mon 08:00-09:00",), tz="Europe/Berlin")
    op, hands = Principal("op", Role.OPERATOR), Principal("h", Role.REMOTE_HANDS)
    admin, viewer = Principal("a", Role.ADMIN), Principal("v", Role.VIEWER)
    assert decide(op, None, THU_0000Z, lockdown=False).reason == "GRANTED"
    assert decide(viewer, None, THU_0000Z, lockdown=False).reason == "NO_PERMISSION"
    assert decide(Principal("au", Role.AUDITOR), None, THU_0000Z, lockdown=False).reason == (
        "NO_PERMISSION"
    )
    assert decide(hands, anytime, THU_0000Z, lockdown=False).reason == "NO_SCHEDULE"
    assert decide(hands, monday, THU_0000Z, lockdown=False).reason == "OUTSIDE_SCHEDULE"
    assert decide(op, monday, THU_0000Z, lockdown=False).reason == "OUTSIDE_SCHEDULE"
    assert decide(op, None, THU_0000Z, lockdown=True).reason == "LOCKDOWN"
    assert decide(admin, None, THU_0000Z, lockdown=True).granted
    broken = LeverCredential("x", schedule=("mon 08:00-09:00",), tz="Nowhere/Land")
    assert decide(op, broken, THU_0000Z, lockdown=False).reason == "BAD_SCHEDULE"


def test_keypad_lockout_after_n_failures_then_expires() -> None:
    k = KeypadLockout(max_failures=3, lockout_s=60)
    assert not k.failure("r1", 0) and not k.failure("r1", 1)
    k.success("r1")  # a good entry resets the count
    assert not k.failure("r1", 2) and not k.failure("r1", 3)
    assert k.failure("r1", 4)  # third in a row
    assert k.locked("r1", 5) and k.locked("r1", 63.9) and not k.locked("r2", 5)
    assert not k.locked("r1", 64.0)
    assert not k.failure("r1", 65)  # counting starts again


def test_two_person_rule_needs_two_different_people_in_the_window() -> None:
    rule = TwoPersonRule(window_s=30)
    assert rule.present("front", "user/a", 0) is None
    assert rule.present("front", "user/a", 5) is None  # the same person twice is one person
    assert rule.present("rear", "user/b", 6) is None  # another lever
    assert rule.present("front", "user/b", 34) == "user/a"  # 29 s after a's last presentation
    assert rule.present("front", "user/c", 40) is None  # consumed: c is the first again
    assert rule.present("front", "user/d", 71) is None  # 31 s later: too late, d is first
    assert rule.present("front", "user/c", 72) == "user/d"


def _watch(*steps: tuple[float, S]) -> list[tuple[WatchKind, str | None, float | None]]:
    w = LeverWatch(too_long_s=100)
    w.update(0.0, [("l", S.LOCKED)])
    out = []
    for t, state in steps:
        if t < 0:  # a grant at |t|
            w.grant("l", Grant("user/op", AccessMethod.PIN, -t, "c1"))
            continue
        out += [(f.kind, f.grant.actor if f.grant else None, f.open_s)
                for f in w.update(t, [("l", state)])]  # fmt: skip
    return out


def test_watch_attributes_visits_and_measures_open_time() -> None:
    K = WatchKind
    assert _watch(
        (-1.0, S.LOCKED),
        (1.2, S.UNLOCKED),
        (3.0, S.OPEN),
        (50.0, S.OPEN),
        (123.5, S.OPEN),
        (130.0, S.UNLOCKED),
        (130.2, S.LOCKED),
    ) == [
        (K.UNLOCKED, "user/op", None),
        (K.OPENED, "user/op", None),
        (K.TOO_LONG, "user/op", 120.5),
        (K.CLOSED, "user/op", 127.0),
        (K.LOCKED, "user/op", None),
    ]
    # no grant: unlocked at the lever itself (override key), not authorised
    w = LeverWatch(too_long_s=100)
    w.update(0.0, [("l", S.LOCKED)])
    (f,) = w.update(1.0, [("l", S.UNLOCKED)])
    assert f.grant is not None and f.grant.method is AccessMethod.LOCAL
    assert w.authorised() == {"l": False}
    # forced: handle opened on a locked lever; the visit ends when it closes
    assert _watch((2.0, S.FORCED), (9.0, S.LOCKED)) == [
        (K.FORCED, "unknown", None),
        (K.CLOSED, "unknown", 7.0),
    ]


def test_stale_grant_does_not_explain_a_later_unlock() -> None:
    w = LeverWatch(too_long_s=100)
    w.update(0.0, [("l", S.LOCKED)])
    w.grant("l", Grant("user/op", AccessMethod.API, 0.0))
    (f,) = w.update(60.0, [("l", S.UNLOCKED)])  # the command's unlock never showed; this did
    assert f.grant is not None and f.grant.actor == "local"
