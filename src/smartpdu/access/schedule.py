"""Access schedules: weekday/time windows in a user's time zone (pure).

A window is ``DAYS HH:MM-HH:MM`` with DAYS a day (``mon``), a range (``mon-fri``) or a list
(``sat,sun``); ``*`` is every day. An end before the start crosses midnight and belongs to the
day it starts on (``fri 22:00-06:00`` is Friday night into Saturday morning). Times are local to
the schedule's IANA zone, so a window keeps its wall-clock meaning across DST changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["ScheduleError", "Window", "in_schedule", "parse_window", "zone"]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RE = re.compile(r"^\s*(\S+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class ScheduleError(ValueError):
    """A window or time zone that cannot be parsed (the message says what is expected)."""


@dataclass(frozen=True, slots=True)
class Window:
    days: frozenset[int]
    """0 = Monday … 6 = Sunday: the days the window starts on."""
    start: time
    end: time


def _day(name: str, text: str) -> int:
    try:
        return _DAYS.index(name.lower())
    except ValueError:
        raise ScheduleError(
            f"{text!r}: unknown day {name!r}; use mon..sun, ranges, lists or *"
        ) from None


def _days(spec: str, text: str) -> frozenset[int]:
    if spec == "*":
        return frozenset(range(7))
    out: set[int] = set()
    for part in spec.split(","):
        first, sep, last = part.partition("-")
        a = _day(first, text)
        b = _day(last, text) if sep else a
        out.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    return frozenset(out)


def _time(h: str, m: str, text: str) -> time:
    hh, mm = int(h), int(m)
    if hh == 24 and mm == 0:
        return time(23, 59, 59, 999999)
    if not (0 <= hh < 24 and 0 <= mm < 60):
        raise ScheduleError(f"{text!r}: {h}:{m} is not a time of day (00:00..24:00)")
    return time(hh, mm)


def parse_window(text: str) -> Window:
    """``mon-fri 08:00-18:00`` → :class:`Window`; :class:`ScheduleError` if malformed."""
    m = _RE.match(text)
    if m is None:
        raise ScheduleError(f"{text!r}: expected 'DAYS HH:MM-HH:MM', e.g. 'mon-fri 08:00-18:00'")
    start, end = _time(m[2], m[3], text), _time(m[4], m[5], text)
    if start == end:
        raise ScheduleError(f"{text!r}: the window is empty (start equals end)")
    return Window(_days(m[1], text), start, end)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"unknown time zone {name!r}; use an IANA name like Europe/Berlin"
        ) from None


def in_schedule(windows: tuple[str, ...], tz: str, now_utc: datetime) -> bool:
    """Whether ``now_utc`` falls in any window (local to ``tz``); no windows: always."""
    if not windows:
        return True
    local = now_utc.astimezone(zone(tz))
    t = local.time().replace(tzinfo=None)
    today = local.weekday()
    yesterday = (local - timedelta(days=1)).weekday()
    for w in map(parse_window, windows):
        if w.start < w.end:
            if today in w.days and w.start <= t < w.end:
                return True
        elif (today in w.days and t >= w.start) or (yesterday in w.days and t < w.end):
            return True
    return False
