"""REST and CLI: capacity, what-if and the redundancy audit on the real demo runtime."""

from __future__ import annotations

import json

import httpx
import pytest
from api_env import PASSWORDS, Env, Served
from typer.testing import CliRunner

from smartpdu.cli import app

NEW = {
    "name": "srv-new",
    "load": {"kind": "active_pfc", "rated_power_w": 1600, "load_fraction": 0.8},
    "psus": [{"pdu": "pdu-a", "outlet": "8", "share": 0.5},
             {"pdu": "pdu-b", "outlet": "8", "share": 0.5}],
}  # fmt: skip


async def test_capacity_what_if_and_redundancy(client: httpx.AsyncClient, env: Env) -> None:
    await env.runtime.run_ticks(10)
    rows = (await client.get("/api/v1/capacity", headers=env.h("viewer"))).json()
    row = {(r["pdu_id"], r["entity"]): r for r in rows}
    b2 = row[("pdu-a", "branch/B2")]
    assert b2["limit_a"] == pytest.approx(12.8) and b2["reserve_a"] == pytest.approx(
        12.8 - b2["measured_a"], abs=2e-3
    )
    r = await client.post("/api/v1/capacity/what-if", json={"add": [NEW]}, headers=env.h("viewer"))
    assert r.status_code == 200, r.text
    after = {(x["pdu_id"], x["entity"]): x for x in r.json()}
    assert after[("pdu-a", "branch/B2")]["measured_a"] > b2["measured_a"] + 2.5
    assert env.runtime.config.devices[-1].name != "srv-new"  # nothing changed on the rack
    bad = await client.post("/api/v1/capacity/what-if", json={"remove": ["nope"]},
                            headers=env.h("viewer"))  # fmt: skip
    assert bad.status_code == 422 and "nope" in bad.json()["detail"]
    bad = await client.post("/api/v1/capacity/what-if", json={"add": [{"name": "x"}]},
                            headers=env.h("viewer"))  # fmt: skip
    assert bad.status_code == 422
    audit = (await client.get("/api/v1/redundancy", headers=env.h("viewer"))).json()
    assert audit["miswired"] == [{"device": "gpu-02", "feed": "A", "psus": 2}]
    assert any(s["device"] == "srv-01" for s in audit["shares"])
    for s in audit["shares"]:  # the 40–60 % band, judged by the controller
        shares = [v for v in s["share"].values() if v is not None]
        assert s["balanced"] == all(0.4 <= v <= 0.6 for v in shares), s
    assert {x["failed_feed"] for x in audit["failover"]} == {"A", "B"}


def test_cli_capacity_and_redundancy(served: Served) -> None:
    creds = ["--url", served.url, "--user", "viewer", "--password", PASSWORDS["viewer"]]
    runner = CliRunner()
    out = runner.invoke(app, ["capacity", "--json", *creds])
    assert out.exit_code == 0, out.output
    assert any(r["entity"] == "branch/B6" for r in json.loads(out.stdout))
    out = runner.invoke(app, ["redundancy", *creds])
    assert out.exit_code == 0, out.output
    assert "gpu-02" in out.output


async def test_capacity_forecast_route(client: httpx.AsyncClient, env: Env) -> None:
    r = await client.get("/api/v1/capacity/forecast?days=1&step_s=60", headers=env.h("viewer"))
    assert r.status_code == 200, r.text
    rows = r.json()
    assert {x["entity"] for x in rows} >= {"branch/B1", "inlet/L1"}
    # a fresh controller has no hour of history yet: no trend, no forecast, no guess
    assert all(x["limit_reached_utc"] is None for x in rows)
    bad = await client.get("/api/v1/capacity/forecast?days=0", headers=env.h("viewer"))
    assert bad.status_code == 422
    huge = await client.get("/api/v1/capacity/forecast?days=366&step_s=60", headers=env.h("viewer"))
    assert huge.status_code == 422 and "Too many buckets" in huge.json()["detail"]
