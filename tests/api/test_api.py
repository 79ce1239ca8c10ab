"""Native API over the runtime: auth on every route, roles, problem+json, resources, commands."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from api_env import PASSWORDS, Env

PROBLEM = "application/problem+json"


def assert_problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"] and body["detail"] and body["instance"] == r.request.url.path
    assert "Traceback" not in r.text
    return body


async def test_health_needs_no_auth(client: httpx.AsyncClient, env: Env) -> None:
    r = await client.get("/api/v1/health")
    assert r.status_code == 200
    h = r.json()
    assert h["status"] == "ok" and h["tick"] == env.runtime.snapshot.tick
    assert h["last_window_utc"] == env.runtime.snapshot.timestamp_utc
    assert h["uptime_s"] >= 0
    assert h["tick_overruns"] == 0
    env.runtime.tick_loop.tick_overruns = 2  # issue 11 item 20: /health counts TICK_OVERRUN resyncs
    assert (await client.get("/api/v1/health")).json()["tick_overruns"] == 2


async def test_every_get_route_requires_auth(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/v1/openapi.json")).json()
    checked = 0
    for path, ops in spec["paths"].items():
        for method in ops:
            if path in ("/api/v1/health", "/api/v1/auth/login"):
                continue
            if path == "/metrics":  # open unless delivery.prometheus.require_auth (its own test)
                continue
            url = (
                path.replace("{pdu_id}", "pdu-a")
                .replace("{outlet_id}", "1")
                .replace("{branch_id}", "B1")
                .replace("{username}", "admin")
                .replace("{group}", "compute")
                .replace("{action}", "off")
                .replace("{version}", "1")
            )
            params = {"pdu_id": "pdu-a", "key": "inlet/power_w"}
            r = await client.request(method.upper(), url, params=params)
            body = assert_problem(r, 401)
            assert r.headers["www-authenticate"].startswith("Bearer"), (method, path)
            assert "Bearer" in body["detail"]
            checked += 1
    assert checked >= 25


async def test_bad_token_is_401(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/pdus", headers={"Authorization": "Bearer nope"})
    assert_problem(r, 401)
    assert "invalid_token" in r.headers["www-authenticate"]


async def test_login_logout_me(client: httpx.AsyncClient, env: Env) -> None:
    r = await client.post("/api/v1/auth/login", json={"username": "op", "password": "bad-pass-1"})
    assert_problem(r, 401)
    r = await client.post(
        "/api/v1/auth/login", json={"username": "op", "password": PASSWORDS["op"]}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["role"] == "operator" and body["expires_utc"]
    h = {"Authorization": f"Bearer {body['token']}"}
    me = (await client.get("/api/v1/auth/me", headers=h)).json()
    assert me == {
        "username": "op",
        "role": "operator",
        "permissions": ["control", "read", "unlock"],
    }
    assert (await client.post("/api/v1/auth/logout", headers=h)).status_code == 204
    assert_problem(await client.get("/api/v1/auth/me", headers=h), 401)
    codes = [e.event_code for e in env.runtime.store.events_since("pdu-a", 0, 1000)]
    assert "USER_LOGIN_FAILED" in codes and codes[-1] == "USER_LOGOUT"


async def test_viewer_gets_403_on_every_write(client: httpx.AsyncClient, env: Env) -> None:
    h = env.h("viewer")
    writes = [
        ("POST", "/api/v1/pdus/pdu-a/outlets/1/actions/off", None),
        ("POST", "/api/v1/pdus/pdu-a/outlet-groups/compute/actions/cycle", None),
        ("POST", "/api/v1/pdus/pdu-a/energy/reset", None),
        ("PUT", "/api/v1/config", None),
        ("POST", "/api/v1/config/rollback/1", None),
        ("GET", "/api/v1/users", None),
        ("POST", "/api/v1/users", {"username": "eve", "password": "eve-pass-1", "role": "admin"}),
        ("PATCH", "/api/v1/users/viewer", {"role": "admin"}),
        ("DELETE", "/api/v1/users/op", None),
    ]
    for method, url, body in writes:
        r = await client.request(method, url, headers=h, json=body)
        assert_problem(r, 403)
    # the operator may switch but not configure or manage users
    ho = env.h("op")
    assert_problem(await client.post("/api/v1/pdus/pdu-a/energy/reset", headers=ho), 403)
    assert_problem(await client.get("/api/v1/users", headers=ho), 403)
    codes = {e.event_code for e in env.runtime.store.events_since("pdu-a", 0, 1000)}
    assert not codes & {"OUTLET_OFF", "OUTLET_CYCLE", "ENERGY_REGISTER_RESET", "CONFIG_CHANGED"}
    assert {u.username for u in await env.auth.users.list_users()} == {"admin", "op", "viewer"}


async def test_read_resources(client: httpx.AsyncClient, env: Env) -> None:
    env.ticking.clear()  # hold the snapshot still so values can be compared exactly
    await asyncio.sleep(0.05)
    h = env.h("viewer")
    pdus = (await client.get("/api/v1/pdus", headers=h)).json()
    assert [p["id"] for p in pdus] == ["pdu-a", "pdu-b"]
    pdu = (await client.get("/api/v1/pdus/pdu-a", headers=h)).json()
    assert pdu["inlet"]["feed"] == "A" and len(pdu["inlet"]["phases"]) == 3
    assert "compute" in pdu["outlet_groups"]
    phases = (await client.get("/api/v1/pdus/pdu-a/phases", headers=h)).json()
    assert [p["id"] for p in phases] == ["L1", "L2", "L3"]
    branches = (await client.get("/api/v1/pdus/pdu-a/branches", headers=h)).json()
    assert branches[0]["id"] == "B1" and "1" in branches[0]["outlets"]
    b = (await client.get("/api/v1/pdus/pdu-a/branches/B6", headers=h)).json()
    assert b["breaker_kind"] == "RCBO"
    outlets = (await client.get("/api/v1/pdus/pdu-a/outlets", headers=h)).json()
    assert len(outlets) == len(env.runtime.snapshot.pdus["pdu-a"].outlets)
    o = (await client.get("/api/v1/pdus/pdu-a/outlets/7", headers=h)).json()
    snap_o = env.runtime.snapshot.pdus["pdu-a"].outlets["7"]
    assert o["state"] == snap_o.state
    # the display layer rounds to the catalogue's precision: mA, 0.1 W, mWh
    assert o["current_a"] == round(snap_o.reading.i_rms_a, 3)
    assert o["power_w"] == round(snap_o.reading.p_w, 1)
    assert o["energy_wh"] == round(snap_o.reading.energy_wh, 3)
    for field in ("cos_phi", "reactive_var", "peak_current_a"):  # served on every channel now
        assert field in o and field in branches[0]
    harm = (await client.get("/api/v1/pdus/pdu-a/outlets/7/harmonics", headers=h)).json()
    assert harm["orders"] == list(range(1, 51)) and len(harm["current_a"]) == 50
    assert harm["current_a"][0] == pytest.approx(snap_o.reading.i_rms_a, rel=0.05)
    ph = (await client.get("/api/v1/pdus/pdu-a/phases/L1/harmonics", headers=h)).json()
    assert ph["channel"] == "inlet/L1" and ph["voltage_v"][0] > 100
    assert len(ph["voltage_phase_deg"]) == 50
    for field in ("voltage_v", "pf", "apparent_va", "thd_i_pct", "crest_factor", "priority"):
        assert field in o
    assert (await client.get("/api/v1/sensors", headers=h)).status_code == 200
    assert (await client.get("/api/v1/levers", headers=h)).status_code == 200
    for url in (
        "/api/v1/pdus/nope",
        "/api/v1/pdus/pdu-a/outlets/999",
        "/api/v1/pdus/pdu-a/branches/ZZ",
    ):
        body = assert_problem(await client.get(url, headers=h), 404)
        assert "nope" in body["detail"] or "999" in body["detail"] or "ZZ" in body["detail"]


async def test_unknown_route_405_and_validation(client: httpx.AsyncClient, env: Env) -> None:
    assert_problem(await client.get("/api/v1/nothing-here"), 404)
    assert_problem(await client.delete("/api/v1/health"), 405)
    r = await client.get("/api/v1/events", params={"limit": "many"}, headers=env.h("viewer"))
    body = assert_problem(r, 422)
    assert body["errors"][0]["path"] == "query.limit"
    r = await client.post("/api/v1/auth/login", json={"username": "x"})
    body = assert_problem(r, 422)
    assert any(e["path"] == "body.password" for e in body["errors"])


async def test_outlet_command_idempotent_and_audited(client: httpx.AsyncClient, env: Env) -> None:
    h = {**env.h("op"), "Idempotency-Key": "k-1"}
    r = await client.post("/api/v1/pdus/pdu-a/outlets/7/actions/off", headers=h)
    assert r.status_code == 200, r.text
    res = r.json()
    assert res["command_id"] == "k-1" and res["status"] == "done"
    again = await client.post("/api/v1/pdus/pdu-a/outlets/7/actions/off", headers=h)
    assert again.json() == res
    o = (await client.get("/api/v1/pdus/pdu-a/outlets/7", headers=h)).json()
    assert o["state"] == "off"
    events = (
        await client.get("/api/v1/events", params={"pdu_id": "pdu-a"}, headers=env.h("viewer"))
    ).json()["events"]
    offs = [e for e in events if e["event_code"] == "OUTLET_OFF"]
    assert len(offs) == 1 and offs[0]["actor"] == "user/op" and offs[0]["command_id"] == "k-1"
    r = await client.post(
        "/api/v1/pdus/pdu-a/outlet-groups/gpu/actions/cycle",
        headers=env.h("op"),
        json={"command_id": "g-1", "off_period_s": 2},
    )
    assert r.status_code == 200 and r.json()["command_id"] == "g-1"
    assert len(r.json()["outlets"]) >= 1
    assert_problem(
        await client.post("/api/v1/pdus/pdu-a/outlet-groups/none/actions/on", headers=env.h("op")),
        404,
    )
    assert_problem(
        await client.post("/api/v1/pdus/pdu-a/outlets/7/actions/explode", headers=env.h("op")),
        422,
    )


@pytest.mark.parametrize(
    ("status", "http"), [("locked_out", 409), ("denied", 403), ("failed", 409), ("accepted", 202)]
)
async def test_command_status_mapping(
    client: httpx.AsyncClient, env: Env, status: str, http: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smartpdu.model.commands import CommandResult, CommandStatus, OutletOutcome

    async def fake(command):
        st = CommandStatus(status)
        return CommandResult("c", st, (OutletOutcome("1", st, "why"),), f"{status} detail")

    monkeypatch.setattr(env.runtime, "outlet_command", fake)
    r = await client.post("/api/v1/pdus/pdu-a/outlets/1/actions/on", headers=env.h("op"))
    if http >= 400:
        body = assert_problem(r, http)
        assert body["result"]["status"] == status and body["detail"] == f"{status} detail"
    else:
        assert r.status_code == http and r.json()["status"] == status


async def _outlet3(client: httpx.AsyncClient, env: Env, after_tick: int) -> dict:  # type: ignore[type-arg]
    for _ in range(500):
        if env.runtime.snapshot.tick > after_tick:
            break
        await asyncio.sleep(0.01)
    r = await client.get("/api/v1/pdus/pdu-a/outlets/3", headers=env.h("admin"))
    assert r.status_code == 200
    return dict(r.json())


async def test_energy_reset_admin(client: httpx.AsyncClient, env: Env) -> None:
    before = await _outlet3(client, env, env.runtime.snapshot.tick + 5)
    assert before["energy_resettable_wh"] > 0  # issue 11 item 20: readable, not only resettable
    r = await client.post(
        "/api/v1/pdus/pdu-a/energy/reset", headers=env.h("admin"), json={"channel": "outlet/3"}
    )
    assert r.status_code == 200
    assert r.json() == {"pdu_id": "pdu-a", "channel": "outlet/3", "registers_reset": 1}
    after = await _outlet3(client, env, env.runtime.snapshot.tick + 1)
    assert after["energy_resettable_wh"] < before["energy_resettable_wh"]
    assert after["energy_wh"] >= before["energy_wh"]  # the total never resets
    ev = env.runtime.store.last_event("pdu-a")
    assert ev.event_code == "ENERGY_REGISTER_RESET" and ev.actor == "user/admin"
    r = await client.post(
        "/api/v1/pdus/pdu-a/energy/reset", headers=env.h("admin"), json={"channel": "outlet/99"}
    )
    assert_problem(r, 404)


async def test_user_admin_routes(client: httpx.AsyncClient, env: Env) -> None:
    h = env.h("admin")
    r = await client.post(
        "/api/v1/users",
        headers=h,
        json={"username": "carol", "password": "carol-password-1", "role": "viewer"},
    )
    assert r.status_code == 201 and r.json()["role"] == "viewer"
    assert "password" not in r.text and "argon2" not in r.text
    assert_problem(
        await client.post(
            "/api/v1/users",
            headers=h,
            json={"username": "carol", "password": "carol-password-1", "role": "viewer"},
        ),
        409,
    )
    r = await client.patch("/api/v1/users/carol", headers=h, json={"role": "operator"})
    assert r.json()["role"] == "operator"
    users = (await client.get("/api/v1/users", headers=h)).json()
    assert {u["username"] for u in users} == {"admin", "op", "viewer", "carol"}
    assert (await client.delete("/api/v1/users/carol", headers=h)).status_code == 204
    assert_problem(await client.get("/api/v1/users/carol", headers=h), 404)
    assert_problem(await client.delete("/api/v1/users/admin", headers=h), 409)
    evs = env.runtime.store.events_since("pdu-a", 0, 1000)
    carol = [(e.event_code, e.actor) for e in evs if e.source == "user/carol"]
    assert carol == [
        ("USER_CREATED", "user/admin"),
        ("USER_UPDATED", "user/admin"),
        ("USER_DELETED", "user/admin"),
    ]


async def test_status_page(client: httpx.AsyncClient) -> None:
    r = await client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "/api/v1/pdus" in r.text or "/pdus" in r.text
    assert "sessionStorage" in r.text
