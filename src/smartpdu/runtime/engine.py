"""The tick loop: acquire a window, run the stage pipeline, publish the snapshot, wake callers.

One tick is one measurement window (≈200 ms). What a tick computes is the :mod:`pipeline
<smartpdu.runtime.pipeline>` of stages; this module only moves data, on its own tick thread
(a one-thread executor) in wall mode or inline in sim mode. Everything else a running rack does
(commands, configuration, energy resets, the port's backend) is :class:`~smartpdu.runtime.rack.
RackRuntime`'s, which builds a :class:`TickLoop` and starts and stops it.

In sim mode (``SimClock``) nothing runs by itself: ``await loop.run_ticks(n)`` steps n windows
as fast as the CPU allows with identical logic.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from smartpdu.config import RackConfig
from smartpdu.control import ControlPlane
from smartpdu.events import EventLog
from smartpdu.hardware import RackHardware
from smartpdu.model.commands import CommandResult
from smartpdu.model.snapshot import RackSnapshot
from smartpdu.runtime.audit import tick_overrun
from smartpdu.runtime.clock import Clock
from smartpdu.runtime.fanout import SnapshotHub
from smartpdu.runtime.pacing import OVERRUN_WINDOWS, run_paced
from smartpdu.runtime.pipeline import Pipeline, TickFrame

__all__ = ["TickLoop"]

log = logging.getLogger(__name__)


class TickLoop:
    """Runs ``pipeline`` once per window of ``hardware``; publishes to ``hub``; ``resolve`` gets
    the commands each tick completed (after their events are committed)."""

    def __init__(
        self,
        hardware: RackHardware,
        clock: Clock,
        pipeline: Pipeline,
        events: EventLog,
        control: ControlPlane,
        control_lock: threading.RLock,
        config: Callable[[], RackConfig],
        resolve: Callable[[list[CommandResult]], None],
    ) -> None:
        self._hw = hardware
        self._clock = clock
        self._pipeline = pipeline
        self._events = events
        self._control = control
        self._lock = control_lock
        self._config = config
        self._resolve = resolve
        self.hub = SnapshotHub()
        self.tick_count = 0
        self.tick_cpu_s = 0.0
        """CPU time the tick thread spent computing ticks (benchmarks, health)."""
        self.tick_overruns = 0
        """Times the wall loop fell more than OVERRUN_WINDOWS behind (for /health)."""
        self._executor: ThreadPoolExecutor | None = None
        self._task: asyncio.Task[None] | None = None
        self.running = False
        """True while the paced wall loop runs (sim mode: never)."""

    def first(self) -> None:
        """Measure the first window inline and publish it (start-up, before any interface)."""
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="smartpdu-tick")
        snapshot, completed = self._tick_sync(first=True)
        self.hub.publish(snapshot)
        self._resolve(completed)

    def start(self) -> None:
        """Start the paced wall loop (nothing in sim mode)."""
        if self._clock.simulated:
            return
        self.running = True
        loop = run_paced(lambda: self._tick_once(in_thread=True), self._clock,
                         self._hw.window_s, lambda: self.running, self._overrun)  # fmt: skip
        self._task = asyncio.create_task(loop, name="smartpdu-tick-loop")

    async def stop(self) -> None:
        """Stop ticking; a tick still computing finishes first."""
        self.running = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._executor is not None:
            await asyncio.to_thread(self._executor.shutdown, True)
            self._executor = None

    async def run_ticks(self, n: int) -> None:
        """Sim mode: run ``n`` windows back to back; what they logged is readable afterwards."""
        for _ in range(n):
            await self._tick_once(in_thread=False)
        await self._events.flushed()

    async def _overrun(self, lag_s: float) -> None:
        self.tick_overruns += 1
        log.warning("tick loop %.2f s behind; resynchronising", lag_s)
        window = self._hw.window_s
        drafts = [tick_overrun(p.id, lag_s, window, OVERRUN_WINDOWS) for p in self._config().pdus]
        await self._in_tick_thread(lambda: [self._events.append(d) for d in drafts])

    async def run_serialised(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` serialised with the ticks: on the tick thread while the loop runs, inline
        when the caller steps sim time (``run_ticks`` ticks on the event-loop thread)."""
        return await self._in_tick_thread(fn)

    async def _in_tick_thread(self, fn: Callable[[], Any]) -> Any:
        if self._executor is None:
            return fn()
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def _tick_once(self, *, in_thread: bool) -> None:
        if in_thread:
            snapshot, completed = await self._in_tick_thread(self._tick_sync)
        else:
            snapshot, completed = self._tick_sync()
        self.hub.publish(snapshot)
        if completed:  # a result cites its events: they are on disk before it is returned
            await self._events.flushed()
            self._resolve(completed)
        if self._clock.simulated:
            await asyncio.sleep(0)

    def _tick_sync(self, first: bool = False) -> tuple[RackSnapshot, list[CommandResult]]:
        cpu0 = time.thread_time()
        try:
            acquisition = self._hw.acquire()
            if not first:
                self._clock.follow(acquisition.t0_s + self._hw.window_s)
            frame = TickFrame.start(self.tick_count, self._config(), self._clock.now_utc(),
                                    self._hw.window_s, acquisition, first=first)  # fmt: skip
            self._pipeline.run(frame)
            if frame.completed:
                with self._lock:
                    self._control.cite_events(frame.completed)
            self.tick_count += 1
            return frame.require_snapshot(), frame.completed
        finally:
            self.tick_cpu_s += time.thread_time() - cpu0
