"""Electromechanical door levers: unlock on command, relock automatically, handle contact.

Behaviour modelled on rack handle locks: an unlock opens the bolt for ``auto_relock_s``; when
the time is up the bolt relocks, except while the handle is open — then it relocks as soon as
the handle is closed again. A lock command with the handle open is likewise deferred until the
handle closes. Opening the handle of a *locked* lever is allowed (forced opening): the reading
then shows ``locked=True, handle_open=True``, which the access layer reports as tampering.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from smartpdu.config.models import LeverConfig
from smartpdu.hardware.interface import LeverAction
from smartpdu.hardware.samples import LeverReading, ReaderEntry

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
        self._entries: deque[ReaderEntry] = deque()

    def _get(self, lever_id: str) -> _Lever:
        try:
            return self._levers[lever_id]
        except KeyError:
            known = sorted(self._levers) or "none"
            raise KeyError(f"no lever {lever_id!r}; levers: {known}") from None

    def operate(self, lever_id: str, action: LeverAction, hold_s: float | None = None) -> None:
        """Unlock (starting the auto-relock timer: ``hold_s`` or the lever's ``auto_relock_s``)
        or lock a lever."""
        lever = self._get(lever_id)
        action = LeverAction(action)
        if action is LeverAction.UNLOCK:
            lever.locked = False
            lever.relock_in_s = lever.config.auto_relock_s if hold_s is None else float(hold_s)
        elif lever.handle_open:
            lever.relock_in_s = 0.0  # the bolt cannot engage until the handle is closed
        else:
            lever.locked = True
            lever.relock_in_s = None

    def present(
        self,
        lever_id: str,
        *,
        user: str | None = None,
        pin: str | None = None,
        card: str | None = None,
        reader_id: str | None = None,
    ) -> None:
        """Someone types a PIN or holds a card at the lever's reader; the controller reads the
        entry with the next window and decides (the reader itself grants nothing)."""
        self._get(lever_id)
        self._entries.append(ReaderEntry(reader_id or f"reader-{lever_id}", lever_id, user,
                                         pin, card))  # fmt: skip

    def drain_entries(self) -> tuple[ReaderEntry, ...]:
        out: list[ReaderEntry] = []
        while self._entries:  # popleft is atomic: an entry presented meanwhile is kept
            out.append(self._entries.popleft())
        return tuple(out)

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
