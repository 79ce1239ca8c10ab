"""Config put/get/rollback, events paging, reading and energy history."""

from __future__ import annotations

from datetime import timedelta

import httpx
import yaml
from api_env import Env
from test_api import assert_problem

from smartpdu.config import dump_config
from smartpdu.storage import Reading


async def test_config_get_put_versions_rollback(client: httpx.AsyncClient, env: Env) -> None:
    h = env.h("admin")
    cur = (await client.get("/api/v1/config", headers=env.h("viewer"))).json()
    assert cur["version"] == 1 and "pdu-a" in cur["yaml"]
    data = yaml.safe_load(cur["yaml"])
    data["rack"]["location"] = "moved"
    r = await client.put(
        "/api/v1/config",
        headers={**h, "Content-Type": "application/yaml"},
        params={"comment": "move"},
        content=yaml.safe_dump(data),
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"version": 2}
    data["rack"]["location"] = "moved again"
    r = await client.put("/api/v1/config", headers=h, json=data)  # JSON object body
    assert r.json() == {"version": 3}
    versions = (await client.get("/api/v1/config/versions", headers=h)).json()
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[1]["author"] == "user/admin" and versions[1]["comment"] == "move"
    r = await client.post("/api/v1/config/rollback/1", headers=h)
    assert r.json() == {"version": 4}
    latest = (await client.get("/api/v1/config", headers=h)).json()
    assert latest["version"] == 4 and "moved" not in latest["yaml"]
    assert_problem(await client.post("/api/v1/config/rollback/99", headers=h), 404)
    assert_problem(await client.get("/api/v1/config", params={"version": 99}, headers=h), 404)
    codes = [e.event_code for e in env.runtime.store.events_since("pdu-a", 0, 1000)]
    assert codes.count("CONFIG_CHANGED") == 3


async def test_config_put_bad_lists_every_path(client: httpx.AsyncClient, env: Env) -> None:
    h = {**env.h("admin"), "Content-Type": "application/yaml"}
    data = yaml.safe_load(dump_config(env.runtime.config))
    data["pdus"][0]["outlets"][3]["rating_a"] = -1
    data["pdus"][1]["nominal_voltage_v"] = 5000
    r = await client.put("/api/v1/config", headers=h, content=yaml.safe_dump(data))
    body = assert_problem(r, 422)
    paths = {e["path"] for e in body["errors"]}
    assert "pdus[0].outlets[3].rating_a" in paths
    assert "pdus[1].nominal_voltage_v" in paths
    assert "Nothing was changed" in body["detail"]
    r = await client.put("/api/v1/config", headers=h, content="rack: [unclosed")
    body = assert_problem(r, 422)
    assert "YAML" in body["errors"][0]["message"]
    r = await client.put(
        "/api/v1/config", headers={**env.h("admin"), "Content-Type": "image/png"}, content=b"x"
    )
    assert_problem(r, 415)
    versions = (await client.get("/api/v1/config/versions", headers=env.h("admin"))).json()
    assert len(versions) == 1  # nothing stored


async def test_events_paging(client: httpx.AsyncClient, env: Env) -> None:
    h = env.h("viewer")
    page = (
        await client.get("/api/v1/events", params={"limit": 2, "pdu_id": "pdu-a"}, headers=h)
    ).json()
    assert [e["sequence_id"] for e in page["events"]] == [1, 2]
    nxt = page["next_since_seq"]["pdu-a"]
    page2 = (
        await client.get(
            "/api/v1/events", params={"since_seq": nxt, "limit": 2, "pdu_id": "pdu-a"}, headers=h
        )
    ).json()
    assert [e["sequence_id"] for e in page2["events"]] == [3, 4]
    e = page["events"][0]
    assert e["event_code"] == "SYSTEM_START" and len(e["hash"]) == 64
    assert page2["events"][0]["prev_hash"] == page["events"][1]["hash"]
    empty = (await client.get("/api/v1/events", params={"pdu_id": "zz"}, headers=h)).json()
    assert empty["events"] == []


async def test_history_and_energy(client: httpx.AsyncClient, env: Env) -> None:
    store = env.runtime.store
    # ten days back, so the runtime's own 1 s readings never overlap these
    t0 = (env.runtime.now_utc() - timedelta(days=10)).replace(second=0, microsecond=0)
    rows = []
    for s in range(180):  # 3 minutes: power 100 W, energy counter rising 1 Wh per 10 s
        ts = t0 + timedelta(seconds=s)
        rows.append(Reading("pdu-a", "outlet/7/power_w", ts, 100.0 + (s % 2)))
        rows.append(Reading("pdu-a", "outlet/7/energy_wh", ts, 50.0 + s / 10))
    store.write_readings(rows)
    store.rollup(t0 + timedelta(minutes=5))
    h = env.h("viewer")
    q = {
        "pdu_id": "pdu-a",
        "from": t0.isoformat(),
        "to": (t0 + timedelta(minutes=3)).isoformat(),
        "step": 60,
    }
    r = await client.get("/api/v1/history", params={**q, "key": "outlet/7/power_w"}, headers=h)
    assert r.status_code == 200, r.text
    pts = r.json()["points"]
    assert len(pts) == 3
    assert all(p["min"] == 100.0 and p["max"] == 101.0 and p["count"] == 60 for p in pts)
    assert abs(pts[0]["avg"] - 100.5) < 1e-9
    r = await client.get("/api/v1/energy", params=q, headers=h)
    ch = {c["channel"]: c for c in r.json()["channels"]}
    pts = ch["outlet/7"]["points"]
    assert [round(p["energy_wh"], 6) for p in pts] == [55.9, 61.9, 67.9]
    assert [round(p["delta_wh"], 6) for p in pts] == [5.9, 6.0, 6.0]
    bad = {**q, "from": q["to"], "to": q["from"]}
    body = assert_problem(await client.get("/api/v1/energy", params=bad, headers=h), 422)
    assert body["errors"][0]["path"] == "query.from"
    assert_problem(
        await client.get("/api/v1/history", params={**q, "key": "x", "pdu_id": "zz"}, headers=h),
        404,
    )
