"""The tick as a pipeline of stages: ``measure → derive → decide → publish → persist``.

One :class:`TickFrame` travels through every stage of one window. A stage reads what earlier
stages put on the frame and adds its own part (metrics, energy, the snapshot, events drafted,
relay commands, completed commands). Stages are registered by whoever builds the runtime::

    RackRuntime(..., stages=lambda parts: [*default_stages(parts), DewPointStage()])

The pipeline orders stages by :class:`Phase`; stages of one phase run in registration order, so a
new analytic is one new ``DERIVE`` stage and no engine edit. Values stay as the meter produced
them on the frame (``PduFrame.metered``: NaN is "no value" and every channel carries its quality
flags); only the snapshot assembly turns them into display values.

Each stage's CPU time (``time.thread_time``) is accumulated per phase for benchmarks and health.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Protocol

from smartpdu.config import PduConfig, RackConfig
from smartpdu.control import RelayCommand
from smartpdu.events import NewEvent
from smartpdu.events.model import Event
from smartpdu.hardware import Acquisition, PduStatus, SampleBlock
from smartpdu.metering import BlockMetrics
from smartpdu.model.commands import CommandResult
from smartpdu.model.snapshot import RackSnapshot
from smartpdu.runtime.assemble import Demand, EnergyTotals

__all__ = ["PduFrame", "Phase", "Pipeline", "Stage", "StageBase", "TickFrame"]


class Phase(IntEnum):
    """Where a stage runs in the tick; the pipeline runs phases in this order."""

    MEASURE = 0
    """DSP on the raw samples of each PDU."""
    DERIVE = 1
    """Everything computed from measurements: energy, demand, the snapshot, watchers, analytics."""
    DECIDE = 2
    """Protection, shedding, sequencing and commands; relays are driven here."""
    PUBLISH = 3
    """Hand the tick's events to the event log."""
    PERSIST = 4
    """Store writes, handed to the writer thread at their cadence."""


@dataclass(slots=True)
class PduFrame:
    """One PDU's part of the tick."""

    config: PduConfig
    block: SampleBlock
    status: PduStatus
    metered: BlockMetrics | None = None
    """Metrics of every channel with quality flags; NaN kept (set by the measure stage)."""
    energy: Mapping[str, EnergyTotals] = field(default_factory=dict)
    demand: Demand | None = None

    def require_metered(self) -> BlockMetrics:
        if self.metered is None:
            raise RuntimeError(f"PDU {self.config.id}: no measure stage ran before this stage")
        return self.metered


@dataclass(slots=True)
class TickFrame:
    """Everything one window produces, filled in stage by stage."""

    tick: int
    config: RackConfig
    now_utc: datetime
    window_s: float
    acquisition: Acquisition
    pdus: dict[str, PduFrame]
    first: bool = False
    """The start-up window: power-up policy instead of a regular control tick."""
    snapshot: RackSnapshot | None = None
    events: list[NewEvent] = field(default_factory=list)
    sealed: list[Event] = field(default_factory=list)
    """Events already committed during the tick (command journal, before relays moved)."""
    relay_commands: list[RelayCommand] = field(default_factory=list)
    completed: list[CommandResult] = field(default_factory=list)

    @property
    def t_s(self) -> float:
        """Hardware time of the window's start."""
        return self.acquisition.t0_s

    def require_snapshot(self) -> RackSnapshot:
        if self.snapshot is None:
            raise RuntimeError("no snapshot stage ran before this stage")
        return self.snapshot

    @classmethod
    def start(
        cls,
        tick: int,
        config: RackConfig,
        now_utc: datetime,
        window_s: float,
        acquisition: Acquisition,
        *,
        first: bool = False,
    ) -> TickFrame:
        """A fresh frame with one :class:`PduFrame` per configured PDU."""
        pdus = {
            p.id: PduFrame(p, acquisition.blocks[p.id], acquisition.status[p.id])
            for p in config.pdus
        }
        return cls(tick, config, now_utc, window_s, acquisition, pdus, first=first)


class Stage(Protocol):
    """One step of the tick. ``run`` must not block on I/O (hand writes to the writer)."""

    name: str
    phase: Phase

    def run(self, frame: TickFrame) -> None: ...

    def close(self) -> None:
        """The runtime stops: flush what the stage holds (called once, after the last tick)."""
        ...


class StageBase:
    """Convenience base: a stage with nothing to flush at stop."""

    name = "stage"
    phase = Phase.DERIVE

    def run(self, frame: TickFrame) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        return None


class Pipeline:
    """Runs the stages of one tick in phase order and accounts their CPU time."""

    def __init__(self, stages: Iterable[Stage]) -> None:
        self.stages: tuple[Stage, ...] = tuple(sorted(stages, key=lambda s: int(s.phase)))
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError(f"stage names must be unique, got {names}")
        self.cpu_s: dict[str, float] = {p.name.lower(): 0.0 for p in Phase}
        """Accumulated CPU seconds per phase (``measure``, ``derive``, ...)."""
        self.stage_cpu_s: dict[str, float] = dict.fromkeys(names, 0.0)
        self._keys = [(s, s.phase.name.lower(), s.name) for s in self.stages]

    @property
    def names(self) -> Sequence[str]:
        return [s.name for s in self.stages]

    def run(self, frame: TickFrame) -> TickFrame:
        clock = time.thread_time
        cpu, per_stage = self.cpu_s, self.stage_cpu_s
        t0 = clock()
        for stage, phase, name in self._keys:
            stage.run(frame)
            t1 = clock()
            cpu[phase] += t1 - t0
            per_stage[name] += t1 - t0
            t0 = t1
        return frame

    def close(self) -> None:
        for stage in self.stages:
            stage.close()
