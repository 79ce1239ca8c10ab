"""Serve a running rack: runtime + native API + Redfish on one uvicorn server.

The composition used by ``smartpdu run`` and ``smartpdu demo``. The runtime starts first (first
window measured, power-up policy applied), then the HTTP server; on SIGINT/SIGTERM uvicorn stops
serving and the runtime flushes energy registers, readings and the event log before exiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from smartpdu.access import AuthService
from smartpdu.api import create_app
from smartpdu.config import RackConfig
from smartpdu.redfish import create_redfish_app, mount_redfish
from smartpdu.runtime.engine import RackRuntime
from smartpdu.runtime.factory import build_twin_runtime

__all__ = ["ServeOptions", "bind_socket", "serve"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServeOptions:
    config: RackConfig
    data_dir: Path
    db_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 0
    """0 picks a free port."""
    admin_password: str | None = None
    seed: int = 0
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None


class _Server(uvicorn.Server):
    """Stops serving on SIGINT/SIGTERM and returns, so the runtime can flush afterwards.

    Stock uvicorn re-raises the captured signal once serving ends, which kills the process
    before energy registers are flushed and ``SYSTEM_STOP`` plus the final signed checkpoint are
    written.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = {sig: signal.signal(sig, self.handle_exit) for sig in _SIGNALS}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)
            self._captured_signals.clear()


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def _purge_sessions(auth: AuthService, every_s: float = 600.0) -> None:
    """Delete expired sessions now and then (expired tokens are refused anyway; this bounds the
    table when clients log in often and never log out)."""
    while True:
        try:
            await auth.purge_expired()
        except Exception:  # a failed purge is retried next time; serving goes on
            log.exception("session purge failed")
        await asyncio.sleep(every_s)


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind (and thereby reserve) the listening socket before anything is printed."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio enables TCP_NODELAY only for sockets created with it;
    # without, every response waits for the peer's 40 ms delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


async def serve(options: ServeOptions, announce: Callable[[str, str, str | None], None]) -> None:
    """Run until interrupted; ``announce(url, username, generated_password)`` once listening."""
    sock = bind_socket(options.host, options.port)
    host, port = sock.getsockname()[:2]
    scheme = "https" if options.ssl_certfile else "http"
    shown_host = f"[{host}]" if ":" in host else host
    url = f"{scheme}://{shown_host}:{port}/"
    runtime: RackRuntime = build_twin_runtime(
        options.config,
        options.data_dir,
        db_url=options.db_url,
        seed=options.seed,
        sim=False,
    )
    async with runtime:
        auth = AuthService(
            runtime.store, runtime.events, runtime.now_utc, pdu_id=options.config.pdus[0].id
        )
        generated = await auth.ensure_admin(options.admin_password)
        app = create_app(runtime, auth)
        redfish = create_redfish_app(runtime, auth)
        mount_redfish(app, redfish)
        delivery = redfish.state.redfish.delivery
        await delivery.start()
        housekeeping = asyncio.create_task(_purge_sessions(auth), name="smartpdu-sessions")
        try:
            config = uvicorn.Config(
                app,
                log_level="warning",
                access_log=False,
                ssl_certfile=options.ssl_certfile,
                ssl_keyfile=options.ssl_keyfile,
                lifespan="off",
                server_header=False,
            )
            server = _Server(config)
            announce(url, "admin", generated)
            await server.serve(sockets=[sock])
        finally:
            housekeeping.cancel()
            await delivery.aclose()
            with contextlib.suppress(OSError):
                sock.close()
