"""Issue 11 item 20: an allowed switch-on inrush must not read like a limit violation."""

from __future__ import annotations

import asyncio
from pathlib import Path

from smartpdu.app import build_demo_runtime
from smartpdu.model.commands import OutletAction, OutletCommand


async def _switch(rt, action: OutletAction, outlets: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    task = asyncio.create_task(rt.outlet_command(OutletCommand("pdu-a", outlets, action, "user/t")))
    while not task.done():
        await rt.run_ticks(1)
    await task


async def test_inrush_event_says_allowed_without_a_violated_limit(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path)
    outlets = tuple(str(i) for i in range(1, 13))
    async with rt:
        await rt.run_ticks(10)
        await _switch(rt, OutletAction.OFF, outlets)
        await rt.run_ticks(10)
        await _switch(rt, OutletAction.ON, outlets)
        await rt.run_ticks(20)
        events = rt.store.events_since("pdu-a", 0, 10_000)
    rt.store.close()
    inrush = [e for e in events if e.event_code == "OUTLET_INRUSH"]
    assert inrush, "switching servers on draws an inrush peak above the logging threshold"
    for e in inrush:
        assert "allowed, no action" in e.message and ", limit " not in e.message, e.message
        assert e.evidence["peak"] is not None and e.action_taken == "none"
