"""The OPC UA server against asyncua's client over Basic256Sha256 Sign&Encrypt: the model
browses as Rack → PDU → entities with AnalogItems (units, ranges), values equal REST on a
paused tick, logins are required, events arrive, outlet methods only when enabled."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from asyncua import Client, ua
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256
from cryptography.x509.oid import ExtendedKeyUsageOID

from smartpdu.access import AuthService
from smartpdu.api import create_app
from smartpdu.app import build_demo_runtime
from smartpdu.config.integrations import OpcUaConfig, OpcUaUserConfig
from smartpdu.integrations.opcua.server import OpcUaInterface
from smartpdu.model.metrics import CATALOGUE, Level
from smartpdu.runtime import RackRuntime
from smartpdu.runtime.port import RackPort

pytestmark = pytest.mark.usefixtures("_task_leak_check")
PASSWORDS = {"ops": "ops-password-123", "viewer": "viewer-password-1"}
CLIENT_URI = "urn:smartpdu:test-client"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Env:
    runtime: RackRuntime
    iface: OpcUaInterface
    http: httpx.AsyncClient
    token: str
    ticking: asyncio.Event
    tmp: Path

    async def rest(self, path: str) -> Any:
        r = await self.http.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {self.token}"})
        r.raise_for_status()
        return r.json()

    async def client(self, user: str | None = "ops", password: str | None = None) -> Client:
        key, cert = self.tmp / "client-key.pem", self.tmp / "client-cert.der"
        await setup_self_signed_certificate(
            key, cert, CLIENT_URI, "localhost", [ExtendedKeyUsageOID.CLIENT_AUTH],
            {"countryName": "XX", "organizationName": "test", "commonName": "client"},
        )  # fmt: skip
        c = Client(self.iface.url, timeout=10)
        c.application_uri = CLIENT_URI
        if user is not None:
            c.set_user(user)
            c.set_password(password or PASSWORDS[user])
        await c.set_security(
            SecurityPolicyBasic256Sha256, str(cert), str(key),
            server_certificate=str(self.tmp / "pki" / "opcua-cert.der"),
            mode=ua.MessageSecurityMode.SignAndEncrypt,
        )  # fmt: skip
        return c


@contextlib.asynccontextmanager
async def opcua_running(tmp_path: Path, *, methods: bool = False) -> AsyncIterator[Env]:
    cfg = OpcUaConfig(
        enabled=True, port=_free_port(), methods=methods, publish_interval_s=0.2,
        users=[OpcUaUserConfig(name="ops", role="operator"), OpcUaUserConfig(name="viewer")],
    )  # fmt: skip
    env_pw = {u.env_name(): PASSWORDS[u.name] for u in cfg.users}
    async with build_demo_runtime(tmp_path / "rack", sim=True) as rt:
        await rt.run_ticks(2)
        auth = AuthService(rt.store, rt.events, rt.now_utc, 3600, pdu_id=rt.config.pdus[0].id)
        await auth.ensure_admin("admin-pass-1")
        principal = await auth.authenticate("admin", "admin-pass-1", interface="test")
        token = (await auth.create_session(principal, interface="test")).token
        iface = OpcUaInterface(cfg, tmp_path / "pki", env_pw)
        await iface.start(RackPort(rt), auth)
        ticking = asyncio.Event()
        ticking.set()

        async def ticker() -> None:
            while True:
                await ticking.wait()
                await rt.run_ticks(1)
                await asyncio.sleep(0.02)

        task = asyncio.create_task(ticker())
        transport = httpx.ASGITransport(app=create_app(rt, auth))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                yield Env(rt, iface, http, token, ticking, tmp_path)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await iface.stop()
            auth.close()


async def test_model_browses_with_analog_items_and_values_match_rest(tmp_path: Path) -> None:
    async with opcua_running(tmp_path) as env:
        env.ticking.clear()
        await asyncio.sleep(0.05)
        for _ in range(100):  # the publisher catches up with the paused tick
            if env.iface.published_tick == env.runtime.snapshot.tick:
                break
            await asyncio.sleep(0.05)
        c = await env.client()
        async with c:
            idx = await c.get_namespace_index("urn:smartpdu:rack")
            rack = await c.nodes.objects.get_child([f"{idx}:Rack"])
            pdu = env.runtime.config.pdus[0]
            children = {(await n.read_browse_name()).Name for n in await rack.get_children()}
            assert {p.name or p.id for p in env.runtime.config.pdus} <= children
            outlets = await env.rest(f"/pdus/{pdu.id}/outlets")
            checked = 0
            for o in outlets[:3]:
                for m in CATALOGUE:
                    if Level.OUTLET not in m.levels or m.rest is None:
                        continue
                    node = c.get_node(ua.NodeId(f"{pdu.id}/outlet/{o['id']}/{m.key}", idx))
                    rest = o.get(m.rest, o.get("reading", {}).get(m.rest))
                    dv = await node.read_data_value(raise_on_bad_status=False)
                    if rest is None:
                        assert dv.StatusCode.value == ua.StatusCodes.BadNoData, m.key
                    else:
                        assert dv.Value.Value == pytest.approx(rest, abs=1e-9), m.key
                    checked += 1
            assert checked > 30
            power = c.get_node(ua.NodeId(f"{pdu.id}/outlet/{outlets[0]['id']}/power_w", idx))
            assert (await power.read_type_definition()) == ua.NodeId(ua.ObjectIds.AnalogItemType)
            eu = await (await power.get_child(["0:EngineeringUnits"])).read_value()
            assert eu.DisplayName.Text == "W" and eu.UnitId == (
                ord("W") << 16 | ord("T") << 8 | ord("T")
            )
            rng = await (await power.get_child(["0:EURange"])).read_value()
            assert rng.Low == 0 and rng.High == pytest.approx(230 * outlets[0]["rating_a"], rel=0.5)
            # methods are off by default
            obj = c.get_node(ua.NodeId(f"{pdu.id}/outlet/{outlets[0]['id']}", idx))
            names = {(await n.read_browse_name()).Name for n in await obj.get_children()}
            assert "Off" not in names


async def test_only_encrypted_username_sessions_are_accepted(tmp_path: Path) -> None:
    async with opcua_running(tmp_path) as env:
        endpoints = await Client(env.iface.url).connect_and_get_server_endpoints()
        assert endpoints and all(
            e.SecurityMode == ua.MessageSecurityMode.SignAndEncrypt
            and e.SecurityPolicyUri.endswith("#Basic256Sha256")
            and [t.TokenType for t in e.UserIdentityTokens] == [ua.UserTokenType.UserName]
            for e in endpoints
        )
        for user, pw in ((None, None), ("ops", "wrong-password-x"), ("nobody", "whatever-1234")):
            c = await env.client(user, pw)
            with pytest.raises(Exception):  # noqa: B017 (asyncua raises several kinds)
                async with c:
                    pass
        assert env.iface.users is not None and env.iface.users.failures >= 2


async def test_alarm_events_reach_a_subscriber(tmp_path: Path) -> None:
    async with opcua_running(tmp_path) as env:
        got: asyncio.Queue[Any] = asyncio.Queue()

        class Handler:
            def event_notification(self, event: Any) -> None:
                got.put_nowait(event)

        c = await env.client("viewer")
        async with c:
            idx = await c.get_namespace_index("urn:smartpdu:rack")
            rack = await c.nodes.objects.get_child([f"{idx}:Rack"])
            etype = await c.nodes.base_event_type.get_child([f"{idx}:SmartPduEventType"])
            sub = await c.create_subscription(100, Handler())
            await sub.subscribe_events(rack, etype)
            env.runtime.hardware.feed_loss("A")  # type: ignore[attr-defined]
            while True:
                event = await asyncio.wait_for(got.get(), 30)
                if event.EventCode == "FEED_LOST":
                    break
            assert event.Severity == 900 and event.EventSource == "feed/A"
            await sub.delete()


async def test_outlet_methods_when_enabled_are_role_checked_and_audited(tmp_path: Path) -> None:
    async with opcua_running(tmp_path, methods=True) as env:
        pdu = env.runtime.config.pdus[0]
        outlet = pdu.outlets[0]
        for user in ("viewer", "ops"):
            c = await env.client(user)
            async with c:
                idx = await c.get_namespace_index("urn:smartpdu:rack")
                obj = c.get_node(ua.NodeId(f"{pdu.id}/outlet/{outlet.id}", idx))
                method = ua.NodeId(f"{pdu.id}/outlet/{outlet.id}/off", idx)
                if user == "viewer":
                    with pytest.raises(ua.UaStatusCodeError):
                        await obj.call_method(method)
                    assert env.runtime.snapshot.pdus[pdu.id].outlets[outlet.id].state.value == "on"
                else:
                    assert await obj.call_method(method) in ("done", "accepted")
        await asyncio.sleep(0.2)
        assert env.runtime.snapshot.pdus[pdu.id].outlets[outlet.id].state.value == "off"
        events = env.runtime.store.events_since(pdu.id, 0, 10000)
        assert any(e.event_code == "OUTLET_OFF" and e.actor == "opcua/ops" for e in events)
