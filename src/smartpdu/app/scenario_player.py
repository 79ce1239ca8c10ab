"""Play a scenario on the live twin of a running controller (``smartpdu run --scenario``).

The steps become a :class:`~smartpdu.runtime.stages.timeline.TimelineStage` registered after the
default stages: the controller runs on the wall clock as usual and the twin's physics follows the
timeline (demos, training, end-to-end tests of every interface).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from smartpdu.runtime.pipeline import Stage
from smartpdu.runtime.stages import StageParts, default_stages
from smartpdu.runtime.stages.timeline import TimelineStage
from smartpdu.twin.scenario import Scenario, apply

__all__ = ["scenario_stages", "timeline_of"]


def timeline_of(scenario: Scenario, twin: Any) -> TimelineStage:
    """A timeline stage applying ``scenario``'s steps to ``twin``."""
    return TimelineStage(
        (step.at, f"{scenario.name}: {step.do} at {step.at:g} s", partial(apply, step, twin))
        for step in scenario.ordered_steps()
    )


def scenario_stages(scenario: Scenario) -> Callable[[StageParts], Sequence[Stage]]:
    """The stage factory for ``RackRuntime(stages=...)``: the defaults plus the timeline."""

    def build(parts: StageParts) -> list[Stage]:
        return [*default_stages(parts), timeline_of(scenario, parts.hardware)]

    return build
