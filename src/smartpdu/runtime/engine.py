"""The composition root and tick loop: hardware → metering → control/protection → events → storage.

One tick is one measurement window (≈200 ms). The tick computes in a worker thread (the API stays
responsive), publishes one immutable snapshot, and hands storage work to a background writer so
that a slow disk or a slow subscriber never delays the next tick.

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
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from smartpdu.config import ConfigError, ConfigIssue, RackConfig, dump_config, parse_config
from smartpdu.control import ControlPlane, TickOutput
from smartpdu.events import Action, EventBus, EventLog, NewEvent, load_or_create_device_key
from smartpdu.events.model import Event, format_timestamp
from smartpdu.hardware import Acquisition, RackHardware
from smartpdu.metering import (
    CalibrationArrays,
    CalibrationSet,
    DemandMeter,
    measure_block,
    voltage_channel_name,
)
from smartpdu.metering.block import measured_channels
from smartpdu.model.commands import CommandResult, CommandStatus, OutletCommand
from smartpdu.model.snapshot import RackSnapshot
from smartpdu.runtime.assemble import Demand, PduWindow, build_rack_snapshot
from smartpdu.runtime.clock import Clock
from smartpdu.runtime.energy import EnergyBook
from smartpdu.runtime.quality import MeteringWatch
from smartpdu.runtime.readings import SecondAggregator
from smartpdu.runtime.transitions import TransitionWatcher
from smartpdu.runtime.writer import StoreWriter
from smartpdu.storage import Store

__all__ = ["RackRuntime"]

log = logging.getLogger(__name__)

ENERGY_KV_PREFIX = "energy/"
COMMAND_TIMEOUT_S = 15.0
DEMAND_WINDOW_S = 900.0


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
        persist_interval_s: float = 1.0,
        checkpoint_every: int = 100,
        demand_window_s: float = DEMAND_WINDOW_S,
    ) -> None:
        self._config = config
        self._hw = hardware
        self._store = store
        self._clock = clock
        self._data_dir = Path(data_dir)
        self._calibration = calibration or {}
        self._persist_interval_s = persist_interval_s
        self._bus = EventBus()
        self._key = load_or_create_device_key(self._data_dir)
        self._events = EventLog(
            store, self._key, clock.now_utc, bus=self._bus, checkpoint_every=checkpoint_every
        )
        self._control = (control_factory or _default_control)(config, store)
        self._energy = EnergyBook(config, store)
        self._writer = StoreWriter(store)
        self._seconds = SecondAggregator()
        self._transitions = TransitionWatcher()
        self._quality = MeteringWatch()
        self._demand = {
            p.id: DemandMeter(p.phases + 1, window_s=demand_window_s) for p in config.pdus
        }
        self._lock = threading.RLock()
        self._snapshot: RackSnapshot | None = None
        self._tick = 0
        self._cal_arrays: dict[Any, CalibrationArrays] = {}
        self.tick_cpu_s = 0.0
        """CPU time the tick thread spent computing ticks (benchmarks, health)."""
        self._last_persist_s = -1e9
        self._last_rollup_min = -1
        self._waiters: dict[str, list[asyncio.Future[CommandResult]]] = {}
        self._snapshot_waiters: set[asyncio.Queue[RackSnapshot]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._running = False
        self.started_utc: datetime | None = None

    # ---- RuntimeServices -------------------------------------------------------------------
    @property
    def config(self) -> RackConfig:
        return self._config

    @property
    def snapshot(self) -> RackSnapshot:
        if self._snapshot is None:
            raise RuntimeError("runtime has not produced a snapshot yet; start it first")
        return self._snapshot

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
    def tick_count(self) -> int:
        return self._tick

    def now_utc(self) -> datetime:
        return self._clock.now_utc()

    async def snapshots(self) -> AsyncIterator[RackSnapshot]:
        queue: asyncio.Queue[RackSnapshot] = asyncio.Queue(maxsize=1)
        self._snapshot_waiters.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._snapshot_waiters.discard(queue)

    async def outlet_command(self, command: OutletCommand) -> CommandResult:
        if command.command_id is None:
            command = _with_id(command)
        with self._lock:
            ticket = self._control.submit(command, self._hw_time())
        if ticket.result is not None:
            return ticket.result
        loop = asyncio.get_running_loop()
        future: asyncio.Future[CommandResult] = loop.create_future()
        self._waiters.setdefault(ticket.command_id, []).append(future)
        if self._clock.simulated and not self._running:
            # Sim mode driven by run_ticks: the caller steps time; just wait for the result.
            return await future
        try:
            return await asyncio.wait_for(asyncio.shield(future), COMMAND_TIMEOUT_S)
        except TimeoutError:
            waiting = self._waiters.get(ticket.command_id, [])
            if future in waiting:
                waiting.remove(future)
            if not waiting:
                self._waiters.pop(ticket.command_id, None)
            return CommandResult(
                command_id=ticket.command_id,
                status=CommandStatus.ACCEPTED,
                detail="still executing (sequencing delays); watch the events for the outcome",
            )

    async def acknowledge_outlet(self, pdu_id: str, outlet_id: str, actor: str) -> Event:
        pdu = self._config.pdu(pdu_id)
        if all(o.id != outlet_id for o in pdu.outlets):
            raise KeyError(f"PDU {pdu_id!r} has no outlet {outlet_id!r}")
        with self._lock:
            draft = self._control.acknowledge(pdu_id, outlet_id, actor)
        return await asyncio.to_thread(self._events.append, draft)

    async def reset_energy(self, pdu_id: str, channel: str | None, actor: str) -> int:
        record = self._energy.reset(pdu_id, channel, actor, format_timestamp(self.now_utc()))
        self._writer.submit_energy(self._energy.states(self.now_utc()))
        before = sum(v.get("active_import_wh", 0.0) for v in record.values_before.values())
        self._events.append(
            NewEvent(
                pdu_id=pdu_id,
                source=f"{channel or 'pdu'}",
                event_code="ENERGY_REGISTER_RESET",
                message=f"Resettable energy registers reset ({len(record.channels)} channel(s))",
                action_taken=Action.RESET,
                reason_code="OPERATOR_RESET",
                evidence={"channels": len(record.channels), "active_import_wh_before": before},
                actor=actor,
            )
        )
        return len(record.channels)

    async def apply_config(self, yaml_text: str, actor: str, comment: str = "") -> int:
        new = parse_config(yaml_text, "submitted configuration")
        _check_same_topology(self._config, new)
        version = await asyncio.to_thread(
            self._store.add_config_version, dump_config(new), actor, comment, self.now_utc()
        )
        with self._lock:
            self._config = new
            self._control.update_config(new)
        for pdu in new.pdus:
            self._events.append(
                NewEvent(
                    pdu_id=pdu.id,
                    source=actor if "/" in actor else f"user/{actor}",
                    event_code="CONFIG_CHANGED",
                    message=f"Configuration version {version} applied",
                    action_taken=Action.CONFIG,
                    reason_code="CONFIG_UPDATE",
                    evidence={"version": version, "comment": comment[:200]},
                    actor=actor,
                )
            )
        return version

    async def rollback_config(self, version: int, actor: str) -> int:
        old = await asyncio.to_thread(self._store.get_config_version, version)
        if old is None:
            raise KeyError(f"configuration version {version} does not exist")
        return await self.apply_config(old.yaml_text, actor, f"rollback to version {version}")

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
        self._loop = asyncio.get_running_loop()
        self._bus.bind(self._loop)
        self.started_utc = self.now_utc()
        if self._store.get_config_version() is None:
            self._store.add_config_version(
                dump_config(self._config), "system", "initial configuration", self.now_utc()
            )
        for pdu in self._config.pdus:
            self._events.append(
                NewEvent(
                    pdu_id=pdu.id,
                    source="system",
                    event_code="SYSTEM_START",
                    message="Controller started",
                    action_taken=Action.NONE,
                    reason_code="STARTUP",
                    evidence={"outlets": len(pdu.outlets)},
                )
            )
        acquisition = self._hw.acquire()
        snapshot = self._process(acquisition, first=True)
        self._snapshot = snapshot
        with self._lock:
            self._apply_output(self._control.on_start(snapshot, acquisition, acquisition.t0_s))
        self._writer.start()
        if not self._clock.simulated:
            self._running = True
            self._task = asyncio.create_task(self._run_wall(), name="smartpdu-tick-loop")

    async def stop(self) -> None:
        """Stop ticking, flush readings and energy, write SYSTEM_STOP and final checkpoints."""
        self._running = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._writer.submit_readings(self._seconds.flush())
        self._writer.submit_energy(self._energy.states(self.now_utc()))
        await asyncio.to_thread(self._writer.flush_and_stop)
        for pdu in self._config.pdus:
            with contextlib.suppress(Exception):
                self._events.append(
                    NewEvent(
                        pdu_id=pdu.id,
                        source="system",
                        event_code="SYSTEM_STOP",
                        message="Controller stopped",
                        reason_code="SHUTDOWN",
                    )
                )
        self._events.close()
        self._bus.close()
        for futures in self._waiters.values():
            for f in futures:
                if not f.done():
                    f.cancel()

    async def flush(self) -> None:
        """Wait until every reading and energy state handed to the writer is committed."""
        await asyncio.to_thread(self._writer.flush)

    async def run_ticks(self, n: int) -> RackSnapshot:
        """Sim mode: run ``n`` windows back to back; returns the last snapshot."""
        for _ in range(n):
            await self._tick_once(in_thread=False)
        return self.snapshot

    async def run_for(self, seconds: float) -> RackSnapshot:
        """Sim mode: run whole windows covering ``seconds`` of rack time."""
        window = self._hw.window_s
        return await self.run_ticks(max(1, round(seconds / window)))

    async def _run_wall(self) -> None:
        window = self._hw.window_s
        next_at = self._clock.monotonic()
        while self._running:
            try:
                await self._tick_once(in_thread=True)
            except asyncio.CancelledError:
                raise
            except Exception:  # the loop must survive anything a tick throws; it is logged
                log.exception("tick failed")
            next_at += window
            delay = next_at - self._clock.monotonic()
            if delay < -5 * window:  # fell far behind (suspended machine): resynchronise
                next_at = self._clock.monotonic()
                delay = 0.0
            await self._clock.sleep(delay)

    async def _tick_once(self, *, in_thread: bool) -> None:
        if in_thread:
            snapshot, completed = await asyncio.to_thread(self._tick_sync)
        else:
            snapshot, completed = self._tick_sync()
        self._publish(snapshot, completed)
        if self._clock.simulated:
            await asyncio.sleep(0)

    def _tick_sync(self) -> tuple[RackSnapshot, list[CommandResult]]:
        cpu0 = time.thread_time()
        try:
            return self._tick_compute()
        finally:
            self.tick_cpu_s += time.thread_time() - cpu0

    def _tick_compute(self) -> tuple[RackSnapshot, list[CommandResult]]:
        acquisition = self._hw.acquire()
        self._clock.follow(acquisition.t0_s + self._hw.window_s)
        snapshot = self._process(acquisition)
        with self._lock:
            out = self._control.on_tick(snapshot, acquisition)
            completed = self._apply_output(out)
        return snapshot, completed

    # ---- one window ----------------------------------------------------------------------------
    def _process(self, acquisition: Acquisition, *, first: bool = False) -> RackSnapshot:
        windows = []
        now = self.now_utc()
        for pdu in self._config.pdus:
            block = acquisition.blocks[pdu.id]
            metrics = measure_block(block, self._calibration_arrays(pdu.id, block))
            self._energy.add(pdu.id, metrics, block.duration_s)
            demand = self._update_demand(pdu.id, metrics, block)
            windows.append(
                PduWindow(
                    config=pdu,
                    block=block,
                    metrics=metrics.metrics,
                    channels=metrics.channels,
                    status=acquisition.status[pdu.id],
                    energy=self._energy.totals(pdu.id),
                    commanded_on=self._control.commanded_states(pdu.id),
                    locked_out=frozenset(self._control.locked_out(pdu.id)),
                    demand=demand,
                )
            )
        snapshot = build_rack_snapshot(
            self._config,
            self._tick,
            format_timestamp(now),
            acquisition,
            windows,
            self._control.trip_risk_pct(),
        )
        self._tick += 1
        for draft in self._transitions.observe(snapshot, first=first):
            self._events.append(draft)
        for draft in self._quality.observe(snapshot):
            self._events.append(draft)
        self._persist(now, snapshot, acquisition.t0_s)
        return snapshot

    def _calibration_arrays(self, pdu_id: str, block: Any) -> CalibrationArrays | None:
        """The PDU's coefficients laid out for this block's channels (CRC checks done once)."""
        cal = self._calibration.get(pdu_id)
        if cal is None:
            return None
        key = (pdu_id, block.channels)
        arrays = self._cal_arrays.get(key)
        if arrays is None:
            vnames = [voltage_channel_name(r) for r in range(block.voltage_v.shape[0])]
            arrays = self._cal_arrays[key] = cal.arrays(vnames, measured_channels(block))
        return arrays

    def _update_demand(self, pdu_id: str, metrics: Any, block: Any) -> Demand:
        """Feed the 15-min demand meter with the phase currents and the inlet power."""
        lines = [ch for ch in metrics.channels if ch.startswith("inlet/L")]
        rows = [metrics.index(ch) for ch in lines]
        m = metrics.metrics
        values = np.nan_to_num(np.append(m.i_rms_a[rows], m.p_w[rows].sum()))
        reading = self._demand[pdu_id].add(block.t0_s, block.duration_s, values)
        dem, mx = reading.demand.tolist(), np.maximum(reading.max_demand, 0.0).tolist()
        names = [ch.removeprefix("inlet/") for ch in lines]
        return Demand(
            current_a=dict(zip(names, dem[:-1], strict=True)),
            max_current_a=dict(zip(names, mx[:-1], strict=True)),
            power_w=dem[-1],
            max_power_w=mx[-1],
        )

    def _persist(self, now: datetime, snapshot: RackSnapshot, t_s: float) -> None:
        readings = self._seconds.add(now, snapshot)
        if readings:
            self._writer.submit_readings(readings)
        if t_s - self._last_persist_s >= self._persist_interval_s:
            self._last_persist_s = t_s
            minute = int(now.timestamp() // 60)
            # the exact bank every second; readable per-channel rows once a minute
            self._writer.submit_energy(
                self._energy.states(now, per_channel=minute != self._last_rollup_min)
            )
            if minute != self._last_rollup_min:
                self._last_rollup_min = minute
                store = self._store
                self._writer.submit(lambda: store.rollup(now))
                if minute % 60 == 0:
                    self._writer.submit(lambda: store.purge(now))

    def _apply_output(self, out: TickOutput) -> list[CommandResult]:
        for rc in out.relay_commands:
            try:
                self._hw.set_outlet(rc.pdu_id, rc.outlet_id, rc.on)
            except Exception:
                log.exception("relay command failed: %s", rc)
        for draft in out.events:
            self._events.append(draft)
        return list(out.completed)

    def _publish(self, snapshot: RackSnapshot, completed: list[CommandResult]) -> None:
        self._snapshot = snapshot
        for result in completed:
            for future in self._waiters.pop(result.command_id, []):
                if not future.done():
                    future.set_result(result)
        for queue in list(self._snapshot_waiters):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(snapshot)

    def _hw_time(self) -> float:
        return self._hw.now_s


def _with_id(command: OutletCommand) -> OutletCommand:
    return replace(command, command_id=str(uuid.uuid4()))


def _check_same_topology(old: RackConfig, new: RackConfig) -> None:
    """Live changes may not add/remove PDUs, branches or outlets (that needs a restart)."""
    issues = []
    if [p.id for p in old.pdus] != [p.id for p in new.pdus]:
        issues.append(ConfigIssue("pdus", "the set of PDUs cannot change while running"))
    else:
        for i, (a, b) in enumerate(zip(old.pdus, new.pdus, strict=True)):
            if [o.id for o in a.outlets] != [o.id for o in b.outlets]:
                issues.append(ConfigIssue(f"pdus[{i}].outlets", "outlet ids cannot change live"))
            if [x.id for x in a.branches] != [x.id for x in b.branches]:
                issues.append(ConfigIssue(f"pdus[{i}].branches", "branch ids cannot change live"))
    if issues:
        raise ConfigError(issues, "submitted configuration")


def _default_control(config: RackConfig, store: Store) -> ControlPlane:
    return ControlPlane(config, kv=store)
