"""Storm guard for the event log: at most N events per (PDU, source, code) and period.

A flapping sensor or a chattering relay must not flood the tamper-evident log (and the flash
under it). Repeats beyond the limit are counted, not logged; when the period of a key ends,
one ``EVENTS_SUPPRESSED`` event reports how many were dropped. Events a person caused (an
``actor`` or a ``command_id``) and critical events are never suppressed. Time is the log's
clock (wall or simulated), in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smartpdu.events.codes import EventCode, Severity
from smartpdu.events.model import Action, NewEvent

__all__ = ["StormGuard"]


@dataclass(slots=True)
class _Window:
    start_s: float
    count: int = 0
    suppressed: int = 0


@dataclass(slots=True)
class StormGuard:
    """Admit or count events per ``(pdu_id, source, event_code)``; see the module docstring."""

    max_events: int = 20
    period_s: float = 60.0
    _windows: dict[tuple[str, str, str], _Window] = field(default_factory=dict)
    _suppressing: set[tuple[str, str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        if self.max_events < 1:
            raise ValueError(f"max_events must be >= 1, got {self.max_events}")
        if self.period_s <= 0:
            raise ValueError(f"period_s must be > 0, got {self.period_s}")

    def admit(self, draft: NewEvent, now_s: float) -> bool:
        """Return whether ``draft`` goes to the log (False: counted as suppressed)."""
        if draft.actor or draft.command_id or draft.severity is Severity.CRITICAL:
            return True
        if draft.event_code == EventCode.EVENTS_SUPPRESSED:
            return True
        key = (draft.pdu_id, draft.source, str(draft.event_code))
        w = self._windows.get(key)
        if w is None or now_s - w.start_s >= self.period_s:
            if w is not None and w.suppressed:
                return True  # summary pending: due_summaries() reports the old window first
            w = self._windows[key] = _Window(now_s)
        w.count += 1
        if w.count <= self.max_events:
            return True
        w.suppressed += 1
        self._suppressing.add(key)
        return False

    def due_summaries(self, now_s: float, *, all_open: bool = False) -> list[NewEvent]:
        """One ``EVENTS_SUPPRESSED`` per key whose period ended (every key if ``all_open``)."""
        out = []
        for key in sorted(self._suppressing):
            w = self._windows[key]
            if not all_open and now_s - w.start_s < self.period_s:
                continue
            pdu_id, source, code = key
            out.append(
                NewEvent(
                    pdu_id=pdu_id,
                    source=source,
                    event_code=EventCode.EVENTS_SUPPRESSED,
                    message=(
                        f"{w.suppressed} more {code} events from {source} in "
                        f"{self.period_s:g} s were counted, not logged"
                    ),
                    action_taken=Action.NONE,
                    reason_code="EVENT_STORM",
                    evidence={
                        "event_code": code,
                        "suppressed": w.suppressed,
                        "logged": self.max_events,
                        "period_s": self.period_s,
                        "window_start_s": w.start_s,
                    },
                )
            )
            del self._windows[key]
            self._suppressing.discard(key)
        return out
