"""Vibration and tamper detection: bursts correlated with lever and door state (pure).

- ``VIBRATION_DETECTED``: the vibration sensor exceeds ``vibration_g`` (reported once per burst, re-armed
  after ``rearm_s`` below the level), whatever the rack's state — seismic or a bump.
- ``TAMPER_SUSPECTED``: such a burst while every lever is locked and nobody was let in within
  ``authorised_window_s`` (an unlock through the controller): someone is working on a locked rack.
- ``ACCESS_FORCED``: a lever's handle opens while the lever is locked, or a door opens while every
  lever of its side (front/rear) is locked — the lock was defeated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from smartpdu.config.safety import TamperConfig

__all__ = ["DoorState", "LeverState", "TamperDetector", "TamperFinding", "TamperKind"]


class TamperKind(StrEnum):
    VIBRATION_DETECTED = "VIBRATION_DETECTED"
    TAMPER_SUSPECTED = "TAMPER_SUSPECTED"
    ACCESS_FORCED = "ACCESS_FORCED"


@dataclass(frozen=True, slots=True)
class LeverState:
    id: str
    position: str
    """``front`` or ``rear``."""
    locked: bool
    handle_open: bool


@dataclass(frozen=True, slots=True)
class DoorState:
    id: str
    position: str | None
    open: bool | None
    """None: the contact has no good value."""


@dataclass(frozen=True, slots=True)
class TamperFinding:
    kind: TamperKind
    source: str
    """``sensor/vib-1``, ``lever/lever-rear``, ``sensor/door-rear``."""
    message: str
    evidence: dict[str, float | str | bool]


@dataclass(slots=True)
class TamperDetector:
    config: TamperConfig
    _burst: bool = False
    _quiet_since: float | None = None
    _peak_g: float = 0.0
    _last_unlock_s: float | None = None
    _was_locked: dict[str, bool] = field(default_factory=dict)
    _forced: set[str] = field(default_factory=set)
    _door_open: dict[str, bool] = field(default_factory=dict)

    def update(
        self,
        t_s: float,
        vibration_g: float | None,
        levers: Sequence[LeverState],
        doors: Sequence[DoorState],
        unlocked_by_controller: Mapping[str, bool] | None = None,
    ) -> list[TamperFinding]:
        """One evaluation; ``unlocked_by_controller`` marks levers opened through the controller
        this tick (an authorised visit). Without it, any lock→unlock change counts as one."""
        cfg = self.config
        out: list[TamperFinding] = []
        for lv in levers:
            was = self._was_locked.get(lv.id)
            if was is True and not lv.locked:
                authorised = (unlocked_by_controller or {}).get(lv.id, True)
                if authorised:
                    self._last_unlock_s = t_s
            self._was_locked[lv.id] = lv.locked
            key = f"lever/{lv.id}"
            if lv.locked and lv.handle_open and key not in self._forced:
                self._forced.add(key)
                out.append(TamperFinding(
                    TamperKind.ACCESS_FORCED, key,
                    f"{lv.id}: handle opened while the lever is locked",
                    {"lever": lv.id, "locked": True, "handle_open": True,
                     "position": lv.position},
                ))  # fmt: skip
            elif not lv.handle_open:
                self._forced.discard(key)
        locked_sides = {
            side for side in ("front", "rear")
            if (same := [lv for lv in levers if lv.position == side])
            and all(lv.locked for lv in same)
        }  # fmt: skip
        for d in doors:
            if d.open is None:
                continue
            was_open = self._door_open.get(d.id)
            self._door_open[d.id] = d.open
            key = f"sensor/{d.id}"
            if d.open and was_open is False and d.position in locked_sides:
                out.append(TamperFinding(
                    TamperKind.ACCESS_FORCED, key,
                    f"{d.id} opened while the {d.position} levers are locked",
                    {"door": d.id, "position": str(d.position), "levers_locked": True},
                ))  # fmt: skip
        if vibration_g is None or not math.isfinite(vibration_g):
            return out
        if vibration_g >= cfg.vibration_g:
            self._quiet_since = None
            self._peak_g = max(self._peak_g, vibration_g)
            if not self._burst:
                self._burst = True
                self._peak_g = vibration_g
                all_locked = bool(levers) and all(lv.locked for lv in levers)
                recent = (
                    self._last_unlock_s is not None
                    and t_s - self._last_unlock_s <= cfg.authorised_window_s
                )
                ev: dict[str, float | str | bool] = {
                    "value": vibration_g, "limit": cfg.vibration_g, "unit": "g",
                    "rack_locked": all_locked, "recent_authorised_unlock": recent,
                }  # fmt: skip
                out.append(TamperFinding(TamperKind.VIBRATION_DETECTED, "", f"vibration {vibration_g:.2f} g "
                                         f"above {cfg.vibration_g:g} g", ev))  # fmt: skip
                if all_locked and not recent:
                    out.append(TamperFinding(
                        TamperKind.TAMPER_SUSPECTED, "",
                        f"vibration {vibration_g:.2f} g while the rack is locked and nobody "
                        "was let in",
                        {**ev, "authorised_window_s": cfg.authorised_window_s},
                    ))  # fmt: skip
        elif self._burst:
            self._quiet_since = self._quiet_since if self._quiet_since is not None else t_s
            if t_s - self._quiet_since >= cfg.rearm_s:
                self._burst, self._peak_g = False, 0.0
        return out
