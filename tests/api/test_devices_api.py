"""Devices as objects (issue 13 item 9) on the real demo runtime: PSUs across both PDUs, ordered
commands audited as one, refusal with evidence when the inrush of both PSUs would trip."""

from __future__ import annotations

import httpx
from api_env import Env


async def test_devices_list_their_psus_across_both_pdus(
    client: httpx.AsyncClient, env: Env
) -> None:
    await env.runtime.run_ticks(10)
    r = await client.get("/api/v1/devices", headers=env.h("viewer"))
    assert r.status_code == 200, r.text
    devices = {d["name"]: d for d in r.json()}
    srv = devices["srv-01"]["psus"]
    assert [(p["pdu_id"], p["outlet_id"], p["feed"], p["branch"], p["phase"]) for p in srv] == [
        ("pdu-a", "1", "A", "B1", "L1"),
        ("pdu-b", "1", "B", "B1", "L1"),
    ]
    assert abs(sum(p["share"] for p in srv) - 1.0) < 1e-9 and all(p["on"] for p in srv)
    assert (await client.get("/api/v1/devices/nope", headers=env.h("viewer"))).status_code == 404


async def test_cycle_runs_in_order_across_pdus_as_one_audited_command(
    client: httpx.AsyncClient, env: Env
) -> None:
    r = await client.post("/api/v1/devices/srv-02/actions/cycle",
                          headers={**env.h("op"), "Idempotency-Key": "dev-1"})  # fmt: skip
    assert r.status_code in (200, 202), r.text
    body = r.json()
    assert [o["command_id"] for o in body["outlets"]] == [
        "dev-1:off:pdu-a", "dev-1:off:pdu-b", "dev-1:on:pdu-a", "dev-1:on:pdu-b",
    ]  # fmt: skip
    await env.runtime.flush()
    events = env.runtime.store.events_since("pdu-a", 0, 10_000) + env.runtime.store.events_since(
        "pdu-b", 0, 10_000
    )
    mine = [e for e in events if (e.command_id or "").startswith("dev-1")]
    head = [e for e in mine if e.source == "device/srv-02"]
    assert len(head) == 1 and head[0].event_code == "OUTLET_CYCLE" and head[0].actor == "user/op"
    offs = [e for e in mine if e.event_code == "OUTLET_OFF"]
    assert {(e.pdu_id, e.source) for e in offs} == {("pdu-a", "outlet/2"), ("pdu-b", "outlet/2")}
    viewer = await client.post("/api/v1/devices/srv-02/actions/off", headers=env.h("viewer"))
    assert viewer.status_code == 403


async def test_psu_pairs_route(client: httpx.AsyncClient, env: Env) -> None:
    env.ticking.clear()
    await env.runtime.run_for(65.0)
    env.ticking.set()
    r = await client.get("/api/v1/psu-pairs", headers=env.h("viewer"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["window_s"] >= 60
    pairs = {(p["a"], p["b"]): p for p in body["pairs"]}
    assert ("pdu-a/10", "pdu-b/10") in pairs and pairs[("pdu-a/10", "pdu-b/10")]["configured"]
    assert all(p["configured"] for p in body["pairs"])  # the demo rack is wired as configured
