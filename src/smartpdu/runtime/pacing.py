"""Pace the tick to wall time: one window per window length, resynchronise when far behind.

A tick that throws is logged and the loop goes on (a measurement loop must survive anything one
window does). Falling more than ``overrun_windows`` behind (an overloaded CPU, a suspended
machine) does not replay the missed windows: the loop reports the lag and starts afresh.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from smartpdu.runtime.clock import Clock

__all__ = ["OVERRUN_WINDOWS", "run_paced"]

log = logging.getLogger(__name__)

OVERRUN_WINDOWS = 5
"""A wall loop this many windows behind resynchronises and reports an overrun."""


async def run_paced(
    tick: Callable[[], Awaitable[None]],
    clock: Clock,
    window_s: float,
    running: Callable[[], bool],
    on_overrun: Callable[[float], Awaitable[None]],
    *,
    overrun_windows: int = OVERRUN_WINDOWS,
) -> None:
    """Call ``tick`` once per ``window_s`` of ``clock`` while ``running()``; ``on_overrun(lag_s)``."""
    next_at = clock.monotonic()
    while running():
        try:
            await tick()
        except asyncio.CancelledError:
            raise
        except Exception:  # the loop must survive anything a tick throws; it is logged
            log.exception("tick failed")
        next_at += window_s
        delay = next_at - clock.monotonic()
        if delay < -overrun_windows * window_s:
            try:
                await on_overrun(-delay)
            except Exception:  # reporting an overrun must never stop the loop
                log.exception("could not report a tick overrun")
            next_at = clock.monotonic()
            delay = 0.0
        await clock.sleep(delay)
