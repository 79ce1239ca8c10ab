"""The interface registry: every way out of the box is an object the server starts and stops.

An interface (REST+Redfish HTTP, SNMP, Modbus, OPC UA, the delivery core's push channels) gets
the :class:`~smartpdu.runtime.port.RackPort` and the :class:`~smartpdu.access.AuthService` and
nothing else. Adding one is one class here (or in its package) and one entry in the list the server builds:

    class SnmpAgent:
        name = "snmp"
        async def start(self, port, auth): ...   # returns once serving
        async def wait(self): ...                # returns/raises when it stops by itself
        async def stop(self): ...                # idempotent

:func:`run_interfaces` starts them in order, watches them in one ``asyncio.TaskGroup`` and stops
them in reverse order when any of them ends (e.g. the HTTP server on SIGINT) or fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Protocol, runtime_checkable

import uvicorn

from smartpdu.access import AuthService
from smartpdu.api import create_app
from smartpdu.api.routes_metrics import QueueStats
from smartpdu.app.http_protocol import http_protocol
from smartpdu.integrations.webhooks import WebhookService
from smartpdu.redfish import create_redfish_app, mount_redfish
from smartpdu.redfish.delivery import EventDelivery
from smartpdu.runtime.port import RackPort

__all__ = [
    "EventDeliveryInterface",
    "HttpInterface",
    "Interface",
    "SessionPurge",
    "run_interfaces",
]

log = logging.getLogger(__name__)


@runtime_checkable
class Interface(Protocol):
    """One interface's lifecycle, driven by the server."""

    name: str

    async def start(self, port: RackPort, auth: AuthService) -> None:
        """Start serving; return once the interface is up (raise if it cannot start)."""
        ...

    async def wait(self) -> None:
        """Return when the interface stopped by itself (raise if it failed)."""
        ...

    async def stop(self) -> None:
        """Stop serving and release resources; idempotent."""
        ...


async def run_interfaces(
    interfaces: Sequence[Interface],
    port: RackPort,
    auth: AuthService,
    *,
    on_started: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Start ``interfaces`` in order, run until one ends, then stop all in reverse order."""
    started: list[Interface] = []
    try:
        for iface in interfaces:
            await iface.start(port, auth)
            started.append(iface)
        if on_started is not None:
            await on_started()
        stopping = asyncio.Event()

        async def watch(iface: Interface) -> None:
            try:
                await iface.wait()
            finally:
                stopping.set()

        async with asyncio.TaskGroup() as group:
            for iface in started:
                group.create_task(watch(iface), name=f"smartpdu-interface-{iface.name}")
            await stopping.wait()
            await _stop_all(started)
    finally:
        await _stop_all(started)


async def _stop_all(started: list[Interface]) -> None:
    """Stop (and forget) the started interfaces, newest first."""
    while started:
        iface = started.pop()
        try:
            await iface.stop()
        except Exception:  # one failing stop must not keep the others running
            log.exception("stopping interface %s failed", iface.name)


class SessionPurge:
    """Delete expired sessions now and then (expired tokens are refused anyway; this bounds the
    table when clients log in often and never log out)."""

    name = "session-purge"

    def __init__(self, every_s: float = 600.0) -> None:
        if every_s <= 0:
            raise ValueError(f"every_s must be > 0, got {every_s}")
        self._every_s = every_s
        self._task: asyncio.Task[None] | None = None

    async def start(self, port: RackPort, auth: AuthService) -> None:
        self._task = asyncio.create_task(self._run(auth), name="smartpdu-session-purge")

    async def _run(self, auth: AuthService) -> None:
        while True:
            try:
                await auth.purge_expired()
            except Exception:  # a failed purge is retried next time; serving goes on
                log.exception("session purge failed")
            await asyncio.sleep(self._every_s)

    async def wait(self) -> None:
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class _Server(uvicorn.Server):
    """Stops serving on SIGINT/SIGTERM and returns, so the runtime can flush afterwards.

    Stock uvicorn re-raises the captured signal once serving ends, which kills the process
    before energy registers are flushed and ``SYSTEM_STOP`` plus the final signed checkpoint are
    written.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        import signal

        if threading.current_thread() is not threading.main_thread():
            yield
            return
        signals = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in signals}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)
            self._captured_signals.clear()


class HttpInterface:
    """Native REST (``/api/v1``) and Redfish (``/redfish/v1``, with its event delivery) on one
    uvicorn server over an already bound socket."""

    name = "http"

    def __init__(
        self,
        sock: socket.socket,
        delivery: EventDelivery,
        *,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
        queue_stats: QueueStats | None = None,
        webhooks: WebhookService | None = None,
    ) -> None:
        self._sock = sock
        self._delivery = delivery
        self._queue_stats = queue_stats
        self._webhooks = webhooks
        """Redfish EventService subscriptions; run by :class:`EventDeliveryInterface`."""
        self._ssl = (ssl_certfile, ssl_keyfile)
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, port: RackPort, auth: AuthService) -> None:
        app = create_app(port, auth, queue_stats=self._queue_stats, webhooks=self._webhooks)
        app.state.tls_certfile = self._ssl[0]  # the inventory shows its fingerprint
        redfish = create_redfish_app(
            port, auth, delivery=self._delivery, require_tls=self._ssl[0] is not None
        )
        mount_redfish(app, redfish)
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            ssl_certfile=self._ssl[0],
            ssl_keyfile=self._ssl[1],
            lifespan="off",
            server_header=False,  # no "Server: uvicorn" banner
            http=http_protocol(),  # 501 (not a bare 400) for an unknown method
        )
        self._server = _Server(config)
        self._task = asyncio.create_task(
            self._server.serve(sockets=[self._sock]), name="smartpdu-http"
        )
        while not self._server.started:
            if self._task.done():
                await self._task  # raises why it could not start
                raise RuntimeError("the HTTP server stopped while starting")
            await asyncio.sleep(0.01)

    async def wait(self) -> None:
        if self._task is not None:
            await self._task

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(OSError):
            self._sock.close()


class EventDeliveryInterface:
    """The durable outbox of Redfish event subscriptions, built and owned by the composition
    root (it reads the runtime's store and bus; interfaces only see the port). Start it before
    the HTTP interface, so subscriptions created over Redfish are delivered at once."""

    name = "redfish-events"

    def __init__(self, delivery: EventDelivery) -> None:
        self.delivery = delivery
        self._stopped = asyncio.Event()

    async def start(self, port: RackPort, auth: AuthService) -> None:
        await self.delivery.start()

    async def wait(self) -> None:
        await self._stopped.wait()

    async def stop(self) -> None:
        await self.delivery.aclose()
        self._stopped.set()
