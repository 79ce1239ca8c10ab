"""API test fixtures: a runtime (the real demo runtime when available), auth with three users,
an in-process client and a real uvicorn server on a free loopback port."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from smartpdu.access import AuthService, Role
from smartpdu.api import create_app

PASSWORDS = {"admin": "admin-pass-1", "op": "operator-pass-1", "viewer": "viewer-pass-1"}


@dataclass
class Env:
    runtime: object
    auth: AuthService
    app: object
    tokens: dict[str, str]

    def h(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


async def _provision(runtime) -> tuple[AuthService, dict[str, str]]:
    pdu0 = next(iter(runtime.config.pdus)).id
    auth = AuthService(runtime.store, runtime.events, runtime.now_utc, 3600, pdu_id=pdu0)
    await auth.ensure_admin(PASSWORDS["admin"])
    await auth.create_user("op", PASSWORDS["op"], Role.OPERATOR, actor="user/admin")
    await auth.create_user("viewer", PASSWORDS["viewer"], Role.VIEWER, actor="user/admin")
    tokens = {}
    for user, pw in PASSWORDS.items():
        p = await auth.authenticate(user, pw, interface="test")
        tokens[user] = (await auth.create_session(p, interface="test")).token
    return auth, tokens


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    from fake_runtime import FakeRuntime

    rt = FakeRuntime(tmp_path)
    rt.seed_config()
    auth, tokens = await _provision(rt)
    app = create_app(rt, auth)
    yield Env(rt, auth, app, tokens)
    rt.close()


@pytest.fixture
async def client(env: Env) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=env.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


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
def serve(tmp_path: Path) -> Iterator[Served]:
    """The app on a real uvicorn server in a thread (its own event loop), real HTTP."""
    from fake_runtime import FakeRuntime

    box: dict[str, object] = {}
    ready = threading.Event()
    port = free_port()

    def run() -> None:
        async def main() -> None:
            rt = FakeRuntime(tmp_path)
            rt.seed_config()
            auth, tokens = await _provision(rt)
            app = create_app(rt, auth)
            server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
            box["env"], box["server"] = Env(rt, auth, app, tokens), server
            task = asyncio.create_task(server.serve())
            while not server.started:
                await asyncio.sleep(0.02)
            ready.set()
            await task
            rt.close()

        asyncio.run(main())

    th = threading.Thread(target=run, daemon=True)
    th.start()
    assert ready.wait(30), "server did not start"
    try:
        yield Served(f"http://127.0.0.1:{port}", box["env"])  # type: ignore[arg-type]
    finally:
        box["server"].should_exit = True  # type: ignore[attr-defined]
        th.join(10)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with serve(tmp_path) as s:
        yield s


@pytest.fixture(scope="module")
def served_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve(tmp_path_factory.mktemp("served")) as s:
        yield s
