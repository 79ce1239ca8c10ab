"""Serve a running rack: the composition root of ``smartpdu run`` and ``smartpdu demo``.

Builds the runtime on the twin, the port and the one AuthService, then starts every interface of
the registry (:mod:`smartpdu.app.interfaces`). The runtime starts first (first window measured,
power-up policy applied), then the interfaces; on SIGINT/SIGTERM the HTTP interface stops, the
others are stopped in reverse order and the runtime flushes energy registers, readings and the
event log before exiting.
"""

from __future__ import annotations

import contextlib
import errno
import inspect
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smartpdu.access import AuthService
from smartpdu.app.datadir_lock import DataDirLock
from smartpdu.app.delivery_interface import DeliveryInterface
from smartpdu.app.factory import build_twin_runtime
from smartpdu.app.interfaces import (
    HttpInterface,
    Interface,
    SessionPurge,
    run_interfaces,
)
from smartpdu.app.scenario_player import scenario_stages
from smartpdu.config import RackConfig, dump_config
from smartpdu.integrations.core import DeliveryCore
from smartpdu.integrations.mqtt import MqttChannel
from smartpdu.integrations.syslog import SyslogChannel
from smartpdu.integrations.webhooks import WebhookService
from smartpdu.redfish.delivery import EventDelivery
from smartpdu.runtime.heap import freeze_startup_heap
from smartpdu.runtime.port import RackPort
from smartpdu.runtime.rack import RackRuntime
from smartpdu.twin.scenario import Scenario

__all__ = ["ServeOptions", "Started", "bind_first_free", "bind_socket", "serve"]


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
    import_config: bool = False
    """Apply ``config`` as a new, audited version at start (else the stored version wins)."""
    port_search: int = 1
    """How many consecutive ports to try from ``port`` (the demo looks for a free one)."""
    scenario: Scenario | None = None
    """Play this timeline on the live twin (``smartpdu run --scenario``)."""


@dataclass(frozen=True, slots=True)
class Started:
    """What ``serve`` announces once every interface is up."""

    url: str
    username: str
    generated_password: str | None
    auth: AuthService
    """For the announcer, e.g. to open a session for a client profile."""


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind (and thereby reserve) the listening socket before anything is printed."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio enables TCP_NODELAY only for sockets created with it;
    # without, every response waits for the peer's 40 ms delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def bind_first_free(host: str, port: int, tries: int) -> socket.socket:
    """Bind ``port``, or the first free one of the ``tries`` ports from it."""
    if port == 0 or tries <= 1:
        return bind_socket(host, port)
    last: OSError | None = None
    for candidate in range(port, min(port + tries, 65536)):
        try:
            return bind_socket(host, candidate)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            last = exc
    raise OSError(
        errno.EADDRINUSE, f"ports {port}..{port + tries - 1} on {host} are all in use"
    ) from last


def _url(sock: socket.socket, tls: bool) -> str:
    host, port = sock.getsockname()[:2]
    shown_host = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{shown_host}:{port}/"


def _protocol_servers(cfg: RackConfig, data_dir: Path) -> list[Interface]:
    """The industrial-protocol interfaces the active (stored or imported) configuration enables;
    imported only then (pysnmp, pymodbus and asyncua add seconds to a start that needs none)."""
    out: list[Interface] = []
    if cfg.snmp.enabled:
        from smartpdu.integrations.snmp.agent import SnmpAgent

        out.append(SnmpAgent(cfg.snmp))
    if cfg.modbus.enabled:
        from smartpdu.integrations.modbus.server import ModbusInterface

        out.append(ModbusInterface(cfg.modbus))
    if cfg.opcua.enabled:  # its certificate lives in the data directory
        from smartpdu.integrations.opcua.server import OpcUaInterface

        out.append(OpcUaInterface(cfg.opcua, data_dir / "opcua"))
    return out


async def serve(options: ServeOptions, announce: Callable[[Started], object]) -> None:
    """Run until interrupted; ``announce(started)`` once every interface is up."""
    with DataDirLock(options.data_dir, "smartpdu run"):
        await _serve_locked(options, announce)


async def _serve_locked(options: ServeOptions, announce: Callable[[Started], object]) -> None:
    sock = bind_first_free(options.host, options.port, options.port_search)
    url = _url(sock, options.ssl_certfile is not None)
    extra: dict[str, Any] = {}
    if options.scenario is not None:
        extra["stages"] = scenario_stages(options.scenario)
    runtime: RackRuntime = build_twin_runtime(
        options.config,
        options.data_dir,
        db_url=options.db_url,
        seed=options.seed,
        sim=False,
        **extra,
    )
    port = RackPort(runtime)
    # one delivery core: the root owns and runs the outbox (built here, not by an interface)
    core = DeliveryCore(port)
    delivery = EventDelivery(port, outbox=core.outbox)
    webhooks = WebhookService(core)
    interfaces: list[Interface] = [
        SessionPurge(),
        DeliveryInterface(core, [delivery, webhooks, SyslogChannel(core), MqttChannel(core, port)]),
        HttpInterface(
            sock,
            delivery,
            ssl_certfile=options.ssl_certfile,
            ssl_keyfile=options.ssl_keyfile,
            queue_stats=core.queue_stats,
            webhooks=webhooks,
        ),
    ]
    async with runtime:
        if options.import_config and dump_config(runtime.config) != dump_config(options.config):
            await runtime.apply_config(
                dump_config(options.config), "system", "imported from --config at start"
            )
        auth = AuthService(
            runtime.store, runtime.events, runtime.now_utc, pdu_id=options.config.pdus[0].id
        )
        interfaces[2:2] = _protocol_servers(runtime.config, options.data_dir)
        try:
            generated = await auth.ensure_admin(options.admin_password)

            async def started() -> None:
                freeze_startup_heap()  # full GC passes would walk the whole start-up heap
                result = announce(Started(url, "admin", generated, auth))
                if inspect.isawaitable(result):
                    await result

            await run_interfaces(interfaces, port, auth, on_started=started)
        finally:
            auth.close()
            with contextlib.suppress(OSError):
                sock.close()
