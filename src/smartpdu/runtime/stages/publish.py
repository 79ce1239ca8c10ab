"""Publish stage: hand the tick's drafted events to the event log without waiting for the disk.

The log seals them at once (sequence ids, hash chain) and commits them in its writer thread; the
engine awaits durability only when a command result is about to be returned, so a slow disk
never stalls the tick. The stage also collects, per command, the sequence ids of the events it
caused, so every :class:`CommandResult` cites them (``event_sequence_ids``).
"""

from __future__ import annotations

from dataclasses import replace

from smartpdu.events import EventLog
from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame

__all__ = ["EventsStage"]

MAX_TRACKED_COMMANDS = 1024
"""Commands whose event ids are remembered at once (older ones are dropped first)."""


class EventsStage(StageBase):
    name = "events"
    phase = Phase.PUBLISH

    def __init__(self, events: EventLog) -> None:
        self._events = events
        self._by_command: dict[str, list[int]] = {}

    def run(self, frame: TickFrame) -> None:
        sealed = self._events.submit(frame.events) if frame.events else []
        for event in [*frame.sealed, *sealed]:
            if event.command_id:
                self._by_command.setdefault(event.command_id, []).append(event.sequence_id)
        if frame.completed:
            frame.completed[:] = [
                replace(r, event_sequence_ids=tuple(self._by_command.pop(r.command_id, ())))
                for r in frame.completed
            ]
        while len(self._by_command) > MAX_TRACKED_COMMANDS:
            self._by_command.pop(next(iter(self._by_command)))
