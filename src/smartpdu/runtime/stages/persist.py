"""Persist stage: the storage cadence of the tick, all of it handed to the writer thread.

1 s readings (min/avg/max of the snapshots) as each second completes; the exact energy bank every
``interval_s`` and readable per-channel energy rows, the 1 min/1 h roll-up once a minute; the
retention purge once an hour.
"""

from __future__ import annotations

from smartpdu.runtime.energy import EnergyBook
from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame
from smartpdu.runtime.readings import SecondAggregator
from smartpdu.runtime.writer import StoreWriter
from smartpdu.storage import Store

__all__ = ["PersistStage"]


class PersistStage(StageBase):
    name = "persist"
    phase = Phase.PERSIST

    def __init__(
        self, store: Store, writer: StoreWriter, energy: EnergyBook, *, interval_s: float = 1.0
    ) -> None:
        self._store = store
        self._writer = writer
        self._energy = energy
        self._interval_s = interval_s
        self._seconds = SecondAggregator()
        self._last_s = -1e9
        self._last_minute = -1

    def run(self, frame: TickFrame) -> None:
        now = frame.now_utc
        readings = self._seconds.add(now, frame.require_snapshot())
        if readings:
            self._writer.submit_readings(readings)
        if frame.t_s - self._last_s < self._interval_s:
            return
        self._last_s = frame.t_s
        minute = int(now.timestamp() // 60)
        new_minute = minute != self._last_minute
        # the exact bank every interval; readable per-channel rows once a minute
        self._writer.submit_energy(self._energy.states(now, per_channel=new_minute))
        if new_minute:
            self._last_minute = minute
            store = self._store
            self._writer.submit(lambda: store.rollup(now))
            if minute % 60 == 0:
                self._writer.submit(lambda: store.purge(now))

    def close(self) -> None:
        """Write the partial second and the final energy bank (the writer is still running)."""
        self._writer.submit_readings(self._seconds.flush())
