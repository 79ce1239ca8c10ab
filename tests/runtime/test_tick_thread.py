"""Wall-mode loop: the tick computes on the runtime's own thread, BLAS pools are pinned to one
thread while it runs, and falling far behind is one TICK_OVERRUN event and a counter."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from threadpoolctl import threadpool_info

from smartpdu.app.factory import DEMO_CONFIG, build_twin_runtime
from smartpdu.config import load_config
from smartpdu.runtime import WallClock
from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame
from smartpdu.runtime.stages import StageParts, default_stages


class JumpingClock(WallClock):
    """Wall time whose monotonic counter the test can push forward (a suspended machine)."""

    def __init__(self) -> None:
        self.offset_s = 0.0

    def monotonic(self) -> float:
        return super().monotonic() + self.offset_s


class ThreadProbe(StageBase):
    name = "thread_probe"
    phase = Phase.PUBLISH

    def __init__(self) -> None:
        self.threads: set[str] = set()

    def run(self, frame: TickFrame) -> None:
        self.threads.add(threading.current_thread().name)


async def _ticks(rt, n: int) -> None:  # type: ignore[no-untyped-def]
    target = rt.tick_count + n
    for _ in range(2000):
        if rt.tick_count >= target:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the wall loop did not tick")


async def test_wall_loop_ticks_on_its_own_thread_and_reports_overruns(tmp_path: Path) -> None:
    clock = JumpingClock()
    probe = ThreadProbe()

    def stages(parts: StageParts):  # type: ignore[no-untyped-def]
        return [*default_stages(parts), probe]

    rt = build_twin_runtime(load_config(DEMO_CONFIG), tmp_path, clock=clock, stages=stages)
    async with rt:
        await _ticks(rt, 3)
        blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        assert all(p["num_threads"] == 1 for p in blas)
        assert rt.tick_overruns == 0
        clock.offset_s += 50 * rt.hardware.window_s  # the machine "slept" for 50 windows
        await _ticks(rt, 3)
        assert rt.tick_overruns == 1
    # ticks after the first ran on the runtime's tick thread, not the default executor
    assert any(name.startswith("smartpdu-tick") for name in probe.threads)
    assert not any(name.startswith("asyncio") for name in probe.threads)
    overruns = [
        e for e in rt.store.events_since("pdu-a", 0, 10_000) if e.event_code == "TICK_OVERRUN"
    ]
    assert len(overruns) == 1
    ev = overruns[0].evidence
    assert ev["unit"] == "s" and ev["value"] >= 45 * ev["window_s"] and ev["limit"] > 0
