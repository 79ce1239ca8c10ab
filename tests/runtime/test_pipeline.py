"""The tick pipeline: stage order, CPU accounting, a new stage without an engine edit, and no
one-tick lag between this window's decisions and the published snapshot."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from pathlib import Path

import pytest

from smartpdu.app import build_demo_runtime
from smartpdu.metering import QualityFlag
from smartpdu.model.commands import OutletAction, OutletCommand
from smartpdu.runtime.pipeline import Phase, Pipeline, Stage, StageBase, TickFrame
from smartpdu.runtime.stages import StageParts, default_stages


class Probe(StageBase):
    """Records what a stage registered by the composition root sees of each frame."""

    def __init__(self, name: str, phase: Phase, log: list[str] | None = None) -> None:
        self.name, self.phase = name, phase
        self.log = log if log is not None else []
        self.frames: list[TickFrame] = []

    def run(self, frame: TickFrame) -> None:
        self.log.append(self.name)
        self.frames.append(frame)


def test_stages_run_in_phase_order_then_registration_order_with_cpu_per_phase() -> None:
    log: list[str] = []
    stages = [
        Probe("persist", Phase.PERSIST, log),
        Probe("dew_point", Phase.DERIVE, log),
        Probe("measure", Phase.MEASURE, log),
        Probe("alarms", Phase.DERIVE, log),
        Probe("decide", Phase.DECIDE, log),
    ]
    pipe = Pipeline(stages)
    pipe.run(None)  # type: ignore[arg-type]  # probes do not read the frame
    assert log == ["measure", "dew_point", "alarms", "decide", "persist"]
    assert set(pipe.cpu_s) == {"measure", "derive", "decide", "publish", "persist"}
    assert set(pipe.stage_cpu_s) == {s.name for s in stages}
    assert all(v >= 0.0 for v in pipe.cpu_s.values())
    with pytest.raises(ValueError, match="unique"):
        Pipeline([Probe("a", Phase.DERIVE), Probe("a", Phase.DECIDE)])


def _with(*extra: Stage):
    def build(parts: StageParts) -> Sequence[Stage]:
        return [*default_stages(parts), *extra]

    return build


async def test_a_new_analytic_is_one_stage_and_sees_flagged_values(tmp_path: Path) -> None:
    derive = Probe("analytic", Phase.DERIVE)
    rt = build_demo_runtime(tmp_path, stages=_with(derive))
    async with rt:
        await rt.run_ticks(5)
        assert rt.pipeline.cpu_s["measure"] > 0 and rt.pipeline.cpu_s["decide"] > 0
        assert rt.pipeline.stage_cpu_s["analytic"] >= 0
    assert len(derive.frames) == 6  # the start-up window and five ticks
    frame = derive.frames[-1]
    pf = frame.pdus["pdu-a"]
    metered = pf.require_metered()
    assert metered.metrics.flags.shape == (len(metered.channels),)  # flags travel with values
    # a derive stage registered after the defaults sees energy, demand and the snapshot
    assert pf.energy and pf.demand is not None and frame.snapshot is not None
    assert frame.window_s == rt.hardware.window_s
    # an idle outlet has no power factor: NaN ("no value") on the frame, flagged, not 0
    off = [
        k
        for k, ch in enumerate(metered.channels)
        if ch.startswith("outlet/") and math.isnan(float(metered.metrics.pf[k]))
    ]
    assert off, "the demo rack has idle outlets"
    for k in off:
        assert int(metered.metrics.flags[k]) & QualityFlag.LOW_SIGNAL
        oid = metered.channels[k].removeprefix("outlet/")
        assert "low_signal" in frame.snapshot.pdus["pdu-a"].outlets[oid].reading.flags


async def test_the_snapshot_shows_this_windows_decisions(tmp_path: Path) -> None:
    """Relay intent and trip risk in a tick's snapshot are the decisions of that same tick."""
    seen = Probe("after_decide", Phase.PUBLISH)
    rt = build_demo_runtime(tmp_path, stages=_with(seen))
    risks: list[float] = []
    relays = 0
    async with rt:
        await rt.run_ticks(10)
        task = asyncio.create_task(
            rt.outlet_command(OutletCommand("pdu-a", ("3",), OutletAction.OFF, actor="user/eve"))
        )
        for _ in range(60):
            await rt.run_ticks(1)
            frame = seen.frames[-1]
            snap = frame.require_snapshot()
            for rc in frame.relay_commands:
                relays += 1
                assert snap.pdus[rc.pdu_id].outlets[rc.outlet_id].commanded_on is rc.on
            risk = rt.control.trip_risk_pct()
            for pdu in snap.pdus.values():
                for b in pdu.branches.values():
                    assert b.trip_risk_pct == risk[f"{pdu.id}/branch/{b.id}"]
            risks.append(snap.pdus["pdu-b"].branches["B1"].trip_risk_pct or 0.0)
        await task
    assert relays >= 1, "the OFF command never drove a relay"
    assert len(set(risks)) > 1, "trip risk never moved: the lag check could not fail"


async def test_maximum_demand_survives_a_restart(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path, demand_window_s=2.0)
    async with rt:
        await rt.run_for(6.0)
        before = rt.snapshot.pdus["pdu-a"].inlet.max_demand_power_w
        assert before > 0
    saved = rt.store.max_demand.load("pdu-a")  # its own table (migration 8), not key/value
    assert (
        saved["power"] == pytest.approx(before, rel=1e-12)
        and set(saved) == {"L1", "L2", "L3", "power"}
        and rt.store.kv_items("demand/") == {}
    )
    rt2 = build_demo_runtime(tmp_path, demand_window_s=2.0)
    async with rt2:
        first = rt2.snapshot.pdus["pdu-a"].inlet
        # the sliding window starts empty again, the maximum does not
        assert first.max_demand_power_w == pytest.approx(before, rel=1e-12)
        assert first.max_demand_current_a["L1"] > 0
