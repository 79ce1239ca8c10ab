"""Replay a scenario against the twin and summarise what physically happened.

The runner only moves data: it applies each step when the twin's clock reaches it, acquires one
window after another, and folds the raw samples into a :class:`RunSummary` (energy from
``mean(v·i)·dt`` per inlet phase, peak window-rms currents, the twin's physical log, final
sensors) plus a SHA-256 digest over every generated sample array, so two runs with the same
seed can be compared bit for bit. Pacing (``speed``) uses an injected clock and sleep; with
``speed=None`` it runs as fast as the CPU allows.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from smartpdu.config.models import RackConfig
from smartpdu.hardware.samples import Acquisition, SampleBlock
from smartpdu.twin.scenario import Scenario, ScenarioError, apply, check_scenario

__all__ = [
    "BranchPeak",
    "EventRecord",
    "RunSummary",
    "SensorValue",
    "TerminalPeak",
    "run_scenario",
]

ProgressCallback = Callable[[float, float], None]
"""Called after each window with (simulated seconds done, total seconds)."""


class _Twin(Protocol):
    """The part of :class:`smartpdu.twin.rack.RackTwin` the runner uses."""

    @property
    def now_s(self) -> float: ...
    @property
    def physical_log(self) -> list[Any]: ...
    def acquire(self) -> Acquisition: ...


TwinFactory = Callable[[RackConfig, int], _Twin]


@dataclass(frozen=True, slots=True)
class BranchPeak:
    branch: str
    current_a: float
    """Highest window rms current of any branch of the PDU."""
    t_s: float


@dataclass(frozen=True, slots=True)
class TerminalPeak:
    sensor_id: str
    temp_c: float
    t_s: float


@dataclass(frozen=True, slots=True)
class EventRecord:
    t_s: float
    kind: str
    target: str
    detail: dict[str, float | str]


@dataclass(frozen=True, slots=True)
class SensorValue:
    value: float | None
    unit: str
    status: str


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a replay produced; equal seeds and inputs give equal summaries and digests."""

    scenario: str
    rack: str
    seed: int
    simulated_s: float
    windows: int
    steps_applied: int
    energy_kwh: dict[str, dict[str, float]]
    """Per PDU, per inlet phase (``L1``..), active energy from the raw samples."""
    max_inlet_current_a: dict[str, dict[str, float]]
    max_branch_current: dict[str, BranchPeak]
    events: tuple[EventRecord, ...]
    event_counts: dict[str, int]
    final_sensors: dict[str, SensorValue]
    hottest_terminal: TerminalPeak | None
    controller_power: str
    digest: str
    """SHA-256 over the bytes of every voltage, current and residual array, in order."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class _Rows:
    """Where a block's inlet phase and branch rows are (found once per channel layout)."""

    inlet: npt.NDArray[np.intp]
    phases: tuple[str, ...]
    branch: npt.NDArray[np.intp]
    branches: tuple[str, ...]
    both: npt.NDArray[np.intp]
    """Inlet rows, then branch rows."""

    @classmethod
    def of(cls, channels: tuple[str, ...]) -> _Rows:
        inlet = [
            (k, c.removeprefix("inlet/")) for k, c in enumerate(channels) if c[:7] == "inlet/L"
        ]
        branch = [
            (k, c.removeprefix("branch/")) for k, c in enumerate(channels) if c[:7] == "branch/"
        ]
        return cls(
            np.array([k for k, _ in inlet], dtype=np.intp),
            tuple(name for _, name in inlet),
            np.array([k for k, _ in branch], dtype=np.intp),
            tuple(name for _, name in branch),
            np.array([k for k, _ in [*inlet, *branch]], dtype=np.intp),
        )


@dataclass(slots=True)
class _Accumulator:
    energy_j: dict[str, dict[str, float]]
    max_inlet: dict[str, dict[str, float]]
    max_branch: dict[str, BranchPeak]
    hottest: TerminalPeak | None = None
    rows: dict[tuple[str, ...], _Rows] = field(default_factory=dict)

    def add(self, acq: Acquisition, t_rel_s: float, digest: Any) -> None:
        for pdu_id in sorted(acq.blocks):
            block = acq.blocks[pdu_id]
            for array in (block.voltage_v, block.current_a, block.residual_ma):
                digest.update(np.ascontiguousarray(array).data)
            self._fold_block(pdu_id, block, t_rel_s)
        for reading in acq.sensors:
            value = reading.value
            if reading.kind != "terminal_temperature" or value is None:
                continue
            if self.hottest is None or value > self.hottest.temp_c:
                self.hottest = TerminalPeak(reading.sensor_id, float(value), t_rel_s)

    def _fold_block(self, pdu_id: str, block: SampleBlock, t_rel_s: float) -> None:
        rows = self.rows.get(block.channels)
        if rows is None:
            rows = self.rows[block.channels] = _Rows.of(block.channels)
        n_in = len(rows.inlet)
        # only the rows the summary uses, summed in float64: mean of i² and of v·i per row
        current = np.asarray(block.current_a)[rows.both].astype(np.float64)
        n = current.shape[-1]
        rms = np.sqrt(np.vecdot(current, current) / n).tolist()
        v = np.asarray(block.voltage_v)[np.asarray(block.channel_phase)[rows.inlet]]
        power_w = (np.vecdot(v.astype(np.float64), current[:n_in]) / n).tolist()
        energy = self.energy_j.setdefault(pdu_id, {})
        peaks = self.max_inlet.setdefault(pdu_id, {})
        for phase, p_w, i_rms in zip(rows.phases, power_w, rms[:n_in], strict=True):
            energy[phase] = energy.get(phase, 0.0) + p_w * block.duration_s
            peaks[phase] = max(peaks.get(phase, 0.0), i_rms)
        best: BranchPeak | None = self.max_branch.get(pdu_id)
        for name, i_rms in zip(rows.branches, rms[n_in:], strict=True):
            if best is None or i_rms > best.current_a:
                best = BranchPeak(name, i_rms, t_rel_s)
        if best is not None:
            self.max_branch[pdu_id] = best


