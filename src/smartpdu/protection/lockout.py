"""Trip-cause holds: latch until acknowledged, or cool down and retry a bounded number of times.

Seed 002 H2-7: repeated retries without cooling are a failure to avoid; uncertain faults latch
and need a person. A hold's lifecycle::

    trip(latch=False) ──cooldown_s──▶ one automatic retry
    trip number max_retries + 1 within retry_window_s ──▶ latched
    trip(latch=True) ──▶ latched
    latched ──acknowledge──▶ released once the cooldown has also run out

Pure functions over a frozen :class:`OutletHold`; times are the caller's clock in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = [
    "OutletHold",
    "RetryPolicy",
    "acknowledge_hold",
    "hold_active",
    "record_trip",
    "retry_due",
]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    cooldown_s: float = 30.0
    """No switch-on (automatic or manual) before this long after a trip."""
    max_retries: int = 2
    """Automatic retries allowed within ``retry_window_s``; one more trip latches."""
    retry_window_s: float = 3600.0

    def __post_init__(self) -> None:
        if not self.cooldown_s >= 0.0:
            raise ValueError(f"cooldown_s must be >= 0 s, got {self.cooldown_s}")
        if not self.max_retries >= 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if not self.retry_window_s > 0.0:
            raise ValueError(f"retry_window_s must be > 0 s, got {self.retry_window_s}")


@dataclass(frozen=True, slots=True)
class OutletHold:
    """Why an outlet is held off, since when, and its recent trips (for the retry bound)."""

    reason_code: str
    since_s: float
    latched: bool
    cooldown_until_s: float
    trips_s: tuple[float, ...]
    acknowledged: bool = False
    retried: bool = False
    """An automatic retry was already scheduled for the last trip."""


def record_trip(
    hold: OutletHold | None, *, reason_code: str, t_s: float, latch: bool, policy: RetryPolicy
) -> OutletHold:
    """Register a protective trip; latch if asked or if the retry budget is spent."""
    old = () if hold is None else hold.trips_s
    recent = tuple(t for t in old if t_s - t < policy.retry_window_s)
    trips = (*recent, t_s)
    latched = latch or len(trips) > policy.max_retries
    return OutletHold(reason_code, t_s, latched, t_s + policy.cooldown_s, trips)


def hold_active(hold: OutletHold | None, t_s: float) -> bool:
    """True while the outlet must stay off (latched and unacknowledged, or cooling down)."""
    if hold is None:
        return False
    if hold.latched and not hold.acknowledged:
        return True
    return t_s < hold.cooldown_until_s


def retry_due(hold: OutletHold | None, t_s: float) -> bool:
    """True once an unlatched trip has cooled down and its single automatic retry is pending."""
    return (
        hold is not None and not hold.latched and not hold.retried and t_s >= hold.cooldown_until_s
    )


def acknowledge_hold(hold: OutletHold) -> OutletHold:
    """A person confirmed the cause: release the latch (the cooldown still applies)."""
    return replace(hold, acknowledged=True, retried=True)
