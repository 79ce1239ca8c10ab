"""API test environment: the REAL demo runtime on the twin (sim clock stepped by a background
ticker), three users, an in-process app and a real uvicorn server. A uniquely named module so
tests import it without clashing with other directories' conftest modules."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from smartpdu.access import AuthService, Role
from smartpdu.api import create_app
from smartpdu.app import build_demo_runtime
from smartpdu.integrations.core import DeliveryCore
from smartpdu.integrations.webhooks import WebhookService
from smartpdu.redfish import create_redfish_app, mount_redfish
from smartpdu.runtime import RackRuntime

PASSWORDS = {"admin": "admin-pass-1", "op": "operator-pass-1", "viewer": "viewer-pass-1"}


@dataclass
class Env:
    runtime: RackRuntime
    auth: AuthService
    app: object
    tokens: dict[str, str]
    ticking: asyncio.Event = field(default_factory=asyncio.Event)
    webhooks: WebhookService | None = None

    def h(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


async def _provision(runtime: RackRuntime) -> tuple[AuthService, dict[str, str]]:
    pdu0 = runtime.config.pdus[0].id
    auth = AuthService(runtime.store, runtime.events, runtime.now_utc, 3600, pdu_id=pdu0)
    await auth.ensure_admin(PASSWORDS["admin"])
    await auth.users.create_user("op", PASSWORDS["op"], Role.OPERATOR, actor="user/admin")
    await auth.users.create_user("viewer", PASSWORDS["viewer"], Role.VIEWER, actor="user/admin")
    tokens = {}
    for user, pw in PASSWORDS.items():
        p = await auth.authenticate(user, pw, interface="test")
        tokens[user] = (await auth.create_session(p, interface="test")).token
    return auth, tokens


@contextlib.asynccontextmanager
async def running(
    tmp_path: Path, *, redfish: bool = False, delivery: bool = False
) -> AsyncIterator[Env]:
    """Start the demo runtime (sim clock) and step it every few ms while ``ticking`` is set.

    With ``redfish`` the Redfish service is mounted at ``/redfish`` as ``smartpdu run`` does;
    with ``delivery`` the delivery core and webhooks run behind ``/api/v1/webhooks``.
    """
    async with build_demo_runtime(tmp_path, sim=True) as rt, contextlib.AsyncExitStack() as stack:
        auth, tokens = await _provision(rt)
        svc = None
        core = None
        if delivery:
            core = DeliveryCore(rt, poll_s=0.5)
            svc = WebhookService(core)
            await svc.start()
            stack.push_async_callback(svc.aclose)
            await core.start()
            stack.push_async_callback(core.aclose)
        app = create_app(rt, auth, queue_stats=core.queue_stats if core else None, webhooks=svc)
        if redfish:
            mount_redfish(app, create_redfish_app(rt, auth))
        env = Env(rt, auth, app, tokens, webhooks=svc)
        env.ticking.set()

        async def ticker() -> None:
            while True:
                await env.ticking.wait()
                await rt.run_ticks(1)
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        try:
            yield env
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Served:
    url: str
    env: Env


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # running in a thread
        pass


@contextlib.contextmanager
def serve(tmp_path: Path, *, redfish: bool = False, delivery: bool = False) -> Iterator[Served]:
    """The app on a real uvicorn server in a thread (its own event loop), real HTTP."""
    box: dict[str, object] = {}
    ready = threading.Event()
    port = free_port()

    def run() -> None:
        async def main() -> None:
            async with running(tmp_path, redfish=redfish, delivery=delivery) as env:
                cfg = uvicorn.Config(env.app, host="127.0.0.1", port=port, log_level="warning")
                server = _Server(cfg)
                box["env"], box["server"] = env, server
                task = asyncio.create_task(server.serve())
                while not server.started:
                    await asyncio.sleep(0.02)
                ready.set()
                await task

        asyncio.run(main())

    th = threading.Thread(target=run, daemon=True)
    th.start()
    assert ready.wait(60), "server did not start"
    try:
        yield Served(f"http://127.0.0.1:{port}", box["env"])  # type: ignore[arg-type]
    finally:
        box["server"].should_exit = True  # type: ignore[attr-defined]
        th.join(20)
