"""One running rack: builds the event log, control plane, stages and tick loop; the port's backend.

:class:`RackRuntime` composes the parts a rack runs on (event log and bus, control plane, energy
book, store writer, stage pipeline, calibration desk) and is what :class:`~smartpdu.runtime.port.
RackPort` wraps. The tick loop itself is :mod:`.engine` (:class:`~smartpdu.runtime.engine.
TickLoop`); commands, configuration and energy resets are delegated to :mod:`.commands`,
:mod:`.config_apply` and :mod:`.energy`.

Usage::

    async with RackRuntime(config, RackTwin(config), open_store(url), clock=WallClock(),
                           data_dir=path) as rt:
        ...            # rt.snapshot, rt.outlet_command(...), rt.events.append(...)

In sim mode (``SimClock``) nothing runs by itself: ``await rt.run_ticks(n)`` steps n windows as
fast as the CPU allows with identical logic.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from threadpoolctl import threadpool_limits

from smartpdu.access.roles import Principal
from smartpdu.config import RackConfig
from smartpdu.control import ControlPlane
from smartpdu.events import AUDIT_HEAD_FILENAME, EventBus, EventLog, load_or_create_device_key
from smartpdu.events.model import Event
from smartpdu.hardware import RackHardware
from smartpdu.metering import CalibrationSet
from smartpdu.model.commands import CommandResult, OutletCommand
from smartpdu.model.snapshot import RackSnapshot
from smartpdu.runtime.audit import system_start, system_stop
from smartpdu.runtime.calibration import CalibrationBench, CalibrationDesk
from smartpdu.runtime.clock import Clock
from smartpdu.runtime.commands import CommandDesk
from smartpdu.runtime.config_apply import ConfigKeeper
from smartpdu.runtime.energy import EnergyBook, reset_audited
from smartpdu.runtime.energy_journal import EnergyJournal
from smartpdu.runtime.engine import TickLoop
from smartpdu.runtime.lever_desk import LeverDesk, LeverOutcome, LeverRequest, card_digest_key
from smartpdu.runtime.pipeline import Pipeline, Stage
from smartpdu.runtime.stages import (
    AlarmStage,
    PairingStage,
    ResidualStage,
    RiskStage,
    StageParts,
    default_stages,
)
from smartpdu.runtime.stages.measure import MeasureStage
from smartpdu.runtime.writer import StoreWriter
from smartpdu.storage import Store

__all__ = ["RackRuntime"]

log = logging.getLogger(__name__)

DEMAND_WINDOW_S = 900.0

StageFactory = Callable[[StageParts], Sequence[Stage]]


class RackRuntime:
    """Runs one rack (one or more PDUs) against a :class:`RackHardware`; implements RuntimeServices."""

    def __init__(
        self,
        config: RackConfig,
        hardware: RackHardware,
        store: Store,
        *,
        clock: Clock,
        data_dir: Path,
        calibration: dict[str, CalibrationSet] | None = None,
        control_factory: Callable[[RackConfig, Store], ControlPlane] | None = None,
        stages: StageFactory | None = None,
        persist_interval_s: float = 1.0,
        checkpoint_every: int = 100,
        demand_window_s: float = DEMAND_WINDOW_S,
        calibration_bench: CalibrationBench | None = None,
    ) -> None:
        self._hw = hardware
        self._store = store
        self._clock = clock
        self._bus = EventBus()
        self._key = load_or_create_device_key(Path(data_dir))
        self._events = EventLog(
            store,
            self._key,
            clock.now_utc,
            bus=self._bus,
            checkpoint_every=checkpoint_every,
            head_file=Path(data_dir) / AUDIT_HEAD_FILENAME,
        )
        self._control = (control_factory or _default_control)(config, store)
        self._lock = threading.RLock()
        journal = EnergyJournal(Path(data_dir))
        self._energy = EnergyBook(config, store, journal)
        self._writer = StoreWriter(store, journal=journal)
        self._configs = ConfigKeeper(config, store, self._events, self._control, self._lock,
                                     clock.now_utc)  # fmt: skip
        self._commands = CommandDesk(self._control, self._lock, lambda: hardware.now_s)
        self.levers = LeverDesk(config, hardware, store, self._events,
                                card_digest_key(Path(data_dir)))  # fmt: skip
        """Rack access: lever commands, keypad entries, the access log (``lever_desk``)."""
        parts = StageParts(config, hardware, store, self._events, self._control, self._energy,
                           self._writer, self._lock, calibration or {}, persist_interval_s,
                           demand_window_s, self.levers)  # fmt: skip
        self.pipeline = Pipeline((stages or default_stages)(parts))
        """The tick's stages; ``pipeline.cpu_s`` holds CPU seconds per phase."""
        self._calibration = CalibrationDesk(
            calibration_bench, store, self._events, self._install_calibration, clock.now_utc
        )
        self._loop = TickLoop(hardware, clock, self.pipeline, self._events, self._control,
                              self._lock, lambda: self.config, self._commands.resolve)  # fmt: skip
        self._hub = self._loop.hub
        self._blas: Any = None
        self.started_utc: datetime | None = None

    # ---- RuntimeServices -------------------------------------------------------------------
    @property
    def config(self) -> RackConfig:
        return self._configs.config

    @property
    def snapshot(self) -> RackSnapshot:
        if self._hub.latest is None:
            raise RuntimeError("runtime has not produced a snapshot yet; start it first")
        return self._hub.latest

    @property
    def store(self) -> Store:
        return self._store

    @property
    def events(self) -> EventLog:
        return self._events

    @property
    def bus(self) -> EventBus:
        return self._bus

    @property
    def hardware(self) -> RackHardware:
        return self._hw

    @property
    def control(self) -> ControlPlane:
        return self._control

    @property
    def device_key(self) -> Any:
        return self._key

    @property
    def tick_loop(self) -> TickLoop:
        """The tick loop (counters, the snapshot hub)."""
        return self._loop

    @property
    def tick_count(self) -> int:
        return self._loop.tick_count

    @property
    def tick_cpu_s(self) -> float:
        """CPU time the tick thread spent computing ticks (benchmarks, health)."""
        return self._loop.tick_cpu_s

    @property
    def tick_overruns(self) -> int:
        """Times the wall loop fell too far behind and resynchronised (for /health)."""
        return self._loop.tick_overruns

    def now_utc(self) -> datetime:
        return self._clock.now_utc()

    @property
    def alarm_desk(self) -> AlarmStage | None:
        """The alarm stage of the pipeline (active alarms, history, acknowledge), if any."""
        return next((s for s in self.pipeline.stages if isinstance(s, AlarmStage)), None)

    @property
    def residual_desk(self) -> ResidualStage | None:
        """The residual-current trend stage (levels, slope, forecast), if any."""
        return next((s for s in self.pipeline.stages if isinstance(s, ResidualStage)), None)

    @property
    def pairing_desk(self) -> PairingStage | None:
        """The PSU-pair discovery stage, if any."""
        return next((s for s in self.pipeline.stages if isinstance(s, PairingStage)), None)

    @property
    def risk_desk(self) -> RiskStage | None:
        """The risk-score stage, if any."""
        return next((s for s in self.pipeline.stages if isinstance(s, RiskStage)), None)

    def snapshots(self) -> AsyncIterator[RackSnapshot]:
        return self._hub.stream()

    async def outlet_command(self, command: OutletCommand) -> CommandResult:
        stepped = self._clock.simulated and not self._loop.running
        return await self._commands.submit(command, stepped=stepped)

    async def acknowledge_outlet(self, pdu_id: str, outlet_id: str, actor: str) -> Event:
        return await self._commands.acknowledge(self.config, self._events, pdu_id, outlet_id, actor)

    async def reset_energy(self, pdu_id: str, channel: str | None, actor: str) -> int:
        return reset_audited(
            self._energy, self._writer, self._events, pdu_id, channel, actor, self.now_utc()
        )

    async def apply_config(self, yaml_text: str, actor: str, comment: str = "") -> int:
        return await self._configs.apply(yaml_text, actor, comment)

    async def calibrate_outlet(
        self, pdu_id: str, outlet_id: str, bench_seed: int, actor: str
    ) -> dict[str, Any]:
        return await self._calibration.calibrate(self.config, pdu_id, outlet_id, bench_seed, actor)

    def _install_calibration(self, pdu_id: str, calibration: CalibrationSet) -> None:
        for stage in self.pipeline.stages:
            if isinstance(stage, MeasureStage):
                stage.set_calibration(pdu_id, calibration)

    async def rollback_config(self, version: int, actor: str) -> int:
        return await self._configs.rollback(version, actor)

    async def lever_command(self, request: LeverRequest) -> LeverOutcome:
        """Unlock or lock a lever where the ticks run (never racing an acquisition)."""
        return await self._loop.run_serialised(  # type: ignore[no-any-return]
            lambda: self.levers.execute(request, self._hw.now_s, self.now_utc())
        )

    async def lift_lockdown(self, principal: Principal) -> bool:
        return await self._loop.run_serialised(lambda: self.levers.lift_lockdown(principal))  # type: ignore[no-any-return]

    # ---- lifecycle ---------------------------------------------------------------------------
    async def __aenter__(self) -> RackRuntime:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Record the configuration, take the first window, apply power-up policy, start ticking."""
        self._bus.bind(asyncio.get_running_loop())
        self.started_utc = self.now_utc()
        self._configs.record_initial()
        for pdu in self.config.pdus:
            self._events.append(system_start(pdu.id, len(pdu.outlets)))
        self._loop.first()
        # BLAS/OpenMP pools: one thread (Pi-class CPU, the tick owns one core). Pinned after the
        # first window so that every pool a tick loads is already there to be limited.
        self._blas = threadpool_limits(limits=1)
        self._writer.start()
        self._loop.start()

    async def stop(self) -> None:
        """Stop ticking, flush readings and energy, write SYSTEM_STOP and final checkpoints."""
        await self._loop.stop()  # a tick still computing finishes first
        self.pipeline.close()
        self._writer.submit_energy(self._energy.states(self.now_utc()))
        await asyncio.to_thread(self._writer.flush_and_stop)
        for pdu in self.config.pdus:
            with contextlib.suppress(Exception):
                self._events.append(system_stop(pdu.id))
        self._events.close()
        self._bus.close()
        self._commands.cancel_all()
        if self._blas is not None:
            self._blas.restore_original_limits()
            self._blas = None

    async def flush(self) -> None:
        """Wait until every event, reading and energy state handed to the writers is committed."""
        await self._events.flushed()
        await asyncio.to_thread(self._writer.flush)

    async def run_ticks(self, n: int) -> RackSnapshot:
        """Sim mode: run ``n`` windows back to back; returns the last snapshot."""
        await self._loop.run_ticks(n)  # what the ticks logged is readable from the store
        return self.snapshot

    async def run_for(self, seconds: float) -> RackSnapshot:
        """Sim mode: run whole windows covering ``seconds`` of rack time."""
        return await self.run_ticks(max(1, round(seconds / self._hw.window_s)))


def _default_control(config: RackConfig, store: Store) -> ControlPlane:
    return ControlPlane(config, kv=store)
