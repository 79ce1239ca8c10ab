"""Brute-force protection for logins: after repeated failures a username (or address) is locked.

Pure bookkeeping over caller-supplied times (no clock reads). Failures older than ``window_s``
are forgotten; ``max_failures`` within the window lock the name for ``lockout_s``, doubling on
each further lockout up to ``max_lockout_s``; a successful login resets it. Keys are
case-folded usernames, so an attacker cannot dodge the count by changing case.

Attempts are counted *before* the slow password hash is checked (:meth:`LoginThrottle.begin`):
30 concurrent wrong logins cannot all slip through while the first ones are still hashing — the
attempt that reaches ``max_failures`` starts the lock and every later one is refused at once.
A success then takes its own attempt back (:meth:`LoginThrottle.success`). The client address
is counted too (``max_failures_per_address``, higher, as several users may share a NAT), so
spraying many user names from one address is throttled as well.
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


def _user_key(username: str) -> str:
    return "user:" + username.casefold()


def _addr_key(remote: str) -> str:
    return "addr:" + remote


@dataclass(slots=True)
class LoginThrottle:
    max_failures: int = 5
    window_s: float = 300.0
    lockout_s: float = 60.0
    max_lockout_s: float = 900.0
    max_failures_per_address: int = 20
    _entries: dict[str, _Entry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.max_failures < 1:
            raise ValueError(f"max_failures must be >= 1, got {self.max_failures}")
        if self.max_failures_per_address < 1:
            raise ValueError(
                f"max_failures_per_address must be >= 1, got {self.max_failures_per_address}"
            )
        if not 0 < self.lockout_s <= self.max_lockout_s:
            raise ValueError("need 0 < lockout_s <= max_lockout_s")

    # -- the login path ---------------------------------------------------------------------
    def begin(self, username: str, remote: str | None, now_s: float) -> float:
        """Count a login attempt before its password is checked.

        Return 0 when it may proceed, else the seconds until the user (or address) may try
        again — the attempt is then refused without checking the password.
        """
        keys = [(_user_key(username), self.max_failures)]
        if remote:
            keys.append((_addr_key(remote), self.max_failures_per_address))
        wait = max(self._wait(key, now_s) for key, _ in keys)
        if wait > 0:
            return wait
        for key, limit in keys:
            self._count(key, limit, now_s)
        return 0.0

    def success(self, username: str, remote: str | None = None) -> None:
        """A login succeeded: reset the user; take its counted attempt back from the address."""
        self._entries.pop(_user_key(username), None)
        if remote:
            e = self._entries.get(_addr_key(remote))
            if e is not None and e.failures:
                e.failures.pop()

    # -- queries and the classic count-after-failure interface ----------------------------------
    def retry_after_s(self, username: str, now_s: float, remote: str | None = None) -> float:
        """Seconds until ``username`` (from ``remote``) may try again (0 when it may try now)."""
        wait = self._wait(_user_key(username), now_s)
        if remote:
            wait = max(wait, self._wait(_addr_key(remote), now_s))
        return wait

    def failure(self, username: str, now_s: float) -> float:
        """Record a failed attempt (not counted by :meth:`begin`); return the lockout it caused."""
        return self._count(_user_key(username), self.max_failures, now_s)

    # -- bookkeeping --------------------------------------------------------------------------
    def _wait(self, key: str, now_s: float) -> float:
        e = self._entries.get(key)
        return max(0.0, e.locked_until - now_s) if e else 0.0

    def _count(self, key: str, limit: int, now_s: float) -> float:
        e = self._entries.setdefault(key, _Entry())
        while e.failures and e.failures[0] <= now_s - self.window_s:
            e.failures.popleft()
        e.failures.append(now_s)
        if len(e.failures) < limit:
            return 0.0
        lock = min(self.lockout_s * 2**e.lockouts, self.max_lockout_s)
        e.lockouts += 1
        e.locked_until = now_s + lock
        e.failures.clear()
        if len(self._entries) > 10_000:  # bound memory under a spray of random names
            self._forget_idle(now_s)
        return lock

    def _forget_idle(self, now_s: float) -> None:
        for key in [
            k
            for k, e in self._entries.items()
            if e.locked_until <= now_s
            and (not e.failures or e.failures[-1] <= now_s - self.window_s)
        ]:
            del self._entries[key]