def _plain(detail: dict[str, Any]) -> dict[str, float | str]:
    """Event details as JSON-ready floats and strings (numpy scalars included)."""
    return {
        str(k): v
        if isinstance(v, str)
        else float(v)
        if isinstance(v, int | float | np.number)
        else str(v)
        for k, v in detail.items()
    }


def _default_twin(config: RackConfig, seed: int) -> _Twin:
    from smartpdu.twin.rack import RackTwin  # deferred: the runner's pure parts need no twin

    return RackTwin(config, seed=seed)


def run_scenario(
    config: RackConfig,
    scenario: Scenario,
    *,
    duration_s: float,
    seed: int | None = None,
    speed: float | None = None,
    progress: ProgressCallback | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
    twin_factory: TwinFactory | None = None,
) -> RunSummary:
    """Replay ``scenario`` on a fresh twin of ``config`` for ``duration_s`` simulated seconds.

    ``seed`` defaults to the scenario's seed, then 0. ``speed`` N > 0 paces the windows at N×
    real time with ``clock``/``sleep`` (both required then); ``None`` runs flat out. Raises
    :class:`ScenarioError` when a step names an id the rack does not have.
    """
    if not duration_s > 0:
        raise ValueError(f"duration_s must be > 0, got {duration_s}")
    if speed is not None:
        if not speed > 0:
            raise ValueError(f"speed must be > 0 or None (as fast as possible), got {speed}")
        if clock is None or sleep is None:
            raise ValueError("pacing at a finite speed needs both clock and sleep")
    problems = check_scenario(scenario, config)
    if problems:
        raise ScenarioError(problems, f"scenario {scenario.name!r}")
    run_seed = seed if seed is not None else (scenario.seed if scenario.seed is not None else 0)

    twin = (twin_factory or _default_twin)(config, run_seed)
    start_s = twin.now_s
    steps = scenario.ordered_steps()
    next_step = 0
    digest = hashlib.sha256()
    acc = _Accumulator({}, {}, {})
    windows = 0
    last: Acquisition | None = None
    wall0 = clock() if clock is not None and speed is not None else 0.0

    while (elapsed := twin.now_s - start_s) < duration_s - 1e-9:
        while next_step < len(steps) and steps[next_step].at <= elapsed + 1e-9:
            apply(steps[next_step], twin)  # type: ignore[arg-type]
            next_step += 1
        last = twin.acquire()
        windows += 1
        acc.add(last, elapsed, digest)
        done = twin.now_s - start_s
        if progress is not None:
            progress(min(done, duration_s), duration_s)
        if speed is not None and clock is not None and sleep is not None:
            delay = wall0 + done / speed - clock()
            if delay > 0:
                sleep(delay)

    events = tuple(
        EventRecord(float(e.t_s) - start_s, str(e.kind), str(e.target), _plain(e.detail))
        for e in twin.physical_log
    )
    final_sensors = {
        r.sensor_id: SensorValue(r.value, r.unit, str(r.status.value))
        for r in (last.sensors if last is not None else ())
        if r.kind != "terminal_temperature"
    }
    return RunSummary(
        scenario=scenario.name,
        rack=config.rack.name,
        seed=run_seed,
        simulated_s=twin.now_s - start_s,
        windows=windows,
        steps_applied=next_step,
        energy_kwh={
            pdu: {ph: j / 3.6e6 for ph, j in sorted(phases.items())}
            for pdu, phases in sorted(acc.energy_j.items())
        },
        max_inlet_current_a={
            pdu: dict(sorted(p.items())) for pdu, p in sorted(acc.max_inlet.items())
        },
        max_branch_current=dict(sorted(acc.max_branch.items())),
        events=events,
        event_counts=dict(sorted(Counter(e.kind for e in events).items())),
        final_sensors=final_sensors,
        hottest_terminal=acc.hottest,
        controller_power=str(last.controller_power.value) if last is not None else "none",
        digest=digest.hexdigest(),
    )
