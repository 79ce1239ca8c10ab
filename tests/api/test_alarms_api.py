"""REST alarms and alarm rules on the real demo runtime: RBAC, acknowledge audited, bad input."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from api_env import PASSWORDS, Env, Served

from smartpdu.api.views import compact_snapshot

TRIGGER = {
    "rules": [
        {"id": "test-phase-load", "level": "phase", "metric": "load_pct",
         "match": "pdu-a/inlet/L3", "high_warning": 1, "latch": True},
    ],
    "disabled": ["voc"],
}  # fmt: skip


async def _wait_for_alarm(client: httpx.AsyncClient, env: Env) -> dict:
    for _ in range(200):
        r = await client.get("/api/v1/alarms", headers=env.h("viewer"))
        assert r.status_code == 200, r.text
        found = [a for a in r.json() if a["rule"] == "test-phase-load"]
        if found:
            return found[0]
        await asyncio.sleep(0.02)
    raise AssertionError("the alarm was never raised")


async def test_rules_put_acknowledge_and_audit(client: httpx.AsyncClient, env: Env) -> None:
    r = await client.put("/api/v1/alarm-rules", json=TRIGGER, headers=env.h("op"))
    assert r.status_code == 403  # operators handle alarms, admins configure them
    r = await client.put("/api/v1/alarm-rules?comment=test", json=TRIGGER, headers=env.h("admin"))
    assert r.status_code == 200, r.text
    rules = (await client.get("/api/v1/alarm-rules", headers=env.h("viewer"))).json()
    ids = {x["id"] for x in rules["effective"]}
    assert "test-phase-load" in ids and "voc" not in ids and "phase-load" in ids
    assert rules["config"]["disabled"] == ["voc"]

    alarm = await _wait_for_alarm(client, env)
    assert alarm["state"] == "raised" and alarm["entity"] == "pdu-a/inlet/L3"
    assert alarm["severity"] == "warning" and alarm["limit"] == 1 and alarm["value"] > 1
    aid = alarm["id"]
    url = f"/api/v1/alarms/{aid}/acknowledge"
    r = await client.post(url, json={"comment": "x"}, headers=env.h("viewer"))
    assert r.status_code == 403
    r = await client.post(url, json={"comment": 5}, headers=env.h("op"))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem")
    r = await client.post(url, json={"comment": "checking L3"}, headers=env.h("op"))
    assert r.status_code == 200, r.text
    acked = r.json()
    assert (acked["state"], acked["acknowledged_by"], acked["ack_comment"]) == (
        "acknowledged", "user/op", "checking L3")  # fmt: skip
    r = await client.post(url, json={"comment": "again"}, headers=env.h("op"))
    assert r.status_code == 409
    r = await client.get(f"/api/v1/alarms/{aid}", headers=env.h("viewer"))
    assert r.json()["state"] == "acknowledged"

    await env.runtime.flush()
    events = [e for e in await _events(client, env) if e["event_code"] == "ALARM_ACKNOWLEDGED"]
    assert len(events) == 1
    ev = events[0]
    assert ev["actor"] == "user/op" and ev["evidence"]["comment"] == "checking L3"
    assert ev["evidence"]["alarm_id"] == aid and ev["sequence_id"] > 0 and ev["timestamp_utc"]
    raised = [e for e in await _events(client, env) if e["event_code"] == "ALARM_RAISED"]
    assert any(e["evidence"]["rule"] == "test-phase-load" for e in raised)


async def _events(client: httpx.AsyncClient, env: Env) -> list[dict]:
    r = await client.get("/api/v1/events?limit=1000", headers=env.h("viewer"))
    assert r.status_code == 200, r.text
    body = r.json()
    return body["events"] if isinstance(body, dict) else body


async def test_bad_rules_unknown_alarms_and_states(client: httpx.AsyncClient, env: Env) -> None:
    bad = {"rules": [{"id": "x", "level": "outlet", "metric": "humidity", "high_warning": 1}]}
    r = await client.put("/api/v1/alarm-rules", json=bad, headers=env.h("admin"))
    assert r.status_code == 422
    problem = r.json()
    assert problem["errors"][0]["path"].startswith("alarms.rules.0")
    assert "is not watched at level" in problem["detail"]
    versions = (await client.get("/api/v1/config/versions", headers=env.h("viewer"))).json()
    assert len(versions) == 1  # nothing was changed
    r = await client.get("/api/v1/alarms/424242", headers=env.h("viewer"))
    assert r.status_code == 404
    r = await client.post("/api/v1/alarms/424242/acknowledge", headers=env.h("op"))
    assert r.status_code == 404
    r = await client.get("/api/v1/alarms?state=bogus", headers=env.h("viewer"))
    assert r.status_code == 422
    r = await client.get("/api/v1/alarms?state=all", headers=env.h("viewer"))
    assert r.status_code == 200 and isinstance(r.json(), list)
    r = await client.get("/api/v1/alarms")
    assert r.status_code == 401


def test_cli_lists_and_acknowledges_alarms(served: Served) -> None:
    from typer.testing import CliRunner

    from smartpdu.cli import app

    admin = served.env.h("admin")
    r = httpx.put(f"{served.url}/api/v1/alarm-rules", json=TRIGGER, headers=admin, timeout=30)
    assert r.status_code == 200, r.text
    creds = ["--url", served.url, "--user", "op", "--password", PASSWORDS["op"]]
    runner = CliRunner()
    found: list[dict] = []
    for _ in range(300):
        out = runner.invoke(app, ["alarms", "--json", *creds])
        assert out.exit_code == 0, out.output
        found = [a for a in json.loads(out.stdout) if a["rule"] == "test-phase-load"]
        if found:
            break
        time.sleep(0.02)
    assert found, "the alarm was never raised"
    aid = str(found[0]["id"])
    out = runner.invoke(app, ["alarms", "ack", aid, "--comment", "cli check", *creds])
    assert out.exit_code == 0 and "acknowledged" in out.output, out.output
    out = runner.invoke(app, ["alarms", "ack", aid, "--comment", "again", *creds])
    assert out.exit_code == 1 and "409" in out.output
    out = runner.invoke(app, ["alarms", "--json", *creds])
    (mine,) = [a for a in json.loads(out.stdout) if a["id"] == int(aid)]
    assert (mine["state"], mine["ack_comment"]) == ("acknowledged", "cli check")
    out = runner.invoke(app, ["alarms", *creds])  # the table
    assert out.exit_code == 0 and "alarms (active)" in out.output
    out = runner.invoke(app, ["alarms", "--active", "--json", *creds])
    assert out.exit_code == 0 and int(aid) in {a["id"] for a in json.loads(out.stdout)}
    out = runner.invoke(app, ["alarms", "--active", "--all", *creds])
    assert out.exit_code == 2 and "choose one" in out.output


async def test_residual_current_levels_and_trend(client: httpx.AsyncClient, env: Env) -> None:
    await env.runtime.flush()
    r = await client.get("/api/v1/residual-current", headers=env.h("viewer"))
    assert r.status_code == 200, r.text
    rows = {x["entity"]: x for x in r.json()}
    assert {"pdu-a/inlet", "pdu-a/branch/B6", "pdu-b/inlet", "pdu-b/branch/B6"} <= set(rows)
    b6 = rows["pdu-a/branch/B6"]
    assert (b6["warning_ma"], b6["critical_ma"]) == (10.0, 15.0)
    assert b6["value_ma"] == pytest.approx(
        env.runtime.snapshot.pdus["pdu-a"].branches["B6"].residual_ma, abs=0.5
    )
    assert b6["forecast_critical_utc"] is None  # no hour of history yet: no trend, no forecast
    assert (await client.get("/api/v1/residual-current")).status_code == 401
    # PDU B monitors each outlet (residual_per_outlet); PDU A, like the market's PDUs, does not
    assert {x["level"] for x in rows.values()} == {"inlet", "branch", "outlet"}
    assert not [e for e in rows if e.startswith("pdu-a/outlet/")]
    snap_b = env.runtime.snapshot.pdus["pdu-b"].outlets
    assert {f"pdu-b/outlet/{o}" for o in snap_b} <= set(rows)
    o21 = rows["pdu-b/outlet/21"]
    assert (o21["level"], o21["warning_ma"], o21["critical_ma"]) == ("outlet", 3.5, 10.0)
    assert o21["value_ma"] == pytest.approx(snap_b["21"].residual_ma, abs=0.2)
    assert o21["value_ma"] > 0.0  # gpu-01's B-side PSU leaks
    r = await client.get("/api/v1/pdus/pdu-b/outlets/21", headers=env.h("viewer"))
    assert r.status_code == 200 and r.json()["residual_ma"] == pytest.approx(
        o21["value_ma"], abs=0.2
    )
    r = await client.get("/api/v1/pdus/pdu-a/outlets/21", headers=env.h("viewer"))
    assert r.status_code == 200 and r.json()["residual_ma"] is None


async def test_risk_score_of_the_demo_rack(client: httpx.AsyncClient, env: Env) -> None:
    for _ in range(300):  # the score is computed once a second of rack time
        r = await client.get("/api/v1/risk", headers=env.h("viewer"))
        if r.status_code == 200:
            break
        assert r.status_code == 503
        await asyncio.sleep(0.02)
    body = r.json()
    factors = {f["name"]: f for f in body["factors"]}
    assert set(factors) >= {"alarms", "redundancy", "climate", "fire"}
    # gpu-02 is miswired on the demo rack: the redundancy factor is never zero there
    assert factors["redundancy"]["points"] >= 20 and "1 miswired" in factors["redundancy"]["detail"]
    assert 0 < body["score"] <= 100
    # the score is part of the published snapshot (REST reads it there, like every interface)
    snap = env.runtime.snapshot
    assert snap.risk is not None and body["tick"] <= snap.tick
    assert compact_snapshot(snap)["risk_score"] == snap.risk.score
    assert [f.name for f in snap.risk.factors] == [f["name"] for f in body["factors"]]
