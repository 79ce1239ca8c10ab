"""The interface registry's lifecycle: start in order, stop in reverse, one failure stops all."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from smartpdu.access import AuthService
from smartpdu.app import build_demo_runtime
from smartpdu.app.interfaces import EventDeliveryInterface, SessionPurge, run_interfaces
from smartpdu.app.server import bind_first_free
from smartpdu.redfish import EventDelivery, create_redfish_app
from smartpdu.runtime import RackPort


class Recorder:
    """A minimal interface that logs its lifecycle; ``fail`` makes it die after starting."""

    def __init__(self, name: str, log: list[str], *, fail: bool = False) -> None:
        self.name = name
        self._log = log
        self._fail = fail
        self._done = asyncio.Event()
        self.port: RackPort | None = None

    async def start(self, port: RackPort, auth: AuthService) -> None:
        self.port = port
        self._log.append(f"start {self.name}")

    async def wait(self) -> None:
        if self._fail:
            raise RuntimeError(f"{self.name} broke")
        await self._done.wait()

    async def stop(self) -> None:
        self._log.append(f"stop {self.name}")
        self._done.set()


@pytest.fixture
async def port_auth(tmp_path: Path):  # type: ignore[no-untyped-def]
    async with build_demo_runtime(tmp_path) as rt:
        auth = AuthService(rt.store, rt.events, rt.now_utc, pdu_id="pdu-a")
        yield RackPort(rt), auth
        auth.close()


async def test_interfaces_start_in_order_and_stop_in_reverse_when_one_ends(port_auth) -> None:  # type: ignore[no-untyped-def]
    port, auth = port_auth
    log: list[str] = []
    a, b, c = Recorder("a", log), Recorder("b", log), Recorder("c", log)
    announced: list[list[str]] = []

    async def started() -> None:
        announced.append(list(log))
        await b.stop()  # b ends by itself (like the HTTP server on SIGINT)

    await run_interfaces([a, b, c], port, auth, on_started=started)
    assert announced == [["start a", "start b", "start c"]]
    assert log[:4] == ["start a", "start b", "start c", "stop b"]
    assert log[4:] == ["stop c", "stop b", "stop a"]
    assert a.port is port


async def test_a_failing_interface_stops_the_others_and_the_error_surfaces(port_auth) -> None:  # type: ignore[no-untyped-def]
    port, auth = port_auth
    log: list[str] = []
    with pytest.raises(ExceptionGroup) as info:
        await run_interfaces([Recorder("a", log), Recorder("b", log, fail=True)], port, auth)
    assert "b broke" in str(info.value.exceptions[0])
    assert log == ["start a", "start b", "stop b", "stop a"]


async def test_session_purge_runs_until_stopped(port_auth) -> None:  # type: ignore[no-untyped-def]
    port, auth = port_auth
    purge = SessionPurge(every_s=0.01)
    await purge.start(port, auth)
    await asyncio.sleep(0.05)
    await purge.stop()
    await purge.wait()  # returns at once after stop


def test_bind_first_free_skips_a_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        sock = bind_first_free("127.0.0.1", busy, 20)
        try:
            got = sock.getsockname()[1]
            assert got != busy and busy < got < busy + 20
        finally:
            sock.close()


async def test_the_root_owns_the_redfish_outbox(port_auth) -> None:  # type: ignore[no-untyped-def]
    """Issue 10: Redfish gets the port only; the outbox (built from the port, never from the
    store) is built by the composition root and runs as an interface of the registry."""
    port, auth = port_auth
    with pytest.raises(TypeError, match="composition root"):
        create_redfish_app(port, auth)  # an interface cannot build it from the port
    delivery = EventDelivery(port)  # the root builds it from the port
    outbox = EventDeliveryInterface(delivery)
    app = create_redfish_app(port, auth, delivery=delivery)
    assert app.state.redfish.delivery is delivery
    task = asyncio.create_task(run_interfaces([outbox, Recorder("http", [])], port, auth))
    while not delivery.running:
        await asyncio.sleep(0.01)
    await outbox.stop()  # the outbox ending stops the registry, like any interface
    await asyncio.wait_for(task, 10)
    assert not delivery.running
