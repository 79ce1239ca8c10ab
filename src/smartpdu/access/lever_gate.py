"""Who may open a lever right now: role, schedule, lock-down, two-person rule, keypad lockout.

Pure bookkeeping on plain data and a caller-supplied time (seconds of the controller's clock);
the runtime's lever desk asks it, then acts and audits. Reasons are stable UPPER_SNAKE codes
that go into ``ACCESS_DENIED`` events and the access log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from smartpdu.access.roles import Permission, Principal, Role
from smartpdu.access.schedule import ScheduleError, in_schedule
from smartpdu.model.access import LeverCredential

__all__ = ["Decision", "KeypadLockout", "TwoPersonRule", "decide"]


@dataclass(frozen=True, slots=True)
class Decision:
    granted: bool
    reason: str
    """``GRANTED`` or why not: ``NO_PERMISSION``, ``OUTSIDE_SCHEDULE``, ``NO_SCHEDULE``,
    ``LOCKDOWN``, ``BAD_SCHEDULE``."""


def decide(
    principal: Principal,
    credential: LeverCredential | None,
    now_utc: datetime,
    *,
    lockdown: bool,
) -> Decision:
    """The rules every unlock passes, whatever the interface (API, keypad, card)."""
    if not principal.can(Permission.UNLOCK):
        return Decision(False, "NO_PERMISSION")
    if lockdown and principal.role is not Role.ADMIN:
        return Decision(False, "LOCKDOWN")
    windows = credential.schedule if credential else ()
    if principal.role is Role.REMOTE_HANDS and not windows:
        return Decision(False, "NO_SCHEDULE")  # remote hands only ever within a window
    try:
        ok = in_schedule(windows, credential.tz if credential else "UTC", now_utc)
    except ScheduleError:
        return Decision(False, "BAD_SCHEDULE")
    return Decision(True, "GRANTED") if ok else Decision(False, "OUTSIDE_SCHEDULE")


@dataclass(slots=True)
class KeypadLockout:
    """Brute-force guard per reader: ``max_failures`` wrong entries in a row lock the reader for
    ``lockout_s``; a correct entry resets the count. A locked reader refuses even good PINs."""

    max_failures: int
    lockout_s: float
    _failures: dict[str, int] = field(default_factory=dict)
    _until: dict[str, float] = field(default_factory=dict)

    def locked(self, reader: str, t_s: float) -> bool:
        until = self._until.get(reader)
        if until is not None and t_s >= until:
            del self._until[reader]
            self._failures.pop(reader, None)
            return False
        return until is not None

    def failure(self, reader: str, t_s: float) -> bool:
        """Count a wrong entry; True when this one locks the reader out."""
        n = self._failures.get(reader, 0) + 1
        self._failures[reader] = n
        if n >= self.max_failures:
            self._until[reader] = t_s + self.lockout_s
            return True
        return False

    def success(self, reader: str) -> None:
        self._failures.pop(reader, None)


@dataclass(slots=True)
class TwoPersonRule:
    """Two *different* users within ``window_s``; the first presentation waits."""

    window_s: float
    _first: dict[str, tuple[str, float]] = field(default_factory=dict)

    def present(self, lever_id: str, actor: str, t_s: float) -> str | None:
        """None: first person recorded, wait for the second; else the first person's actor."""
        first = self._first.get(lever_id)
        if first is not None and first[0] != actor and t_s - first[1] <= self.window_s:
            del self._first[lever_id]
            return first[0]
        self._first[lever_id] = (actor, t_s)
        return None
