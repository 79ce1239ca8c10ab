"""Persist stage: the storage cadence of the tick, all of it handed to the writer thread.

1 s readings (min/avg/max of the snapshots) are collected for the minute and handed over as one
batch when the minute completes — one packed block per PDU, one transaction (flash wear: the
per-second commit was most of the bytes written). A ``kill -9`` loses at most that minute of
1 s history, never energy: the exact energy bank is handed over every ``interval_s`` and
readable per-channel energy rows once a minute. The 1 min/1 h roll-up runs every 15 minutes,
when a 1 min block is complete (history answers the newer minutes from 1 s data); the
retention purge (``retention``) runs once an hour in short chunks.
"""

from __future__ import annotations

from datetime import timedelta

from smartpdu.config import StorageConfig
from smartpdu.runtime.energy import EnergyBook
from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame
from smartpdu.runtime.readings import SecondAggregator
from smartpdu.runtime.writer import StoreWriter
from smartpdu.storage import ReadingBatch, RetentionPolicy, Store

__all__ = ["ROLLUP_EVERY_MIN", "PersistStage", "retention_policy"]

ROLLUP_EVERY_MIN = 15
"""Minutes between roll-ups: the span of a 1 min block (history computes the rest from 1 s)."""


def retention_policy(config: StorageConfig) -> RetentionPolicy:
    """The store's retention from the rack configuration's ``storage`` section."""
    return RetentionPolicy(
        s1=timedelta(hours=config.keep_1s_hours),
        m1=timedelta(days=config.keep_1min_days),
        h1=timedelta(days=config.keep_1h_days),
    )


class PersistStage(StageBase):
    name = "persist"
    phase = Phase.PERSIST

    def __init__(
        self,
        store: Store,
        writer: StoreWriter,
        energy: EnergyBook,
        *,
        interval_s: float = 1.0,
        retention: RetentionPolicy | None = None,
    ) -> None:
        self._store = store
        self._writer = writer
        self._energy = energy
        self._interval_s = interval_s
        self._retention = retention or RetentionPolicy()
        self._seconds = SecondAggregator()
        self._pending = ReadingBatch()
        """The minute's 1 s readings, as columns (no object per value: see ReadingBatch)."""
        self._last_s = -1e9
        self._last_minute = -1

    def run(self, frame: TickFrame) -> None:
        now = frame.now_utc
        minute = int(now.timestamp() // 60)
        self._pending += self._seconds.add(now, frame.require_snapshot())
        if self._pending and int(self._pending.seconds[0].ts.timestamp() // 60) != minute:
            self._flush_readings()
        if frame.t_s - self._last_s < self._interval_s:
            return
        self._last_s = frame.t_s
        new_minute = minute != self._last_minute
        # the exact bank every interval; readable per-channel rows once a minute
        self._writer.submit_energy(self._energy.states(now, per_channel=new_minute))
        if new_minute:
            self._last_minute = minute
            store, retention = self._store, self._retention
            if minute % ROLLUP_EVERY_MIN == 0:  # a 1 min block is complete: written once
                self._writer.submit(lambda: store.rollup(now))
            if minute % 60 == 0:
                self._writer.submit(lambda: store.purge(now, retention))

    def _flush_readings(self) -> None:
        if self._pending:
            self._writer.submit_readings(self._pending)
            self._pending = ReadingBatch()

    def close(self) -> None:
        """Write the pending minute and partial second (the writer is still running)."""
        self._pending += self._seconds.flush()
        self._flush_readings()
