"""Serialise switch-ons of one PDU: earliest times (delays) and a minimum gap (inrush guard).

Summed inrush of outlets switched together can reach a branch breaker's magnetic release; with
``guard_s`` > 0 at most one outlet is released per ``guard_s``. ``guard_s`` = 0 releases every
ready outlet at once (the behaviour the guard exists to prevent).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["PendingOn", "PowerOnSequencer"]

_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class PendingOn:
    outlet_id: str
    not_before_s: float
    reason_code: str
    order: int


@dataclass(slots=True)
class PowerOnSequencer:
    guard_s: float
    queue: dict[str, PendingOn] = field(default_factory=dict)
    next_allowed_s: float = float("-inf")
    _order: int = 0

    def request(self, outlet_id: str, not_before_s: float, reason_code: str) -> None:
        """Queue (or re-time) a switch-on; the earliest request for an outlet wins."""
        old = self.queue.get(outlet_id)
        if old is not None and old.not_before_s <= not_before_s:
            return
        self._order += 1
        self.queue[outlet_id] = PendingOn(outlet_id, not_before_s, reason_code, self._order)

    def cancel(self, outlet_id: str) -> PendingOn | None:
        return self.queue.pop(outlet_id, None)

    def pending(self, outlet_id: str) -> bool:
        return outlet_id in self.queue

    def release(self, t_s: float) -> list[PendingOn]:
        """Return the switch-ons to issue now, in order, respecting the guard gap."""
        if t_s + _EPS < self.next_allowed_s:
            return []
        ready = sorted(
            (p for p in self.queue.values() if p.not_before_s <= t_s + _EPS),
            key=lambda p: (p.not_before_s, p.order),
        )
        if not ready:
            return []
        if self.guard_s > 0.0:
            ready = ready[:1]
            self.next_allowed_s = t_s + self.guard_s
        for p in ready:
            del self.queue[p.outlet_id]
        return ready
