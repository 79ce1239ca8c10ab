"""SNMP test environment: the real demo runtime (sim clock), the real agent on a free UDP port,
net-snmp command-line tools run as subprocesses (asyncio, so the agent in this loop answers).
A uniquely named module so tests import it without clashing with other directories."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from smartpdu.access import AuthService
from smartpdu.api import create_app
from smartpdu.app import build_demo_runtime
from smartpdu.config.integrations import SnmpConfig, SnmpTrapReceiver, SnmpUserConfig
from smartpdu.integrations.snmp.agent import SnmpAgent
from smartpdu.runtime import RackRuntime
from smartpdu.runtime.port import RackPort

KEYS = {
    "ops": ("ops-auth-key-1", "ops-priv-key-1"),
    "viewer": ("viewer-auth-key", "viewer-priv-key"),
    "admin": ("admin-auth-key-1", "admin-priv-key-1"),
    "big": ("big-auth-key-512", "big-priv-key-256"),
}
COMMUNITY = "s3cret-community"
USERS = [
    SnmpUserConfig(name="ops", role="operator"),
    SnmpUserConfig(name="viewer", role="viewer"),
    SnmpUserConfig(name="admin", role="admin"),
    SnmpUserConfig(name="big", role="viewer", auth="SHA-512", priv="AES-256"),
]
PROTO = {"ops": ("SHA-256", "AES"), "viewer": ("SHA-256", "AES"), "admin": ("SHA-256", "AES"),
         "big": ("SHA-512", "AES-256")}  # fmt: skip


def env_keys() -> dict[str, str]:
    out = {}
    for user in USERS:
        a, p = user.env_names()
        out[a], out[p] = KEYS[user.name]
    out["SMARTPDU_SNMP_COMMUNITY"] = COMMUNITY
    return out


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} missing: run `make services` (Debian net-snmp packages)")
    return path


@dataclass
class SnmpEnv:
    runtime: RackRuntime
    auth: AuthService
    agent: SnmpAgent
    http: httpx.AsyncClient
    token: str
    ticking: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def target(self) -> str:
        assert self.agent.address is not None
        return f"udp:127.0.0.1:{self.agent.address[1]}"

    def v3(self, user: str = "ops", auth_key: str | None = None, retries: int = 2) -> list[str]:
        """net-snmp v3 options; ``retries`` for a request that must be answered on a busy
        machine (tests expecting *no* answer pass 0 so they stay short)."""
        a, x = PROTO[user]
        ak, pk = KEYS[user]
        return ["-v3", "-l", "authPriv", "-u", user, "-a", a, "-A", auth_key or ak,
                "-x", x, "-X", pk, "-t", "3", "-r", str(retries)]  # fmt: skip

    async def run(self, name: str, *args: str, timeout: float = 60) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            tool(name), "-M", "", "-m", "", *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
        return proc.returncode or 0, out.decode(), err.decode()

    async def rest(self, path: str) -> object:
        r = await self.http.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {self.token}"})
        r.raise_for_status()
        return r.json()

    async def pause(self) -> None:
        """Stop ticking and let the tick in progress finish."""
        self.ticking.clear()
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def snmp_running(
    tmp_path: Path, *, v2c: bool = False, receivers: list[SnmpTrapReceiver] | None = None
) -> AsyncIterator[SnmpEnv]:
    cfg = SnmpConfig(enabled=True, port=free_udp_port(), users=USERS, v2c=v2c,
                     trap_receivers=receivers or [])  # fmt: skip
    async with build_demo_runtime(tmp_path, sim=True) as rt:
        await rt.run_ticks(2)
        auth = AuthService(rt.store, rt.events, rt.now_utc, 3600, pdu_id=rt.config.pdus[0].id)
        await auth.ensure_admin("admin-pass-1")
        principal = await auth.authenticate("admin", "admin-pass-1", interface="test")
        token = (await auth.create_session(principal, interface="test")).token
        agent = SnmpAgent(cfg, env_keys())
        await agent.start(RackPort(rt), auth)
        app = create_app(rt, auth)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            env = SnmpEnv(rt, auth, agent, http, token)
            env.ticking.set()

            async def ticker() -> None:
                while True:
                    await env.ticking.wait()
                    await rt.run_ticks(1)
                    await asyncio.sleep(0.02)

            task = asyncio.create_task(ticker())
            try:
                yield env
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                await agent.stop()
                auth.close()


def parse_walk(text: str) -> dict[str, str]:
    """``-On -Oq`` output lines (``.1.3... value``) → {oid: value}."""
    out = {}
    for line in text.splitlines():
        oid, _, value = line.partition(" ")
        if oid.startswith("."):
            out[oid[1:]] = value.strip().strip('"')
    return out
