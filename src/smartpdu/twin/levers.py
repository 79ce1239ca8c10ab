"""Electromechanical door levers: unlock on command, relock automatically, handle contact.

Behaviour modelled on rack handle locks: an unlock opens the bolt for ``auto_relock_s``; when
the time is up the bolt relocks, except while the handle is open — then it relocks as soon as
the handle is closed again. A lock command with the handle open is likewise deferred until the
handle closes. Opening the handle of a *locked* lever is allowed (forced opening): the reading
then shows ``locked=True, handle_open=True``, which the access layer reports as tampering.
"""

from __future__ import annotations

from dataclasses import dataclass

from smartpdu.config.models import LeverConfig
from smartpdu.hardware.interface import LeverAction
from smartpdu.hardware.samples import LeverReading

__all__ = ["LeverBank"]

_EPS_S = 1e-9


@dataclass(slots=True)
class _Lever:
    config: LeverConfig
    locked: bool = True
    handle_open: bool = False
    relock_in_s: float | None = None
    """Seconds until the auto-relock; 0 means "due, waiting for the handle to close"."""


class LeverBank:
    """All levers of a rack; time advances only through :meth:`step`."""

    def __init__(self, levers: list[LeverConfig]) -> None:
        self._levers = {lv.id: _Lever(lv) for lv in levers}

    def _get(self, lever_id: str) -> _Lever:
        try:
            return self._levers[lever_id]
        except KeyError:
            known = sorted(self._levers) or "none"
            raise KeyError(f"no lever {lever_id!r}; levers: {known}") from None

    def operate(self, lever_id: str, action: LeverAction) -> None:
        """Unlock (starting the auto-relock timer) or lock a lever."""
        lever = self._get(lever_id)
        action = LeverAction(action)
        if action is LeverAction.UNLOCK:
            lever.locked = False
            lever.relock_in_s = lever.config.auto_relock_s
        elif lever.handle_open:
            lever.relock_in_s = 0.0  # the bolt cannot engage until the handle is closed
        else:
            lever.locked = True
            lever.relock_in_s = None

    def open_handle(self, lever_id: str, open: bool) -> None:
        lever = self._get(lever_id)
        lever.handle_open = bool(open)
        self._maybe_relock(lever)

    def step(self, dt_s: float) -> tuple[LeverReading, ...]:
        """Advance timers by ``dt_s`` and read every lever."""
        if dt_s < 0:
            raise ValueError(f"dt_s must be >= 0, got {dt_s}")
        for lever in self._levers.values():
            if lever.relock_in_s is not None:
                left = lever.relock_in_s - dt_s
                lever.relock_in_s = left if left > _EPS_S else 0.0  # 50 x 0.2 s must be 10 s
                self._maybe_relock(lever)
        return self.readings()

    def readings(self) -> tuple[LeverReading, ...]:
        return tuple(
            LeverReading(lv.config.id, lv.locked, lv.handle_open) for lv in self._levers.values()
        )

    @staticmethod
    def _maybe_relock(lever: _Lever) -> None:
        if lever.relock_in_s is not None and lever.relock_in_s <= 0.0 and not lever.handle_open:
            lever.locked = True
            lever.relock_in_s = None
