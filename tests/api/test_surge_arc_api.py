"""Surge counters and the arc score on the REST interface (catalogue rows, issue 14): a surge and
an arcing terminal injected into the live demo twin, read back over the API."""

from __future__ import annotations

import asyncio

import httpx
from api_env import Env


async def test_surge_counters_and_arc_score_are_served(client: httpx.AsyncClient, env: Env) -> None:
    env.ticking.clear()
    await asyncio.sleep(0.05)
    rt = env.runtime
    twin = rt.hardware
    h = env.h("viewer")
    before = (await client.get("/api/v1/pdus/pdu-a", headers=h)).json()["inlet"]
    assert before["surges_major"] == 0 and before["spd_energy_j"] == 0.0
    twin.surge("A", phase="L3", peak_v=4000.0)  # type: ignore[attr-defined]
    twin.arcing("pdu-a", "21", 0.6)  # type: ignore[attr-defined]
    await rt.run_ticks(15)  # the burst closes once its 1 s gap has passed
    inlet = (await client.get("/api/v1/pdus/pdu-a", headers=h)).json()["inlet"]
    assert (inlet["surges_minor"], inlet["surges_major"], inlet["surges_severe"]) == (0, 1, 0)
    assert 0 < inlet["spd_energy_j"] < 1000 and 0 < inlet["spd_life_used_pct"] < 100
    phases = {p["id"]: p for p in (await client.get("/api/v1/pdus/pdu-a/phases", headers=h)).json()}
    assert [phases[ln]["surges_major"] for ln in ("L1", "L2", "L3")] == [0, 0, 1]
    cfg = {b.id: b.line for b in rt.config.pdus[0].branches}
    branches = (await client.get("/api/v1/pdus/pdu-a/branches", headers=h)).json()
    assert {b["id"] for b in branches if b["surges_major"]} == {
        b for b, line in cfg.items() if line == "L3"
    }
    other = (await client.get("/api/v1/pdus/pdu-b", headers=h)).json()["inlet"]
    assert other["surges_major"] == 0  # feed B saw nothing
    o = (await client.get("/api/v1/pdus/pdu-a/outlets/21", headers=h)).json()
    assert o["arc_score"] >= 0.5
    assert (await client.get("/api/v1/pdus/pdu-a/outlets/20", headers=h)).json()["arc_score"] == 0
