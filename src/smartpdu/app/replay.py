"""Replay a scenario through the *full* controller on the sim clock (issue 13, item 1).

The twin runner (:mod:`smartpdu.twin.runner`) only says what physically happened; this replay
runs the same timeline through everything a deployed controller runs — metering, protection,
control, every analytic stage, the hash-chained event log and a SQLite store in a (temporary)
data directory — built by the one composition root (:func:`build_twin_runtime`), so what a test
or a demo sees here is what the controller would have logged.

Usage::

    result = await replay_scenario(config, load_scenario("scenarios/smoulder.yaml"))
    for event in result.events: ...
    result.summary.to_dict()

Steps take effect from the next window, as in the twin runner; between two steps the runtime
steps whole windows back to back (``run_ticks``), as fast as the CPU allows.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from smartpdu.app.factory import build_twin_runtime
from smartpdu.config import RackConfig
from smartpdu.events.model import Event
from smartpdu.runtime.heap import freeze_startup_heap
from smartpdu.twin.scenario import Scenario, ScenarioError, apply, check_scenario

__all__ = ["ReplayResult", "ReplaySummary", "replay_scenario", "scenario_duration_s"]

ProgressCallback = Callable[[float, float], None]
"""Called after each run of windows with (simulated seconds done, total seconds)."""

_PAGE = 5000
MAX_TICKS_PER_CALL = 50
"""Windows stepped between two progress reports (and two looks at the timeline)."""


@dataclass(frozen=True, slots=True)
class ReplaySummary:
    """What the controller did during a replay, and how fast it ran."""

    scenario: str
    rack: str
    seed: int
    simulated_s: float
    windows: int
    steps_applied: int
    events: int
    event_counts: dict[str, int]
    cpu_s: float
    """CPU seconds of the tick thread (every stage, the twin's acquisition included)."""
    wall_s: float
    realtime_factor: float
    """Simulated seconds per wall second."""
    stage_cpu_ms_per_tick: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ReplayResult:
    summary: ReplaySummary
    events: list[Event]
    """Every event the controller logged, per PDU chain in sequence order, chains merged by time."""


def scenario_duration_s(scenario: Scenario) -> float:
    """The scenario's own duration, else one minute after its last step."""
    if scenario.duration is not None:
        return scenario.duration
    return max((s.at for s in scenario.steps), default=0.0) + 60.0


async def replay_scenario(
    config: RackConfig,
    scenario: Scenario,
    *,
    duration_s: float | None = None,
    seed: int | None = None,
    data_dir: Path | None = None,
    progress: ProgressCallback | None = None,
    freeze_heap: bool = False,
    **runtime_options: Any,
) -> ReplayResult:
    """Run ``scenario`` through a controller on a fresh twin of ``config``; return its events.

    ``data_dir`` keeps the store and device key (a temporary directory otherwise, removed at
    the end). ``freeze_heap``: once the runtime is started, keep the garbage collector off the
    start-up heap as ``smartpdu run`` does (:func:`~smartpdu.runtime.heap.freeze_startup_heap`,
    once per process) — for a process that runs one replay (``smartpdu replay``), not for a test
    process running many. Raises :class:`ScenarioError` when a step names an id the rack does
    not have.
    """
    problems = check_scenario(scenario, config)
    if problems:
        raise ScenarioError(problems, f"scenario {scenario.name!r}")
    total_s = scenario_duration_s(scenario) if duration_s is None else duration_s
    if not total_s > 0:
        raise ValueError(f"duration_s must be > 0, got {total_s}")
    run_seed = seed if seed is not None else (scenario.seed if scenario.seed is not None else 0)
    if data_dir is not None:
        return await _replay(config, scenario, total_s, run_seed, Path(data_dir), progress,
                             freeze_heap, runtime_options)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="smartpdu-replay-") as tmp:
        return await _replay(config, scenario, total_s, run_seed, Path(tmp), progress,
                             freeze_heap, runtime_options)  # fmt: skip


async def _replay(
    config: RackConfig,
    scenario: Scenario,
    total_s: float,
    seed: int,
    data_dir: Path,
    progress: ProgressCallback | None,
    freeze_heap: bool,
    runtime_options: dict[str, Any],
) -> ReplayResult:
    rt = build_twin_runtime(config, data_dir, seed=seed, sim=True, **runtime_options)
    twin: Any = rt.hardware
    window = twin.window_s
    start_s = twin.now_s
    steps = scenario.ordered_steps()
    applied = 0
    wall0, cpu0 = time.perf_counter(), 0.0
    try:
        await rt.start()
        if freeze_heap:
            freeze_startup_heap()
        cpu0 = rt.tick_cpu_s
        while (elapsed := twin.now_s - start_s) < total_s - 1e-9:
            while applied < len(steps) and steps[applied].at <= elapsed + 1e-9:
                apply(steps[applied], twin)
                applied += 1
            until = min(steps[applied].at if applied < len(steps) else total_s, total_s)
            n = max(1, min(MAX_TICKS_PER_CALL, math.ceil((until - elapsed) / window - 1e-9)))
            await rt.run_ticks(n)
            if progress is not None:
                progress(min(twin.now_s - start_s, total_s), total_s)
        windows = rt.tick_count
        cpu_s = rt.tick_cpu_s - cpu0
        stage_cpu = dict(rt.pipeline.stage_cpu_s)
    finally:
        await rt.stop()
    wall_s = time.perf_counter() - wall0
    try:
        events = _all_events(rt.store)
    finally:
        rt.store.close()
    simulated = twin.now_s - start_s
    summary = ReplaySummary(
        scenario=scenario.name,
        rack=config.rack.name,
        seed=seed,
        simulated_s=simulated,
        windows=windows,
        steps_applied=applied,
        events=len(events),
        event_counts=dict(sorted(Counter(e.event_code for e in events).items())),
        cpu_s=cpu_s,
        wall_s=wall_s,
        realtime_factor=simulated / wall_s if wall_s > 0 else math.inf,
        stage_cpu_ms_per_tick={
            name: 1e3 * s / max(1, windows) for name, s in sorted(stage_cpu.items())
        },
    )
    return ReplayResult(summary, events)


def _all_events(store: Any) -> list[Event]:
    out: list[Event] = []
    for pdu_id in store.event_pdu_ids():
        since = 0
        while page := store.events_since(pdu_id, since, _PAGE):
            out += page
            since = page[-1].sequence_id
    return sorted(out, key=lambda e: (e.timestamp_utc, e.pdu_id, e.sequence_id))
