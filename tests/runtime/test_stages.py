"""Stage helpers on real twin data: metered outlet currents keep NaN and flags; the decision
overlay copies nothing on a quiet tick; watchers take the window they are given."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

from smartpdu.app import build_demo_runtime
from smartpdu.metering import QualityFlag, measure_block
from smartpdu.runtime.stages import metered_outlets, overlay_decisions
from smartpdu.runtime.transitions import TransitionWatcher


async def test_metered_outlets_keep_no_value_and_flag_names(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path)
    async with rt:
        block = rt.hardware.acquire().blocks["pdu-a"]
    metered = measure_block(block)
    k = metered.index("outlet/5")
    metered.metrics.i_rms_a[k] = math.nan
    metered.metrics.flags[k] = int(QualityFlag.CLIPPING | QualityFlag.CALIBRATION_DEGRADED)
    out = metered_outlets(metered)
    assert set(out) == {o.id for o in rt.config.pdu("pdu-a").outlets}
    assert math.isnan(out["5"].i_rms_a)
    assert out["5"].flags == ("clipping", "calibration_degraded")
    assert out["6"].i_rms_a == float(metered.metrics.i_rms_a[metered.index("outlet/6")])


async def test_the_overlay_copies_nothing_when_no_decision_changed(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path)
    async with rt:
        await rt.run_ticks(30)
        snap = rt.snapshot
        assert overlay_decisions(snap, rt.control) is snap


async def test_watchers_take_the_window_they_are_given(tmp_path: Path) -> None:
    """The evidence window comes from the frame (the hardware), not a constant."""
    rt = build_demo_runtime(tmp_path)
    async with rt:
        snap = await rt.run_ticks(1)
    watcher = TransitionWatcher()
    assert watcher.observe(snap, first=True, window_s=0.25) == []
    pdu = snap.pdus["pdu-a"]
    dead_pdu = replace(pdu, inlet=replace(pdu.inlet, feed_present=False))
    dead = replace(snap, pdus={**snap.pdus, "pdu-a": dead_pdu})
    (lost,) = watcher.observe(dead, window_s=0.25)
    assert lost.event_code == "FEED_LOST" and lost.evidence["window_s"] == 0.25
