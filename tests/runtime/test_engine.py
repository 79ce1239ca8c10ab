"""Runtime on the real twin in sim clock: snapshots, energy, persistence, events, config, commands."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from smartpdu.app import build_demo_runtime
from smartpdu.config import ConfigError, dump_config
from smartpdu.runtime import (
    CommandStatus,
    OutletAction,
    OutletCommand,
    RackRuntime,
)
from smartpdu.storage import open_store


def _codes(rt: RackRuntime, pdu: str = "pdu-a") -> list[str]:
    return [e.event_code for e in rt.store.events_since(pdu, 0, 10_000)]


async def test_snapshot_and_energy_follow_the_measured_power(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path)
    async with rt:
        first = rt.snapshot
        e0 = first.pdus["pdu-a"].inlet.energy_wh
        expected = 0.0
        for _ in range(25):
            snap = await rt.run_ticks(1)
            expected += snap.pdus["pdu-a"].inlet.power_w * rt.hardware.window_s / 3600.0  # type: ignore[attr-defined]
        e1 = snap.pdus["pdu-a"].inlet.energy_wh
        assert e1 - e0 == pytest.approx(expected, rel=1e-9)
        pdu = snap.pdus["pdu-a"]
        assert len(pdu.outlets) == 24 and len(pdu.branches) == 6
        assert pdu.inlet.power_w > 1000
        # branch current equals the sum of its outlets' (instantaneous sums → rms within noise)
        assert sum(o.reading.p_w for o in pdu.outlets.values()) == pytest.approx(
            pdu.inlet.power_w, rel=0.01
        )
        assert snap.tick == first.tick + 25
        assert 49.5 < pdu.inlet.frequency_hz < 50.5
        # computed neutral: the phases are unbalanced, so the neutral carries current, but never
        # more than the largest phase current plus the triplen harmonics allow (< sum of phases)
        phases = [r.i_rms_a for r in pdu.inlet.phases.values()]
        assert 0.5 < pdu.inlet.neutral_a < sum(phases)
        assert {"temp-top", "hum-1", "voc-1"} <= set(snap.sensors)


async def test_energy_survives_restart_and_sequence_continues(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path)
    async with rt:
        await rt.run_for(5.0)
        e_stop = rt.snapshot.pdus["pdu-b"].inlet.energy_wh
        last_seq = rt.events.head("pdu-b")[0]
    rt2 = build_demo_runtime(tmp_path)
    async with rt2:
        assert rt2.snapshot.pdus["pdu-b"].inlet.energy_wh >= e_stop
        await rt2.run_ticks(5)
        assert rt2.snapshot.pdus["pdu-b"].inlet.energy_wh > e_stop
        seqs = [e.sequence_id for e in rt2.store.events_since("pdu-b", 0, 1000)]
        assert seqs == list(range(1, len(seqs) + 1)) and max(seqs) > last_seq


async def test_readings_are_stored_per_second(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path)
    async with rt:
        start = rt.now_utc()
        await rt.run_for(130.0)
        end = rt.now_utc()
        await rt.flush()
        points = rt.store.history("pdu-a", "inlet/power_w", start, end, step_s=1)
        assert len(points) >= 120
        assert all(p.min <= p.avg <= p.max for p in points)
        minute = rt.store.history(
            "pdu-a", "outlet/1/current_a", start, end + timedelta(minutes=1), step_s=60
        )
        assert minute and minute[0].avg > 0


async def test_feed_loss_and_restore_are_events(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path)
    async with rt:
        await rt.run_ticks(3)
        rt.hardware.feed_loss("A")  # type: ignore[attr-defined]
        await rt.run_ticks(3)
        assert not rt.snapshot.pdus["pdu-a"].inlet.feed_present
        rt.hardware.feed_restore("A")  # type: ignore[attr-defined]
        await rt.run_ticks(3)
        lost = [e for e in rt.store.events_since("pdu-a", 0, 1000) if e.event_code == "FEED_LOST"]
        assert len(lost) == 1 and lost[0].evidence["unit"] == "V"
        assert "FEED_RESTORED" in _codes(rt)


async def test_config_versions_and_topology_guard(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path)
    async with rt:
        text = dump_config(rt.config).replace("name: demo-rack", "name: renamed-rack", 1)
        version = await rt.apply_config(text, "alice", "rename")
        assert version == 2 and rt.config.rack.name == "renamed-rack"
        assert "CONFIG_CHANGED" in _codes(rt)
        changed = [e for e in rt.store.events_since("pdu-a", 0, 1000) if e.actor == "alice"]
        assert changed and changed[0].evidence["version"] == 2
        bad = dump_config(rt.config).replace("id: '24'", "id: '99'", 1)
        with pytest.raises(ConfigError) as info:
            await rt.apply_config(bad, "alice")
        assert "outlets" in info.value.issues[0].path
        assert await rt.rollback_config(1, "bob") == 3
        assert rt.config.rack.name == "demo-rack"


async def test_energy_reset_is_audited_and_totals_stay(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path)
    async with rt:
        await rt.run_ticks(10)
        total = rt.snapshot.pdus["pdu-a"].outlets["1"].reading.energy_wh
        n = await rt.reset_energy("pdu-a", "outlet/1", "carol")
        assert n == 1
        await rt.run_ticks(1)
        assert rt.snapshot.pdus["pdu-a"].outlets["1"].reading.energy_wh >= total
        resets = [
            e
            for e in rt.store.events_since("pdu-a", 0, 1000)
            if e.event_code == "ENERGY_REGISTER_RESET"
        ]
        assert resets and resets[0].actor == "carol"
        with pytest.raises(KeyError):
            await rt.reset_energy("pdu-a", "outlet/99", "carol")


async def test_outlet_off_command_is_verified_and_attributed(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path)
    async with rt:
        await rt.run_ticks(30)
        assert rt.snapshot.pdus["pdu-a"].outlets["2"].state == "on"
        task = asyncio.create_task(
            rt.outlet_command(
                OutletCommand("pdu-a", ("2",), OutletAction.OFF, actor="user/dave", command_id="c1")
            )
        )
        for _ in range(50):
            if task.done():
                break
            await rt.run_ticks(1)
        result = await task
        assert result.status is CommandStatus.DONE, result
        assert rt.snapshot.pdus["pdu-a"].outlets["2"].state == "off"
        offs = [e for e in rt.store.events_since("pdu-a", 0, 1000) if e.event_code == "OUTLET_OFF"]
        assert offs and offs[-1].actor == "user/dave" and offs[-1].command_id == "c1"


async def test_postgres_backend_runs_the_same_loop(tmp_path: Path, pg_url: str) -> None:
    rt = build_demo_runtime(tmp_path, db_url=pg_url)
    async with rt:
        await rt.run_for(3.0)
        assert rt.snapshot.pdus["pdu-a"].inlet.energy_wh > 0
    rt.store.close()  # the factory opened it; whoever composes the runtime closes it
    store = open_store(pg_url)
    try:
        assert [s for s in store.load_energy("pdu-a") if s.channel == "inlet"]
        assert store.events_since("pdu-a", 0, 10)[0].event_code == "SYSTEM_START"
    finally:
        store.close()


async def test_command_id_is_idempotent_across_a_restart(tmp_path: Path) -> None:
    cmd = OutletCommand("pdu-a", ("6",), OutletAction.OFF, actor="user/erin", command_id="k-42")
    rt = build_demo_runtime(tmp_path)
    async with rt:
        await rt.run_ticks(30)
        task = asyncio.create_task(rt.outlet_command(cmd))
        while not task.done():
            await rt.run_ticks(1)
        first = await task
        assert first.status is CommandStatus.DONE
    rt2 = build_demo_runtime(tmp_path)
    async with rt2:
        await rt2.run_ticks(5)
        cycles_before = rt2.snapshot.pdus["pdu-a"].outlets["6"].relay_cycles
        again = await rt2.outlet_command(cmd)  # answered from the persisted ledger at once
        await rt2.run_ticks(5)
        assert again == first
        assert rt2.snapshot.pdus["pdu-a"].outlets["6"].relay_cycles == cycles_before
        offs = [
            e
            for e in rt2.store.events_since("pdu-a", 0, 10_000)
            if e.event_code == "OUTLET_OFF" and e.command_id == "k-42"
        ]
        assert len(offs) == 1
