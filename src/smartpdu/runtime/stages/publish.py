"""Publish stage: hand the tick's drafted events to the event log (sealed, stored, broadcast)."""

from __future__ import annotations

from smartpdu.events import EventLog
from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame

__all__ = ["EventsStage"]


class EventsStage(StageBase):
    name = "events"
    phase = Phase.PUBLISH

    def __init__(self, events: EventLog) -> None:
        self._events = events

    def run(self, frame: TickFrame) -> None:
        for draft in frame.events:
            self._events.append(draft)
