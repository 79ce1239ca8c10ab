"""What happened at each lever, from one reading to the next (pure).

The controller commands a lever, but only the lever's readings (bolt locked? handle open?) say
what really happened. :class:`LeverWatch` turns consecutive readings into findings — unlocked,
opened, forced, closed (with how long the door was open), locked, open too long — and attributes
each to the grant that explains it: the unlock the controller issued (who, how, command id) or,
without one, the lever itself (a mechanical override key: ``local``, not authorised).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from smartpdu.model.access import AccessMethod
from smartpdu.model.states import LeverState

__all__ = ["Grant", "LeverWatch", "WatchFinding", "WatchKind"]

GRANT_TAKES_S = 5.0
"""A grant explains an unlock seen within this time; later, the unlock was not ours."""
_LOCKED = (LeverState.LOCKED, LeverState.FORCED)
_OPEN = (LeverState.OPEN, LeverState.FORCED)


class WatchKind(StrEnum):
    UNLOCKED = "unlocked"
    OPENED = "opened"
    FORCED = "forced"
    CLOSED = "closed"
    LOCKED = "locked"
    TOO_LONG = "too_long"


@dataclass(frozen=True, slots=True)
class Grant:
    """An unlock the controller issued: the explanation of the lever's next unlocked period."""

    actor: str
    method: AccessMethod
    t_s: float
    command_id: str | None = None
    entry_id: int | None = None
    """The access-log row of this grant (its visit is written into it)."""
    authorised: bool = True


@dataclass(frozen=True, slots=True)
class WatchFinding:
    kind: WatchKind
    lever_id: str
    grant: Grant | None
    open_s: float | None = None
    """CLOSED and TOO_LONG: seconds the handle has been open."""
    locked_by: tuple[str, str | None, str] | None = None
    """LOCKED: (actor, command id, reason) of the lock command, or None (the lever's timer)."""


@dataclass(slots=True)
class _Lever:
    state: LeverState
    grant: Grant | None = None
    open_since: float | None = None
    too_long_sent: bool = False
    lock_by: tuple[str, str | None, str] | None = None


@dataclass(slots=True)
class LeverWatch:
    too_long_s: float
    _levers: dict[str, _Lever] = field(default_factory=dict)

    def grant(self, lever_id: str, grant: Grant) -> None:
        """Remember the controller's unlock (it explains the next unlocked period)."""
        lever = self._levers.get(lever_id)
        if lever is not None:
            lever.grant = grant

    def lock_requested(
        self, lever_id: str, actor: str, command_id: str | None, reason: str
    ) -> None:
        lever = self._levers.get(lever_id)
        if lever is not None:
            lever.lock_by = (actor, command_id, reason)

    def current_grant(self, lever_id: str) -> Grant | None:
        lever = self._levers.get(lever_id)
        return lever.grant if lever else None

    def state(self, lever_id: str) -> LeverState | None:
        lever = self._levers.get(lever_id)
        return lever.state if lever else None

    def authorised(self) -> dict[str, bool]:
        """Per lever: whether its current unlock came through the controller (tamper input)."""
        return {k: v.grant is not None and v.grant.authorised for k, v in self._levers.items()}

    def update(self, t_s: float, readings: Iterable[tuple[str, LeverState]]) -> list[WatchFinding]:
        out: list[WatchFinding] = []
        for lever_id, cur in readings:
            lever = self._levers.get(lever_id)
            if lever is None:  # first reading: the starting point, nothing happened yet
                self._levers[lever_id] = _Lever(cur, open_since=t_s if cur in _OPEN else None)
                continue
            out += self._step(lever_id, lever, cur, t_s)
        return out

    def _step(self, lever_id: str, lv: _Lever, cur: LeverState, t_s: float) -> list[WatchFinding]:
        prev, out = lv.state, []
        was_locked, is_locked = prev in _LOCKED, cur in _LOCKED
        was_open, is_open = prev in _OPEN, cur in _OPEN
        if was_locked and not is_locked:
            if lv.grant is None or t_s - lv.grant.t_s > GRANT_TAKES_S:
                lv.grant = Grant("local", AccessMethod.LOCAL, t_s, authorised=False)
            out.append(WatchFinding(WatchKind.UNLOCKED, lever_id, lv.grant))
        if is_open and not was_open:
            lv.open_since, lv.too_long_sent = t_s, False
            if is_locked:
                lv.grant = Grant("unknown", AccessMethod.FORCED, t_s, authorised=False)
            kind = WatchKind.FORCED if is_locked else WatchKind.OPENED
            out.append(WatchFinding(kind, lever_id, lv.grant))
        if was_open and not is_open:
            since = lv.open_since if lv.open_since is not None else t_s
            out.append(WatchFinding(WatchKind.CLOSED, lever_id, lv.grant, open_s=t_s - since))
            lv.open_since = None
            if lv.grant is not None and lv.grant.method is AccessMethod.FORCED:
                lv.grant = None  # a forced visit ends when the handle closes
        if is_locked and not was_locked:
            out.append(WatchFinding(WatchKind.LOCKED, lever_id, lv.grant, locked_by=lv.lock_by))
            lv.grant, lv.lock_by = None, None
        open_s = t_s - lv.open_since if is_open and lv.open_since is not None else None
        if open_s is not None and open_s >= self.too_long_s - 1e-9 and not lv.too_long_sent:
            lv.too_long_sent = True
            out.append(WatchFinding(WatchKind.TOO_LONG, lever_id, lv.grant, open_s=open_s))
        lv.state = cur
        return out

    def retarget(self, lever_id: str, entry_id: int) -> None:
        """Attach the access-log row written for the lever's current grant."""
        lever = self._levers.get(lever_id)
        if lever is not None and lever.grant is not None:
            lever.grant = replace(lever.grant, entry_id=entry_id)
