"""The ``modbus`` interface: a pymodbus TCP server over the register map of :mod:`.regmap`.

pymodbus calls the datastore asynchronously per request (``async_getValues`` /
``async_setValues``); :class:`_Datastore` answers from the latest snapshot (one snapshot per
request, the blocks built once per tick and unit) and turns bad requests into Modbus exceptions,
never a crash. Coil writes (outlet switching) run ``RackPort.outlet_command`` — the REST
command, audited with actor ``modbus/<client address>`` — only when enabled and only for
allowed client addresses; the client address of the request comes from its connection.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Sequence
from typing import Any

from pymodbus.constants import ExcCodes
from pymodbus.datastore import ModbusServerContext
from pymodbus.exceptions import NoSuchIdException
from pymodbus.server import ModbusTcpServer
from pymodbus.server.requesthandler import ServerRequestHandler

from smartpdu.access import AuthService, Permission, Principal, Role
from smartpdu.config.integrations import ModbusConfig
from smartpdu.integrations.modbus.regmap import Block, blocks_for, read_registers
from smartpdu.model.commands import CommandStatus, OutletAction, OutletCommand
from smartpdu.model.snapshot import PduSnapshot
from smartpdu.runtime.port import NotReadyError, RackPort

__all__ = ["ModbusInterface"]

log = logging.getLogger(__name__)

_PEER: contextvars.ContextVar[str | None] = contextvars.ContextVar("modbus_peer", default=None)
_READ_REGS = (3, 4)
_WRITE_COILS = (5, 15)


class _Handler(ServerRequestHandler):
    """Records the client address for the datastore (allow-list, audit actor)."""

    async def handle_request(self) -> None:
        peer = None
        transport = getattr(self, "transport", None)
        if transport is not None:
            info = transport.get_extra_info("peername")
            peer = str(info[0]) if info else None
        _PEER.set(peer)
        await super().handle_request()


class _Server(ModbusTcpServer):
    def callback_new_connection(self) -> ServerRequestHandler:
        return _Handler(self, self.trace_packet, self.trace_pdu, self.trace_connect)


class _Datastore(ModbusServerContext):
    """pymodbus' datastore seam, answered from the port (not pymodbus' simulator)."""

    def __init__(self, owner: ModbusInterface) -> None:  # no super(): no simulated devices
        self.old_simulator = True
        self.simdevices: list[Any] = []
        self._owner = owner

    def device_ids(self) -> list[int]:
        return list(range(1, len(self._owner.port.config.pdus) + 1))

    async def async_getValues(
        self, device_id: int, func_code: int, address: int, count: int = 1
    ) -> list[int] | list[bool] | ExcCodes:
        try:
            pdu, blocks = self._owner.unit(device_id)
        except NotReadyError:
            return ExcCodes.DEVICE_BUSY
        if func_code in _READ_REGS:
            words = read_registers(blocks, address, count)
            return ExcCodes.ILLEGAL_ADDRESS if words is None else words
        outlets = list(pdu.outlets.values())
        if address < 0 or count < 1 or address + count > len(outlets):
            return ExcCodes.ILLEGAL_ADDRESS
        chosen = outlets[address : address + count]
        if func_code == 2:
            return [o.state.value == "on" for o in chosen]
        if func_code in (1, *_WRITE_COILS):
            return [o.commanded_on for o in chosen]
        return ExcCodes.ILLEGAL_FUNCTION

    async def async_setValues(
        self, device_id: int, func_code: int, address: int, values: Sequence[int] | Sequence[bool]
    ) -> ExcCodes | None:
        if func_code not in _WRITE_COILS:
            return ExcCodes.ILLEGAL_FUNCTION
        return await self._owner.write_coils(device_id, address, [bool(v) for v in values])


class ModbusInterface:
    """The ``modbus`` interface of the registry."""

    name = "modbus"

    def __init__(self, cfg: ModbusConfig) -> None:
        self._cfg = cfg
        self._server: _Server | None = None
        self._port: RackPort | None = None
        self._auth: AuthService | None = None
        self._cache: dict[int, tuple[int, PduSnapshot, list[Block]]] = {}
        self._stopped = asyncio.Event()
        self.address: tuple[str, int] | None = None
        self.writes = 0

    @property
    def port(self) -> RackPort:
        assert self._port is not None
        return self._port

    async def start(self, port: RackPort, auth: AuthService) -> None:
        self._port, self._auth = port, auth
        self._server = _Server(_Datastore(self), address=(self._cfg.host, self._cfg.port))
        await self._server.serve_forever(background=True)
        sockets = getattr(self._server.transport, "sockets", None) or []
        self.address = sockets[0].getsockname()[:2] if sockets else (self._cfg.host, self._cfg.port)
        log.info("Modbus TCP server listening on %s:%d", *self.address)

    async def wait(self) -> None:
        await self._stopped.wait()

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.shutdown()
            self._server = None
        self._stopped.set()

    def unit(self, device_id: int) -> tuple[PduSnapshot, list[Block]]:
        """The PDU of a unit id and its blocks at the latest tick (built once per tick)."""
        snap = self.port.snapshot
        pdus = list(snap.pdus.values())
        if not 1 <= device_id <= len(pdus):
            raise NoSuchIdException(f"no unit {device_id}")
        cached = self._cache.get(device_id)
        if cached is not None and cached[0] == snap.tick:
            return cached[1], cached[2]
        pdu = pdus[device_id - 1]
        blocks = list(blocks_for(snap, pdu))
        self._cache[device_id] = (snap.tick, pdu, blocks)
        return pdu, blocks

    async def write_coils(
        self, device_id: int, address: int, values: list[bool]
    ) -> ExcCodes | None:
        """Switch outlets ``address..`` of a unit: refused unless enabled and allowed."""
        peer = _PEER.get()
        if not self._cfg.coils or peer not in self._cfg.write_clients:
            log.warning("Modbus coil write from %s refused (not enabled/allowed)", peer)
            if self._auth is not None:  # audited like a refused REST command
                await self._auth.audit_denied(
                    Principal(f"modbus-{peer}", Role.VIEWER), interface="modbus",
                    operation=f"write coils unit {device_id} address {address}",
                    permission=str(Permission.CONTROL), remote=peer,
                )  # fmt: skip
            return ExcCodes.ILLEGAL_FUNCTION
        pdu, _ = self.unit(device_id)
        outlets = list(pdu.outlets.values())
        if address < 0 or address + len(values) > len(outlets):
            return ExcCodes.ILLEGAL_ADDRESS
        for outlet, on in zip(outlets[address : address + len(values)], values, strict=True):
            command = OutletCommand(
                pdu_id=pdu.id, outlet_ids=(outlet.id,),
                action=OutletAction.ON if on else OutletAction.OFF,
                actor=f"modbus/{peer}", interface="modbus",
            )  # fmt: skip
            result = await self.port.outlet_command(command)
            self.writes += 1
            if CommandStatus(result.status) not in (CommandStatus.DONE, CommandStatus.ACCEPTED):
                return ExcCodes.DEVICE_FAILURE
        return None
