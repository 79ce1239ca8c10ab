"""The SNMP agent interface: pysnmp engine, USM users, VACM views, responders, traps.

Security: SNMPv3 users with SHA-256/SHA-512 authentication and AES-128/AES-256 privacy, and
only ``authPriv`` is accepted (VACM requires it; a request at a lower level is refused). v2c is
off unless configured, read only, and never with ``public``/``private``. Keys come from the
environment (``config/integrations.py``). Every authenticated user may read; SETs are decided by
the user's role (:mod:`.setter`). Wrong keys are dropped by USM and counted in the standard
``usmStats`` counters, which are served too (``1.3.6.1.6.3.15.1.1``).

The agent reads the latest snapshot through the port, flattened once per tick into a
:class:`~.index.MibIndex` shared by every request.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import time
from dataclasses import dataclass
from typing import Any, Final

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config as snmp_config
from pysnmp.entity import engine as snmp_engine
from pysnmp.entity.rfc3413 import context as snmp_context
from pysnmp.proto import rfc1902

from smartpdu import __version__
from smartpdu.access import AuthService, Role
from smartpdu.config.integrations import SnmpConfig, SnmpUserConfig
from smartpdu.integrations.snmp.index import MibIndex, Value, build_index
from smartpdu.integrations.snmp.instrum import IndexInstrum, install_read_responders
from smartpdu.integrations.snmp.setter import SetResponder
from smartpdu.integrations.snmp.traps import TrapSender
from smartpdu.integrations.snmp.tree import AlarmRow, RackView
from smartpdu.runtime.port import AlarmsUnavailableError, RackPort

__all__ = ["SnmpAgent", "SnmpKeyError", "engine_id_for", "user_keys"]

log = logging.getLogger(__name__)

_AUTH: Final = {
    "SHA-256": snmp_config.USM_AUTH_HMAC192_SHA256,
    "SHA-512": snmp_config.USM_AUTH_HMAC384_SHA512,
}
_PRIV: Final = {
    "AES-128": snmp_config.USM_PRIV_CFB128_AES,
    "AES-256": snmp_config.USM_PRIV_CFB256_AES,
}
_DEFAULT_COMMUNITIES: Final = frozenset({"", "public", "private", "community", "snmp"})
_READ_VIEW: Final = (1, 3, 6, 1)
_SYSTEM: Final = (1, 3, 6, 1, 2, 1, 1)
_USM_STATS: Final = (1, 3, 6, 1, 6, 3, 15, 1, 1)
_USM_STAT_NAMES: Final = (
    "usmStatsUnsupportedSecLevels", "usmStatsNotInTimeWindows", "usmStatsUnknownUserNames",
    "usmStatsUnknownEngineIDs", "usmStatsWrongDigests", "usmStatsDecryptionErrors",
)  # fmt: skip


class SnmpKeyError(ValueError):
    """A configured SNMP secret is missing or unusable (names the environment variable)."""


def user_keys(user: SnmpUserConfig, env: dict[str, str] | None = None) -> tuple[str, str]:
    """The (auth, priv) passphrases of ``user`` from the environment (RFC 3414: ≥ 8 chars)."""
    source = os.environ if env is None else env
    out = []
    for var in user.env_names():
        value = source.get(var, "")
        if len(value) < 8:
            raise SnmpKeyError(
                f"SNMP user {user.name!r}: set {var} to a passphrase of at least 8 characters"
            )
        out.append(value)
    return out[0], out[1]


def engine_id_for(rack_name: str, enterprise: int) -> bytes:
    """A stable snmpEngineID (RFC 3411 format 4-octets-of-PEN | 0x80, type 5 = octets):
    trap receivers configure it once and it survives restarts."""
    digest = hashlib.sha256(rack_name.encode()).digest()[:8]
    return (0x80000000 | enterprise).to_bytes(4, "big") + b"\x05" + digest


@dataclass(frozen=True, slots=True)
class _Cached:
    tick: int
    alarms: tuple[AlarmRow, ...]
    index: MibIndex


class SnmpAgent:
    """The ``snmp`` interface of the registry."""

    name = "snmp"

    def __init__(self, cfg: SnmpConfig, env: dict[str, str] | None = None) -> None:
        self._cfg = cfg
        self._env = env
        self._engine: Any = None
        self._transport: Any = None
        self._sock: socket.socket | None = None
        self._stopped = asyncio.Event()
        self._cache: _Cached | None = None
        self._port: RackPort | None = None
        self._started = time.monotonic()
        self._set_tasks: set[asyncio.Task[None]] = set()
        self._traps: TrapSender | None = None
        self.root: tuple[int, ...] = (1, 3, 6, 1, 4, 1, cfg.enterprise)
        self.address: tuple[str, int] | None = None

    # -- lifecycle --------------------------------------------------------------------------------
    async def start(self, port: RackPort, auth: AuthService) -> None:
        cfg = self._cfg
        keys = {u.name: user_keys(u, self._env) for u in cfg.users}
        community = None
        if cfg.v2c:
            community = (self._env if self._env is not None else os.environ).get(
                cfg.v2c_community_env, ""
            )
            if community.lower() in _DEFAULT_COMMUNITIES or len(community) < 8:
                raise SnmpKeyError(
                    f"SNMP v2c is enabled: set {cfg.v2c_community_env} to a community of at "
                    "least 8 characters that is not a default (public, private)"
                )
        self._port = port
        engine_id = engine_id_for(port.config.rack.name, cfg.enterprise)
        eng = snmp_engine.SnmpEngine(rfc1902.OctetString(engine_id))
        self._sock = _bind_udp(cfg.host, cfg.port)
        self.address = self._sock.getsockname()[:2]
        self._transport = udp.UdpAsyncioTransport().open_server_mode(sock=self._sock)
        snmp_config.add_transport(eng, udp.DOMAIN_NAME, self._transport)
        for u in cfg.users:
            auth_key, priv_key = keys[u.name]
            snmp_config.add_v3_user(eng, u.name, _AUTH[u.auth], auth_key, _PRIV[u.priv], priv_key)
            snmp_config.add_vacm_user(eng, 3, u.name, "authPriv", _READ_VIEW, self.root, _READ_VIEW)
        if community is not None:
            snmp_config.add_v1_system(eng, "smartpdu-v2c", community)
            snmp_config.add_vacm_user(eng, 2, "smartpdu-v2c", "noAuthNoPriv", _READ_VIEW)
        ctx = snmp_context.SnmpContext(eng)
        instrum = IndexInstrum(self.index)
        ctx.unregister_context_name(b"")
        ctx.register_context_name(b"", instrum)
        install_read_responders(eng, ctx, instrum)
        setter = SetResponder(eng, ctx)
        setter.port, setter.auth, setter.latest, setter.tasks = (
            port,
            auth,
            self.index,
            self._set_tasks,
        )
        setter.roles = {u.name: Role(u.role) for u in cfg.users}
        self._engine, self.instrum = eng, instrum
        await self._transport._lport  # the endpoint is up once this resolves
        if cfg.trap_receivers:
            self._traps = TrapSender(eng, cfg, self.root)
            await self._traps.start(port)
        log.info("SNMP agent listening on udp://%s:%d", *self.address)

    async def wait(self) -> None:
        await self._stopped.wait()

    async def stop(self) -> None:
        if self._traps is not None:
            await self._traps.stop()
            self._traps = None
        for task in list(self._set_tasks):
            task.cancel()
        for task in list(self._set_tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        eng, self._engine = self._engine, None
        if eng is not None:
            dispatcher = eng.transport_dispatcher
            looping = getattr(dispatcher, "loopingcall", None)
            eng.close_dispatcher()
            if looping is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await looping
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._stopped.set()

    # -- the served data --------------------------------------------------------------------------
    def index(self) -> MibIndex:
        """The index of the latest tick (rebuilt once per tick or alarm change)."""
        assert self._port is not None
        port = self._port
        snap = port.snapshot
        alarms = _alarm_rows(port)
        cached = self._cache
        if cached is not None and cached.tick == snap.tick and cached.alarms == alarms:
            return cached.index
        devices: dict[tuple[str, str], str] = {}
        for dev in port.config.devices:
            for psu in dev.psus:
                key = (psu.pdu, psu.outlet)
                devices[key] = f"{devices[key]},{dev.name}" if key in devices else dev.name
        view = RackView(snap, devices, alarms)
        index = build_index(view, self.root, self._extra())
        self._cache = _Cached(snap.tick, alarms, index)
        return index

    @property
    def traps_sent(self) -> int:
        """Notifications sent (informs: acknowledged) since start."""
        return 0 if self._traps is None else self._traps.sent

    def usm_stats(self) -> dict[str, int]:
        """The USM failure counters (wrong digests, unknown users, ...) since start."""
        if self._engine is None:
            return {}
        builder = self._engine.get_mib_builder()
        symbols = builder.import_symbols("__SNMP-USER-BASED-SM-MIB", *_USM_STAT_NAMES)
        return {n: int(s.syntax) for n, s in zip(_USM_STAT_NAMES, symbols, strict=True)}

    def _extra(self) -> list[tuple[tuple[int, ...], Value]]:
        """MIB-2 system group and the USM statistics."""
        assert self._port is not None
        rack = self._port.config.rack
        uptime = int((time.monotonic() - self._started) * 100) & 0xFFFFFFFF
        out: list[tuple[tuple[int, ...], Value]] = [
            ((*_SYSTEM, 1, 0), ("s", f"smartpdu {__version__} SmartPDU controller")),
            ((*_SYSTEM, 2, 0), ("o", self.root)),
            ((*_SYSTEM, 3, 0), ("t", uptime)),
            ((*_SYSTEM, 4, 0), ("s", self._cfg.contact)),
            ((*_SYSTEM, 5, 0), ("s", rack.name)),
            ((*_SYSTEM, 6, 0), ("s", rack.location)),
            ((*_SYSTEM, 7, 0), ("i", 72)),  # application + end-to-end (RFC 3418)
        ]
        for i, value in enumerate(self.usm_stats().values(), start=1):
            out.append(((*_USM_STATS, i, 0), ("c32", value)))
        return out


def _alarm_rows(port: RackPort) -> tuple[AlarmRow, ...]:
    try:
        alarms = port.active_alarms()
    except AlarmsUnavailableError:
        return ()
    return tuple(
        AlarmRow(a.id, a.event_code, a.severity, a.entity, a.pdu_id, a.metric, a.unit, a.state,
                 a.raised_utc, a.value, a.limit)
        for a in alarms
    )  # fmt: skip


def _bind_udp(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock
