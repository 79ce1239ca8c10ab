"""A waiting caller gets its own command's result, even when another actor uses the same key.

Keys are scoped per actor (issue 11 item 1); the runtime's waiters must be too: before the fix
a caller waiting on client key ``k1`` was woken with whichever actor's ``k1`` finished first.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from smartpdu.app import build_demo_runtime
from smartpdu.runtime import CommandStatus, OutletAction, OutletCommand


async def test_same_client_key_two_actors_each_gets_its_own_result(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path)
    async with rt:
        await rt.run_ticks(30)
        quick = OutletCommand("pdu-a", ("2",), OutletAction.OFF, "user/alice", "k1")
        slow = OutletCommand(
            "pdu-a", ("3",), OutletAction.CYCLE, "user/bob", "k1", off_period_s=3.0
        )
        a = asyncio.create_task(rt.outlet_command(quick))
        b = asyncio.create_task(rt.outlet_command(slow))
        while not a.done():
            await rt.run_ticks(1)
        ra = await a
        assert ra.status is CommandStatus.DONE and [o.outlet_id for o in ra.outlets] == ["2"]
        await asyncio.sleep(0)
        assert not b.done(), "bob's cycle is still off for 3 s; he must not get alice's result"
        for _ in range(200):
            if b.done():
                break
            await rt.run_ticks(1)
        rb = await b
        assert rb.status is CommandStatus.DONE and [o.outlet_id for o in rb.outlets] == ["3"]
        cycles = [
            e
            for e in rt.store.events_since("pdu-a", 0, 10_000)
            if e.event_code == "OUTLET_CYCLE" and e.actor == "user/bob"
        ]
        assert len(cycles) == 1 and set(rb.event_sequence_ids) >= {cycles[0].sequence_id}


async def test_a_command_journals_its_intent_and_steps_durably(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path)
    async with rt:
        await rt.run_ticks(30)
        cmd = OutletCommand("pdu-a", ("5",), OutletAction.OFF, "user/carol", "k-j")
        task = asyncio.create_task(rt.outlet_command(cmd))
        while not task.done():
            await rt.run_ticks(1)
        result = await task
        mine = [e for e in rt.store.events_since("pdu-a", 0, 10_000) if e.command_id == "k-j"]
        codes = [e.event_code for e in mine]
        assert codes == ["OUTLET_COMMAND_ACCEPTED", "OUTLET_RELAY_DRIVEN", "OUTLET_OFF"]
        assert set(result.event_sequence_ids) == {e.sequence_id for e in mine}
