"""One AuthService for REST and Redfish, over real HTTP: a change made on one interface takes
effect on the other at once, conditional account updates are atomic, refusals are audited."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from redfish_env import ADMIN_PW, OPERATOR_PW, VIEWER_PW

from smartpdu.access import AuthService
from smartpdu.api import create_app
from smartpdu.app import build_demo_runtime
from smartpdu.redfish import EventDelivery, create_redfish_app, mount_redfish
from smartpdu.runtime import RackPort, RackRuntime

OUTLET = "/redfish/v1/PowerEquipment/RackPDUs/pdu-a/Outlets/7"
POWER_CONTROL = f"{OUTLET}/Actions/Outlet.PowerControl"
ACCOUNTS = "/redfish/v1/AccountService/Accounts"
SESSIONS = "/redfish/v1/SessionService/Sessions"


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[RackRuntime]:
    """The real runtime on the demo twin, stepped continuously (overrides conftest's fake)."""
    async with build_demo_runtime(tmp_path / "rt", sim=True) as rt:

        async def tick() -> None:
            while True:
                await rt.run_ticks(1)
                await asyncio.sleep(0.02)

        task = asyncio.create_task(tick())
        yield rt
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
async def app(runtime: RackRuntime, auth: AuthService) -> AsyncIterator[FastAPI]:
    """REST with Redfish mounted, both over one port and one AuthService (as ``smartpdu run``)."""
    port = RackPort(runtime)
    native = create_app(port, auth)
    redfish = create_redfish_app(port, auth, delivery=EventDelivery(runtime))
    mount_redfish(native, redfish)
    yield native
    auth.close()


@pytest.fixture
async def http(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server, timeout=30) as c:
        yield c


async def _native_token(http: httpx.AsyncClient, user: str, password: str) -> str:
    r = await http.post("/api/v1/auth/login", json={"username": user, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


async def _admin(http: httpx.AsyncClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {await _native_token(http, 'admin', ADMIN_PW)}"}


async def _codes(runtime: RackRuntime) -> list[str]:
    events = await asyncio.to_thread(runtime.store.events_since, "pdu-a", 0, 100_000)
    return [str(e.event_code) for e in events]


async def test_user_disabled_over_rest_loses_redfish_at_once(
    http: httpx.AsyncClient,
) -> None:
    basic = ("oper", OPERATOR_PW)
    session = await http.post(SESSIONS, json={"UserName": "oper", "Password": OPERATOR_PW})
    token = {"X-Auth-Token": session.headers["X-Auth-Token"]}
    assert (await http.get(OUTLET, auth=basic)).status_code == 200  # Basic now cached
    assert (await http.get(OUTLET, headers=token)).status_code == 200
    admin = await _admin(http)
    r = await http.patch("/api/v1/users/oper", json={"disabled": True}, headers=admin)
    assert r.status_code == 200, r.text
    assert (await http.get(OUTLET, auth=basic)).status_code == 401
    assert (await http.get(OUTLET, headers=token)).status_code == 401


async def test_role_downgrade_over_rest_forbids_power_control_and_is_audited(
    http: httpx.AsyncClient, runtime: RackRuntime
) -> None:
    basic = ("oper", OPERATOR_PW)
    body = {"PowerState": "On"}
    assert (await http.post(POWER_CONTROL, json=body, auth=basic)).status_code in (200, 204)
    admin = await _admin(http)
    r = await http.patch("/api/v1/users/oper", json={"role": "viewer"}, headers=admin)
    assert r.status_code == 200, r.text
    denied = await http.post(POWER_CONTROL, json=body, auth=basic)
    assert denied.status_code == 403
    events = await asyncio.to_thread(runtime.store.events_since, "pdu-a", 0, 100_000)
    audit = [e for e in events if e.event_code == "ACCESS_DENIED"]
    assert audit and audit[-1].actor == "user/oper"
    assert audit[-1].evidence["interface"] == "redfish"
    assert "PowerControl" in str(audit[-1].evidence["operation"])


async def test_password_changed_over_rest_refuses_the_old_one_on_redfish(
    http: httpx.AsyncClient,
) -> None:
    assert (await http.get(OUTLET, auth=("view", VIEWER_PW))).status_code == 200
    admin = await _admin(http)
    new_pw = "a-brand-new-password-42"
    r = await http.patch("/api/v1/users/view", json={"password": new_pw}, headers=admin)
    assert r.status_code == 200, r.text
    assert (await http.get(OUTLET, auth=("view", VIEWER_PW))).status_code == 401
    assert (await http.get(OUTLET, auth=("view", new_pw))).status_code == 200


async def test_logged_out_native_token_is_refused_as_x_auth_token(
    http: httpx.AsyncClient,
) -> None:
    token = await _native_token(http, "view", VIEWER_PW)
    assert (await http.get(OUTLET, headers={"X-Auth-Token": token})).status_code == 200
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await http.post("/api/v1/auth/logout", headers=bearer)).status_code in (200, 204)
    assert (await http.get(OUTLET, headers={"X-Auth-Token": token})).status_code == 401


async def test_concurrent_basic_requests_check_the_password_once(
    http: httpx.AsyncClient, auth: AuthService
) -> None:
    before = auth.credential_checks
    replies = await asyncio.gather(*(http.get(OUTLET, auth=("view", VIEWER_PW)) for _ in range(8)))
    assert [r.status_code for r in replies] == [200] * 8
    assert auth.credential_checks == before + 1


async def test_if_match_on_accounts_lets_exactly_one_of_four_concurrent_patches_win(
    http: httpx.AsyncClient, auth: AuthService
) -> None:
    admin = ("admin", ADMIN_PW)
    current = await http.get(f"{ACCOUNTS}/oper", auth=admin)
    etag = current.headers["ETag"]
    bodies = [{"Enabled": False}, {"RoleId": "ReadOnly"}, {"RoleId": "Administrator"}]
    bodies.append({"Enabled": False, "RoleId": "ReadOnly"})
    replies = await asyncio.gather(
        *(
            http.patch(f"{ACCOUNTS}/oper", json=b, auth=admin, headers={"If-Match": etag})
            for b in bodies
        )
    )
    statuses = sorted(r.status_code for r in replies)
    assert statuses == [200, 412, 412, 412], [r.text for r in replies]
    winner = bodies[[r.status_code for r in replies].index(200)]
    user = await auth.users.get_user("oper")
    assert user.disabled is (winner.get("Enabled") is False)


async def test_deleting_another_users_session_ends_it_everywhere_and_is_audited(
    http: httpx.AsyncClient, runtime: RackRuntime
) -> None:
    login = await http.post(SESSIONS, json={"UserName": "view", "Password": VIEWER_PW})
    assert login.status_code == 201
    token, uri = login.headers["X-Auth-Token"], login.headers["Location"]
    assert (await http.get(OUTLET, headers={"X-Auth-Token": token})).status_code == 200
    admin = ("admin", ADMIN_PW)
    listed = (await http.get(SESSIONS, auth=admin)).json()["Members"]
    assert {"@odata.id": uri} in listed
    assert (await http.delete(uri, auth=admin)).status_code == 204
    assert (await http.get(OUTLET, headers={"X-Auth-Token": token})).status_code == 401
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await http.get("/api/v1/auth/me", headers=bearer)).status_code == 401
    events = await asyncio.to_thread(runtime.store.events_since, "pdu-a", 0, 100_000)
    logout = [e for e in events if e.event_code == "USER_LOGOUT"][-1]
    assert logout.source == "user/view" and logout.actor == "redfish/admin"
    assert logout.evidence["revoked_by_other"] is True


async def test_rest_request_refused_for_lack_of_role_is_audited(
    http: httpx.AsyncClient, runtime: RackRuntime
) -> None:
    token = await _native_token(http, "view", VIEWER_PW)
    r = await http.post(
        "/api/v1/pdus/pdu-a/outlets/7/actions/off", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 403
    events = await asyncio.to_thread(runtime.store.events_since, "pdu-a", 0, 100_000)
    denied = [e for e in events if e.event_code == "ACCESS_DENIED"]
    assert denied and denied[-1].actor == "user/view"
    assert denied[-1].evidence["interface"] == "api"
    assert denied[-1].evidence["operation"] == "POST /api/v1/pdus/pdu-a/outlets/7/actions/off"
