"""Brute-force protection for logins: after repeated failures a username is locked briefly.

Pure bookkeeping over caller-supplied times (no clock reads). Failures older than ``window_s``
are forgotten; ``max_failures`` within the window lock the name for ``lockout_s``, doubling on
each further lockout up to ``max_lockout_s``; a successful login resets it. Keys are
case-folded usernames, so an attacker cannot dodge the count by changing case.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

__all__ = ["LoginThrottle"]


@dataclass(slots=True)
class _Entry:
    failures: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0
    lockouts: int = 0


@dataclass(slots=True)
class LoginThrottle:
    max_failures: int = 5
    window_s: float = 300.0
    lockout_s: float = 60.0
    max_lockout_s: float = 900.0
    _entries: dict[str, _Entry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.max_failures < 1:
            raise ValueError(f"max_failures must be >= 1, got {self.max_failures}")
        if not 0 < self.lockout_s <= self.max_lockout_s:
            raise ValueError("need 0 < lockout_s <= max_lockout_s")

    def retry_after_s(self, username: str, now_s: float) -> float:
        """Seconds until ``username`` may try again (0 when it may try now)."""
        e = self._entries.get(username.casefold())
        return max(0.0, e.locked_until - now_s) if e else 0.0

    def failure(self, username: str, now_s: float) -> float:
        """Record a failed attempt; return the lockout it caused (0 if none)."""
        e = self._entries.setdefault(username.casefold(), _Entry())
        while e.failures and e.failures[0] <= now_s - self.window_s:
            e.failures.popleft()
        e.failures.append(now_s)
        if len(e.failures) < self.max_failures:
            return 0.0
        lock = min(self.lockout_s * 2**e.lockouts, self.max_lockout_s)
        e.lockouts += 1
        e.locked_until = now_s + lock
        e.failures.clear()
        if len(self._entries) > 10_000:  # bound memory under a spray of random names
            self._forget_idle(now_s)
        return lock

    def success(self, username: str) -> None:
        self._entries.pop(username.casefold(), None)

    def _forget_idle(self, now_s: float) -> None:
        for key in [
            k
            for k, e in self._entries.items()
            if e.locked_until <= now_s
            and (not e.failures or e.failures[-1] <= now_s - self.window_s)
        ]:
            del self._entries[key]
