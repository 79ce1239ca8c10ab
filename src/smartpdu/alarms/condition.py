"""One alarm condition (HI, HIHI, LO, LOLO or rate of change) as a pure state machine.

``evaluate(condition, state, value, t_s)`` returns the next state and what happened; no clock,
no I/O. The life of an alarm (ISA-18.2 style)::

    normal ──limit exceeded for on_delay──▶ raised ──ack──▶ acknowledged
       ▲                                      │                 │
       └────── back inside limit ∓ hysteresis for off_delay ────┘  (cleared)

A *latched* alarm that returns to normal before it was acknowledged stays (``returned``) until
someone acknowledges it. A value that is missing (NaN, sensor fault, flagged sample) never raises
or clears anything: the delays restart and the alarm is marked ``stale`` until a good value comes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum

__all__ = [
    "Condition",
    "ConditionKind",
    "ConditionState",
    "Transition",
    "acknowledge",
    "evaluate",
]


class ConditionKind(StrEnum):
    HIGH = "high"
    LOW = "low"
    RATE = "rate"
    """High on the absolute slope (units per minute)."""


class Transition(StrEnum):
    RAISED = "raised"
    CLEARED = "cleared"
    ACKNOWLEDGED = "acknowledged"


_LOW = ConditionKind.LOW


@dataclass(frozen=True, slots=True)
class Condition:
    """What one condition checks: ``value`` above (HIGH, RATE) or below (LOW) ``limit``."""

    name: str
    """``high_warning``, ``high_critical``, ``low_warning``, ``low_critical`` or ``rate``."""
    kind: ConditionKind
    severity: str
    """``warning`` or ``critical``."""
    limit: float
    hysteresis: float = 0.0
    on_delay_s: float = 0.0
    off_delay_s: float = 0.0
    latch: bool = False

    def exceeded(self, value: float) -> bool:
        return value < self.limit if self.kind is _LOW else value > self.limit

    def back_to_normal(self, value: float) -> bool:
        if self.kind is _LOW:
            return value > self.limit + self.hysteresis
        return value < self.limit - self.hysteresis

    def worse(self, a: float, b: float) -> float:
        """The value further beyond the limit (the peak of an excursion)."""
        return min(a, b) if self.kind is _LOW else max(a, b)


@dataclass(frozen=True, slots=True)
class ConditionState:
    """Where one condition of one entity stands; ``active`` from raise until clear."""

    active: bool = False
    acknowledged: bool = False
    returned: bool = False
    """Latched and back to normal: waits for an acknowledgement to clear."""
    stale: bool = False
    """The last value was missing or flagged: the alarm state is unknown until a good one."""
    pending_since_s: float | None = None
    """Exceeding since (raise delay running) or back to normal since (clear delay running)."""
    raised_at_s: float | None = None
    value: float | None = None
    peak: float | None = None


def evaluate(
    cond: Condition, state: ConditionState, value: float | None, t_s: float
) -> tuple[ConditionState, Transition | None]:
    """Feed one value at hardware time ``t_s``; return the new state and the transition, if any."""
    if value is None or not math.isfinite(value):
        if state.stale and state.pending_since_s is None:
            return state, None
        return replace(state, stale=True, pending_since_s=None), None
    if not state.active:
        if not cond.exceeded(value):  # the common case: normal stays normal, nothing allocated
            if state.pending_since_s is None and not state.stale:
                return state, None
            return _NORMAL, None
        since = state.pending_since_s if state.pending_since_s is not None else t_s
        if t_s - since + 1e-9 >= cond.on_delay_s:
            return ConditionState(active=True, raised_at_s=t_s, value=value, peak=value), (
                Transition.RAISED
            )
        return replace(state, stale=False, pending_since_s=since, value=value), None
    peak = value if state.peak is None else cond.worse(state.peak, value)
    if not cond.back_to_normal(value):
        return replace(
            state, stale=False, pending_since_s=None, returned=False, value=value, peak=peak
        ), None
    since = state.pending_since_s if state.pending_since_s is not None else t_s
    if t_s - since + 1e-9 < cond.off_delay_s:
        return replace(state, stale=False, pending_since_s=since, value=value, peak=peak), None
    if cond.latch and not state.acknowledged:
        return replace(
            state, stale=False, pending_since_s=since, returned=True, value=value, peak=peak
        ), None
    return _NORMAL, Transition.CLEARED


_NORMAL = ConditionState()
"""The state of a condition that is inside its limit (shared, immutable)."""


def acknowledge(state: ConditionState) -> tuple[ConditionState, Transition | None]:
    """Acknowledge an active alarm; a latched one that already returned to normal clears.

    Returns the state unchanged and no transition when there is nothing to acknowledge."""
    if not state.active or state.acknowledged:
        return state, None
    if state.returned:
        return _NORMAL, Transition.CLEARED
    return replace(state, acknowledged=True), Transition.ACKNOWLEDGED
