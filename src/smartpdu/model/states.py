"""Typed states of outlets, breakers, relays, levers and alarms (no more string compares).

They are ``StrEnum``: a state compares equal to its old string and serialises to it, so the JSON
of every interface stays the same.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["AlarmState", "BreakerState", "LeverState", "OutletState", "RelayState"]


class OutletState(StrEnum):
    """What the outlet does as sensed by relay feedback (the state operators care about)."""

    ON = "on"
    OFF = "off"

    @classmethod
    def of(cls, powered: bool) -> OutletState:
        return cls.ON if powered else cls.OFF


class BreakerState(StrEnum):
    CLOSED = "closed"
    TRIPPED = "tripped"


class RelayState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"


class LeverState(StrEnum):
    """Locking lever: ``forced`` is a handle found open while the lock is engaged."""

    LOCKED = "locked"
    UNLOCKED = "unlocked"
    OPEN = "open"
    FORCED = "forced"

    @classmethod
    def of(cls, locked: bool, handle_open: bool) -> LeverState:
        if handle_open:
            return cls.FORCED if locked else cls.OPEN
        return cls.LOCKED if locked else cls.UNLOCKED


class AlarmState(StrEnum):
    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"
    CLEARED = "cleared"
