"""The one cache of resolved credentials behind every interface, invalidated at once on change.

Pure bookkeeping over caller-supplied times. Token resolutions and Basic credential checks are
kept per user with a *generation*: every change of a user bumps it and drops that user's
entries, and a check that started before a change (and so may have read the old record) is not
cached when it ends. Token resolutions also carry the cache's *epoch*, read before the session is
read and bumped by every forget: a resolution that raced any logout or user change (it may have
read a session that is being deleted) is answered but never remembered. Callers forget again
once the store change is done, so nothing read before it can be cached after it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from smartpdu.access.roles import Principal

__all__ = ["PrincipalCache"]

_MAX_TOKENS = 10_000
_MAX_BASIC = 1_000


class PrincipalCache:
    def __init__(self) -> None:
        self._tokens: dict[str, tuple[Principal, datetime]] = {}
        """token hash → (principal, valid until)."""
        self._basic: dict[bytes, tuple[Principal, datetime]] = {}
        """digest of (user, password) → (principal, valid until)."""
        self._generation: dict[str, int] = {}
        self._epoch = 0

    def generation(self, username: str) -> int:
        return self._generation.get(username.casefold(), 0)

    @property
    def epoch(self) -> int:
        """Bumped by every forget; read it before reading a session from the store."""
        return self._epoch

    def token(self, key: str, now: datetime) -> Principal | None:
        hit = self._tokens.get(key)
        return hit[0] if hit is not None and now < hit[1] else None

    def token_ends_within(self, key: str, now: datetime, ahead: timedelta) -> bool:
        """Whether a still valid token resolution ends within ``ahead`` of ``now``."""
        hit = self._tokens.get(key)
        return hit is not None and now < hit[1] <= now + ahead

    def basic(self, key: bytes, now: datetime) -> Principal | None:
        hit = self._basic.get(key)
        return hit[0] if hit is not None and now < hit[1] else None

    def put_token(self, key: str, principal: Principal, until: datetime, epoch: int) -> None:
        """Remember a resolution unless anything (a token, a user) was forgotten since ``epoch``
        was read — before the session was read."""
        if epoch != self._epoch:
            return
        if len(self._tokens) > _MAX_TOKENS:
            self._tokens.clear()
        self._tokens[key] = (principal, until)

    def put_basic(self, key: bytes, principal: Principal, until: datetime, generation: int) -> None:
        if self.generation(principal.username) != generation:
            return
        if len(self._basic) > _MAX_BASIC:
            self._basic.clear()
        self._basic[key] = (principal, until)

    def drop_token(self, key: str) -> None:
        """Drop a resolution the store no longer backs (always safe: the next read re-resolves)."""
        self._tokens.pop(key, None)

    def forget_token(self, key: str) -> None:
        self._epoch += 1
        self._tokens.pop(key, None)

    def forget_user(self, username: str) -> None:
        """The user changed (role, password, disabled, deleted): drop everything of theirs."""
        folded = username.casefold()
        self._epoch += 1
        self._generation[folded] = self._generation.get(folded, 0) + 1
        for key in [k for k, v in self._tokens.items() if v[0].username.casefold() == folded]:
            del self._tokens[key]
        for bkey in [k for k, v in self._basic.items() if v[0].username.casefold() == folded]:
            del self._basic[bkey]
