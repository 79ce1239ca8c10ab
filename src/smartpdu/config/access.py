"""Rack access policy (``access:`` in the YAML): unlock durations, door-open limit, keypad
lockout, two-person rule, emergency unlock on fire and lock-down on tamper (docs/access.md).

Safe defaults: nothing opens by itself (emergency unlock is off), a keypad locks out after five
wrong PINs, and a door is reported when it stays open for five minutes.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AccessConfig"]


class AccessConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_unlock_s: float = Field(600.0, ge=1, le=3600)
    """Longest unlock a command may ask for (``--for``); the lever relocks after it."""
    relock_on_close: bool = True
    """Lock as soon as the door closes after a visit (else only when the unlock time is up)."""
    door_open_too_long_s: float = Field(300.0, ge=5, le=86400)
    """A door open longer than this is ``DOOR_OPEN_TOO_LONG`` (once per visit)."""
    two_person_levers: list[str] = []
    """Levers that open only after two different users present credentials in the window."""
    two_person_window_s: float = Field(30.0, ge=1, le=600)
    keypad_max_failures: int = Field(5, ge=1, le=100)
    """Wrong PINs/cards in a row at one reader before it locks out."""
    keypad_lockout_s: float = Field(300.0, ge=1, le=86400)
    emergency_unlock_on_fire: bool = False
    """At ``FIRE_ALARM`` unlock every lever (responders need access); off by default."""
    lockdown_on_tamper: bool = False
    """At ``TAMPER_SUSPECTED`` or ``ACCESS_FORCED`` lock every lever and refuse unlocks until
    an administrator lifts the lock-down."""
