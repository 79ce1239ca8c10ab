"""One clock abstraction: wall time for a running PDU, simulated time for replays and tests.

Domain code never reads the system time; it asks the runtime's clock.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "SimClock", "WallClock"]


class Clock(Protocol):
    @property
    def simulated(self) -> bool: ...

    def now_utc(self) -> datetime: ...

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...

    def follow(self, seconds: float) -> None:
        """Sim mode: move to the acquisition time ``seconds`` (never back); wall mode: no-op."""
        ...


class WallClock:
    """The machine's clock: UTC wall time and a monotonic counter for pacing."""

    simulated = False

    def now_utc(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def follow(self, seconds: float) -> None:
        """Wall time runs by itself."""


class SimClock:
    """Simulated time that moves only when the runtime advances it (as fast as the CPU allows)."""

    simulated = True

    def __init__(self, start_utc: datetime | None = None) -> None:
        self._start = start_utc or datetime(2026, 1, 1, tzinfo=UTC)
        if self._start.tzinfo is None:
            raise ValueError("SimClock start must be timezone-aware (UTC)")
        self._elapsed = 0.0

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("simulated time cannot go backwards")
        self._elapsed += seconds

    def set_elapsed(self, seconds: float) -> None:
        self._elapsed = max(self._elapsed, seconds)

    def follow(self, seconds: float) -> None:
        self.set_elapsed(seconds)

    def now_utc(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        return self._elapsed

    async def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)
