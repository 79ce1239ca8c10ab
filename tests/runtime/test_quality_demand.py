"""Metering plausibility events and 15-min demand on the real runtime (sim clock)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from smartpdu.app import build_demo_runtime
from smartpdu.runtime import RackSnapshot
from smartpdu.runtime.quality import MeteringWatch


def _tamper(snap: RackSnapshot, tick: int, *, ghost: bool, branch_gain: float) -> RackSnapshot:
    pdu = snap.pdus["pdu-a"]
    outlets = dict(pdu.outlets)
    if ghost:
        outlets["1"] = replace(outlets["1"], relay_closed=False, state="off")
    branches = dict(pdu.branches)
    b = branches["B3"]
    branches["B3"] = replace(b, reading=replace(b.reading, p_w=b.reading.p_w * branch_gain))
    pdus = dict(snap.pdus)
    pdus["pdu-a"] = replace(pdu, outlets=outlets, branches=branches)
    return replace(snap, pdus=pdus, tick=tick)


async def test_healthy_rack_raises_no_metering_alarm(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path)
    async with rt:
        await rt.run_for(30.0)
        codes = {
            e.event_code for p in ("pdu-a", "pdu-b") for e in rt.store.events_since(p, 0, 5000)
        }
    assert "METERING_MISMATCH" not in codes and "GHOST_POWER" not in codes


async def test_mismatch_and_ghost_power_are_confirmed_once(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path)
    async with rt:
        snap = await rt.run_ticks(2)
    watch = MeteringWatch(confirm=3, interval_ticks=5)
    events = []
    for k in range(6):  # six checks of a persistent fault
        events += watch.observe(_tamper(snap, 5 * k, ghost=True, branch_gain=1.2), window_s=0.2)
    # a 20 % high branch channel disagrees with its outlets below and its phase above
    found = sorted((e.event_code, e.source) for e in events)
    assert found == [
        ("GHOST_POWER", "outlet/1"),
        ("METERING_MISMATCH", "branch/B3"),
        ("METERING_MISMATCH", "phase/L2"),
    ], found
    ghost = next(e for e in events if e.event_code == "GHOST_POWER")
    assert ghost.evidence["value"] > 2.0
    mismatch = next(e for e in events if e.source == "branch/B3")
    assert mismatch.evidence["unit"] == "W"
    assert mismatch.evidence["value"] == pytest.approx(
        1.2 * mismatch.evidence["expected"], rel=0.02
    )
    # two bad checks then recovery: nothing; a fault that clears and returns alarms again
    watch2 = MeteringWatch(confirm=3, interval_ticks=5)
    seq = [True, True, False, False, False, True, True, True]
    out = []
    for k, bad in enumerate(seq):
        s = _tamper(snap, 5 * k, ghost=bad, branch_gain=1.0)
        out += watch2.observe(s, window_s=0.2)
    assert [e.event_code for e in out] == ["GHOST_POWER"]
    assert (
        watch2.observe(_tamper(snap, 3, ghost=True, branch_gain=1.0), window_s=0.2) == []
    )  # off-interval


async def test_demand_is_the_sliding_average_and_max_demand_follows(tmp_path: Path) -> None:
    """The runtime feeds the demand meter every window (15 min in production; 60 s here to keep
    the test short — the sliding-window arithmetic itself is tested in tests/metering)."""
    rt = build_demo_runtime(tmp_path, demand_window_s=60.0)
    async with rt:
        powers = []
        for _ in range(int(75 / 0.2)):
            snap = await rt.run_ticks(1)
            powers.append(snap.pdus["pdu-b"].inlet.power_w)
        inlet = snap.pdus["pdu-b"].inlet
        last = powers[-int(60 / 0.2) :]
        assert inlet.demand_power_w == pytest.approx(sum(last) / len(last), rel=1e-9)
        assert inlet.max_demand_power_w >= inlet.demand_power_w > 0
        assert set(inlet.demand_current_a) == {"L1", "L2", "L3"}
        assert all(v > 0 for v in inlet.max_demand_current_a.values())
