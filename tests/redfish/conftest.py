"""Fixtures: a fake runtime (until the real one is wired in), AuthService, app and live server."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn

sys.path.insert(0, str(Path(__file__).parent))

from redfish_env import ADMIN_PW, OPERATOR_PW, VIEWER_PW
from redfish_fake_runtime import FakeRuntime

from smartpdu.access import AuthService, Role
from smartpdu.redfish import EventDelivery, create_redfish_app


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[FakeRuntime]:
    rt = FakeRuntime(tmp_path)
    yield rt
    rt.close()


@pytest.fixture
async def auth(runtime: FakeRuntime) -> AuthService:
    svc = AuthService(runtime.store, runtime.events, runtime.now_utc, pdu_id="pdu-a")
    await svc.ensure_admin(ADMIN_PW)
    await svc.users.create_user("oper", OPERATOR_PW, Role.OPERATOR, actor="test")
    await svc.users.create_user("view", VIEWER_PW, Role.VIEWER, actor="test")
    return svc


@pytest.fixture
async def app(runtime: FakeRuntime, auth: AuthService):
    delivery = EventDelivery(runtime, base_backoff_s=0.05, max_backoff_s=0.2, poll_s=0.2)
    application = create_redfish_app(runtime, auth, delivery=delivery)
    await delivery.start()
    yield application
    await delivery.aclose()


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pdu") as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def server(app) -> AsyncIterator[str]:
    """Serve the app with uvicorn on a free loopback port in this event loop."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    task = asyncio.create_task(srv.serve())
    while not srv.started:
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    await task
