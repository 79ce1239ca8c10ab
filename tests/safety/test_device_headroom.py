"""Device power commands refused when headroom is missing (issue 13 item 9), on a real runtime."""

from __future__ import annotations

import asyncio
from pathlib import Path

from smartpdu.analytics import headroom
from smartpdu.app.factory import build_twin_runtime, demo_config_path
from smartpdu.config import load_config
from smartpdu.model.commands import OutletAction
from smartpdu.runtime.port import RackPort


def _rack(gpu02_inrush_a: float):  # type: ignore[no-untyped-def]
    rack = load_config(demo_config_path())
    devices = [
        d.model_copy(update={"load": d.load.model_copy(update={"inrush_peak_a": gpu02_inrush_a})})
        if d.name == "gpu-02" else d
        for d in rack.devices
    ]  # fmt: skip
    return rack.model_copy(update={"devices": devices})


async def _cycle(tmp_path: Path, inrush_a: float):  # type: ignore[no-untyped-def]
    async with build_twin_runtime(_rack(inrush_a), tmp_path) as rt:
        await rt.run_for(3.0)
        port = RackPort(rt)
        device = next(d for d in rt.config.devices if d.name == "gpu-02")
        room = headroom(rt.config, rt.snapshot, device)
        task = asyncio.create_task(
            port.device_command("gpu-02", OutletAction.CYCLE, "user/op", "cyc-1")
        )
        while not task.done():
            await rt.run_ticks(1)
        checked, results = task.result()
        await rt.flush()
        events = [e for e in rt.store.events_since("pdu-a", 0, 10_000)
                  if (e.command_id or "").startswith("cyc-1")]  # fmt: skip
        return room, checked, results, events


def test_cycle_refused_when_both_psus_inrush_would_trip_the_branch(tmp_path: Path) -> None:
    # gpu-02's two PSUs sit on one C16 branch (pdu-a B5): 2 × 80 A of inrush ≥ √2·5·16 A
    room, checked, results, events = asyncio.run(_cycle(tmp_path, 80.0))
    assert not room.ok and checked is not None and not checked.ok and results == []
    assert any("inrush" in p and "pdu-a/branch/B5" in p for p in checked.problems)
    assert checked.evidence["pdu-a/branch/B5/inrush_peak_a"] >= 160.0
    assert [(e.event_code, e.reason_code, e.actor) for e in events] == [
        ("OUTLET_COMMAND_DENIED", "NO_HEADROOM", "user/op")
    ]


def test_cycle_runs_when_the_branch_has_room(tmp_path: Path) -> None:
    room, checked, results, events = asyncio.run(_cycle(tmp_path, 40.0))
    assert room.ok and checked is not None and checked.ok
    assert [r.command_id for r in results] == ["cyc-1:off:pdu-a", "cyc-1:on:pdu-a"]
    codes = [e.event_code for e in events]
    assert codes[0] == "OUTLET_CYCLE" and "OUTLET_OFF" in codes and "OUTLET_ON" in codes
