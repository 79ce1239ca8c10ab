"""Watcher stages: discrete transitions (feeds, doors, sensors, controller power) and metering
plausibility, both turning what they see in the snapshot into drafted events."""

from __future__ import annotations

from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame
from smartpdu.runtime.quality import MeteringWatch
from smartpdu.runtime.transitions import TransitionWatcher

__all__ = ["QualityWatchStage", "TransitionStage"]


class TransitionStage(StageBase):
    name = "transitions"
    phase = Phase.DERIVE

    def __init__(self, watcher: TransitionWatcher | None = None) -> None:
        self.watcher = watcher or TransitionWatcher()

    def run(self, frame: TickFrame) -> None:
        frame.events.extend(
            self.watcher.observe(
                frame.require_snapshot(), first=frame.first, window_s=frame.window_s
            )
        )


class QualityWatchStage(StageBase):
    name = "metering_quality"
    phase = Phase.DERIVE

    def __init__(self, watcher: MeteringWatch | None = None) -> None:
        self.watcher = watcher or MeteringWatch()

    def run(self, frame: TickFrame) -> None:
        frame.events.extend(self.watcher.observe(frame.require_snapshot(), window_s=frame.window_s))
