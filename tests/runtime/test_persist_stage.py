"""The persist stage's storage cadence: one readings batch per minute, roll-up per 15 minutes,
purge per hour with the configured retention, energy every second (per-channel rows per minute).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from smartpdu.app import build_demo_runtime
from smartpdu.config import StorageConfig
from smartpdu.runtime.pipeline import TickFrame
from smartpdu.runtime.stages.persist import PersistStage, retention_policy
from smartpdu.storage import Reading, RetentionPolicy

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)  # on an hour boundary


class _Writer:
    def __init__(self) -> None:
        self.batches: list[list[Reading]] = []
        self.jobs: list[Callable[[], object]] = []
        self.energy: list[bool] = []

    def submit_readings(self, readings: list[Reading]) -> None:
        self.batches.append(list(readings))

    def submit(self, job: Callable[[], object]) -> None:
        self.jobs.append(job)

    def submit_energy(self, states: list[Any]) -> None:
        self.energy.append(bool(states))


class _Energy:
    def __init__(self) -> None:
        self.per_channel: list[bool] = []

    def states(self, now: datetime, *, per_channel: bool = True) -> list[Any]:
        self.per_channel.append(per_channel)
        return [now] if per_channel else []


class _Store:
    def __init__(self) -> None:
        self.calls: list[tuple[str, datetime, Any]] = []

    def rollup(self, now: datetime) -> None:
        self.calls.append(("rollup", now, None))

    def purge(self, now: datetime, retention: RetentionPolicy | None = None) -> dict[str, int]:
        self.calls.append(("purge", now, retention))
        return {}


@pytest.fixture(scope="module")
def snapshot_and_config(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    import asyncio

    async def one() -> tuple[Any, Any]:
        rt = build_demo_runtime(Path(tmp_path_factory.mktemp("snap")))
        async with rt:
            await rt.run_ticks(2)
            return rt.snapshot, rt.config

    return asyncio.run(one())


def test_cadence_over_16_minutes(snapshot_and_config: tuple[Any, Any]) -> None:
    snap, config = snapshot_and_config
    writer, energy, store = _Writer(), _Energy(), _Store()
    keep = RetentionPolicy(timedelta(hours=2), timedelta(days=3), timedelta(days=4))
    stage = PersistStage(store, writer, energy, retention=keep)  # type: ignore[arg-type]
    seconds = 16 * 60
    for i in range(seconds):  # one window per second is enough for the cadence
        now = T0 + timedelta(seconds=i)
        acq = SimpleNamespace(t0_s=float(i))
        frame = TickFrame(i, config, now, 1.0, acq, {}, snapshot=snap)  # type: ignore[arg-type]
        stage.run(frame)
        for job in writer.jobs:
            job()
        writer.jobs.clear()

    # 1 s readings: one batch per completed minute, each the whole minute of every key
    assert len(writer.batches) == 15
    keys = {(r.pdu_id, r.key) for r in writer.batches[0]}
    assert len(keys) > 100
    for m, batch in enumerate(writer.batches):
        stamps = {r.ts for r in batch}
        assert stamps == {T0 + timedelta(minutes=m, seconds=s) for s in range(60)}
        assert len(batch) == 60 * len(keys)
    # energy every second, readable per-channel rows once a minute
    assert len(energy.per_channel) == seconds and sum(energy.per_channel) == 16
    # roll-up when a 15-minute block of minutes is complete; purge on the hour, with the policy
    rollups = [now for name, now, _ in store.calls if name == "rollup"]
    assert rollups == [T0, T0 + timedelta(minutes=15)]
    assert [(now, r) for name, now, r in store.calls if name == "purge"] == [(T0, keep)]

    stage.close()  # the open minute (and its last second) go out on stop
    tail = writer.batches[-1]
    assert min(r.ts for r in tail) == T0 + timedelta(minutes=15)
    assert max(r.ts for r in tail) == T0 + timedelta(minutes=15, seconds=59)


def test_retention_comes_from_the_storage_config() -> None:
    cfg = StorageConfig(keep_1s_hours=6, keep_1min_days=30, keep_1h_days=730)
    assert retention_policy(cfg) == RetentionPolicy(
        timedelta(hours=6), timedelta(days=30), timedelta(days=730)
    )
    assert retention_policy(StorageConfig()) == RetentionPolicy()  # embedded defaults
    with pytest.raises(ValueError, match="greater than 0"):
        StorageConfig(keep_1s_hours=0)


async def test_runtime_writes_1s_history_per_minute_and_on_stop(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path)
    async with rt:
        start = rt.now_utc().replace(microsecond=0)
        minute_end = start.replace(second=0) + timedelta(minutes=1)
        await rt.run_for((minute_end - start).total_seconds() - 5)
        await rt.flush()
        key = ("pdu-a", "inlet/power_w")
        assert rt.store.history(*key, start, minute_end, step_s=1) == []  # still batched
        await rt.run_for(10.0)
        await rt.flush()
        first = rt.store.history(*key, start, minute_end + timedelta(minutes=1), step_s=1)
        assert [p.ts for p in first] == [
            start + timedelta(seconds=s) for s in range(int((minute_end - start).total_seconds()))
        ]
    after = rt.store.history(*key, start, minute_end + timedelta(minutes=1), step_s=1)
    assert len(after) > len(first)  # the stop wrote the open minute
