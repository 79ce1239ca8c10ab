"""Timeline stage: actions due at given hardware times, run between two windows.

The composition root uses it to play a scenario on the live twin of a running controller
(``smartpdu run --scenario``): each action runs in the tick thread after the window in which its
time came, so it takes effect from the next window — exactly as in a replay — and never races
the acquisition. The stage knows nothing of the twin: it runs callables.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame

__all__ = ["TimelineAction", "TimelineStage"]

log = logging.getLogger(__name__)

TimelineAction = tuple[float, str, Callable[[], None]]
"""(seconds after the first window, description, what to do)."""


class TimelineStage(StageBase):
    name = "timeline"
    phase = Phase.PERSIST

    def __init__(self, actions: Iterable[TimelineAction]) -> None:
        self._actions = sorted(actions, key=lambda a: a[0])
        self._next = 0
        self._start_s: float | None = None
        self.applied: list[tuple[float, str]] = []
        """(hardware time, description) of every action run so far."""

    def run(self, frame: TickFrame) -> None:
        if self._start_s is None:
            self._start_s = frame.t_s
        elapsed = frame.t_s + frame.window_s - self._start_s
        while self._next < len(self._actions) and self._actions[self._next][0] <= elapsed + 1e-9:
            _, what, action = self._actions[self._next]
            self._next += 1
            try:
                action()
            except Exception:  # a bad step must not stop the controller
                log.exception("timeline action %r failed", what)
                continue
            self.applied.append((frame.t_s + frame.window_s, what))
            log.info("timeline: %s", what)

    @property
    def done(self) -> bool:
        return self._next >= len(self._actions)
