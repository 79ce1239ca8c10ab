"""The Modbus TCP server against pymodbus' own client: registers equal REST on a paused tick,
exceptions for bad addresses and units, coil writes only when enabled and allowed (audited),
garbage frames survived."""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import socket
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.pdu import ExceptionResponse

from smartpdu.access import AuthService
from smartpdu.api import create_app
from smartpdu.app import build_demo_runtime
from smartpdu.config.integrations import ModbusConfig
from smartpdu.integrations.modbus.regmap import (
    BRANCH,
    HEADER,
    INLET,
    OUTLET,
    PHASE,
    SENSOR,
    render_markdown,
)
from smartpdu.integrations.modbus.server import ModbusInterface
from smartpdu.model.metrics import CATALOGUE, Level
from smartpdu.runtime import RackRuntime
from smartpdu.runtime.port import RackPort

pytestmark = pytest.mark.usefixtures("_task_leak_check")
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Env:
    runtime: RackRuntime
    iface: ModbusInterface
    client: AsyncModbusTcpClient
    http: httpx.AsyncClient
    token: str
    ticking: asyncio.Event

    async def rest(self, path: str) -> object:
        r = await self.http.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {self.token}"})
        r.raise_for_status()
        return r.json()


@contextlib.asynccontextmanager
async def modbus_running(tmp_path: Path, cfg: ModbusConfig | None = None) -> AsyncIterator[Env]:
    cfg = cfg or ModbusConfig(enabled=True, port=_free_port())
    async with build_demo_runtime(tmp_path, sim=True) as rt:
        await rt.run_ticks(2)
        auth = AuthService(rt.store, rt.events, rt.now_utc, 3600, pdu_id=rt.config.pdus[0].id)
        await auth.ensure_admin("admin-pass-1")
        principal = await auth.authenticate("admin", "admin-pass-1", interface="test")
        token = (await auth.create_session(principal, interface="test")).token
        iface = ModbusInterface(cfg)
        await iface.start(RackPort(rt), auth)
        assert iface.address is not None
        client = AsyncModbusTcpClient("127.0.0.1", port=iface.address[1], timeout=5, retries=1)
        await client.connect()
        ticking = asyncio.Event()
        ticking.set()

        async def ticker() -> None:
            while True:
                await ticking.wait()
                await rt.run_ticks(1)
                await asyncio.sleep(0.02)

        task = asyncio.create_task(ticker())
        transport = httpx.ASGITransport(app=create_app(rt, auth))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                yield Env(rt, iface, client, http, token, ticking)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            client.close()
            await iface.stop()
            auth.close()


def _f32(words: list[int]) -> float:
    return float(struct.unpack(">f", struct.pack(">HH", *words))[0])


def _u64(words: list[int]) -> int:
    return int(struct.unpack(">Q", struct.pack(">HHHH", *words))[0])


def test_docs_modbus_md_is_the_generated_map() -> None:
    assert (ROOT / "docs" / "modbus.md").read_text() == render_markdown(), (
        "docs/modbus.md is stale: python -m smartpdu.integrations.modbus.regmap > docs/modbus.md"
    )


async def _check_block(
    env: Env, unit: int, base: int, level: Level, rest: dict[str, object]
) -> int:
    regs = await env.client.read_input_registers(base, count=125, device_id=unit)
    assert not regs.isError(), regs
    more = await env.client.read_input_registers(base + 125, count=125, device_id=unit)
    words = regs.registers + more.registers
    checked = 0
    for m in CATALOGUE:
        if level not in m.levels or m.rest is None:
            continue
        value = rest.get(m.rest, rest.get("reading", {}).get(m.rest))  # type: ignore[union-attr]
        off = 4 * m.number
        is_u64 = m.unit in ("Wh", "varh", "VAh") or m.kind.value == "counter"
        if is_u64:
            assert _u64(words[off : off + 4]) == int(value or 0), m.key
        elif value is None:
            assert math.isnan(_f32(words[off : off + 2])), m.key
        else:
            assert _f32(words[off : off + 2]) == pytest.approx(value, rel=1e-6, abs=1e-6), m.key
        checked += 1
    return checked


async def test_registers_match_rest_on_one_tick(tmp_path: Path) -> None:
    async with modbus_running(tmp_path) as env:
        env.ticking.clear()
        await asyncio.sleep(0.05)
        checked = 0
        for unit, pdu in enumerate(env.runtime.config.pdus, start=1):
            header = await env.client.read_input_registers(HEADER, count=8, device_id=unit)
            assert header.registers[0] == 1
            assert header.registers[5] == len(pdu.outlets)
            detail = await env.rest(f"/pdus/{pdu.id}")
            assert isinstance(detail, dict)
            checked += await _check_block(env, unit, INLET, Level.INLET, detail["inlet"])
            phases = await env.rest(f"/pdus/{pdu.id}/phases")
            assert isinstance(phases, list)
            for k, ph in enumerate(phases):
                checked += await _check_block(env, unit, PHASE + 256 * k, Level.PHASE, ph)
            branches = await env.rest(f"/pdus/{pdu.id}/branches")
            assert isinstance(branches, list)
            for k, br in enumerate(branches):
                checked += await _check_block(env, unit, BRANCH + 256 * k, Level.BRANCH, br)
            outlets = await env.rest(f"/pdus/{pdu.id}/outlets")
            assert isinstance(outlets, list)
            for k, o in enumerate(outlets[:4]):
                checked += await _check_block(env, unit, OUTLET + 256 * k, Level.OUTLET, o)
            bits = await env.client.read_discrete_inputs(0, count=len(outlets), device_id=unit)
            assert bits.bits[: len(outlets)] == [o["state"] == "on" for o in outlets]
            holding = await env.client.read_holding_registers(OUTLET, count=100, device_id=unit)
            inputs = await env.client.read_input_registers(OUTLET, count=100, device_id=unit)
            assert holding.registers == inputs.registers
        sensors = await env.rest("/sensors")
        assert isinstance(sensors, list) and sensors
        regs = await env.client.read_input_registers(SENSOR, count=2, device_id=1)
        assert _f32(regs.registers) == pytest.approx(sensors[0]["value"], rel=1e-6)
        assert checked > 200


async def test_bad_addresses_units_and_writes_answer_exceptions(tmp_path: Path) -> None:
    async with modbus_running(tmp_path) as env:
        c = env.client
        n = len(env.runtime.config.pdus[0].outlets)
        cases = [
            (await c.read_input_registers(OUTLET + 256 * n, count=2, device_id=1), 2),  # no outlet
            (await c.read_input_registers(INLET + 250, count=10, device_id=1), 2),  # leaves block
            (await c.read_input_registers(60000, count=1, device_id=1), 2),
            (await c.read_discrete_inputs(n, count=1, device_id=1), 2),
            (await c.write_register(INLET, 1, device_id=1), 1),  # registers are read only
            (await c.write_coil(0, False, device_id=1), 1),  # coils not enabled
            (await c.read_input_registers(HEADER, count=1, device_id=9), 11),  # unknown unit
        ]
        for resp, code in cases:
            assert isinstance(resp, ExceptionResponse) and resp.exception_code == code, resp
        pdu = env.runtime.config.pdus[0]
        assert env.runtime.snapshot.pdus[pdu.id].outlets[pdu.outlets[0].id].state.value == "on"
        denied = [e for e in env.runtime.store.events_since(pdu.id, 0, 10000)
                  if e.event_code == "ACCESS_DENIED" and e.evidence.get("interface") == "modbus"]  # fmt: skip
        assert denied and denied[-1].evidence.get("remote") == "127.0.0.1"


async def test_garbage_frames_never_crash_the_server(tmp_path: Path) -> None:
    async with modbus_running(tmp_path) as env:
        assert env.iface.address is not None
        rng = random.Random(17)
        frames = [rng.randbytes(rng.randint(1, 260)) for _ in range(50)]
        frames += [struct.pack(">HHHB", 1, 0, 6, 1) + bytes([4, 0, 0, 0, 0]),  # count 0
                   struct.pack(">HHHB", 2, 0, 6, 1) + bytes([4, 0, 0, 0xFF, 0xFF]),  # count 65535
                   struct.pack(">HHHB", 3, 0, 2, 1) + bytes([0x55]),  # unknown function
                   struct.pack(">HHHB", 4, 7, 6, 1) + bytes([4, 0, 0, 0, 1]),  # bad protocol id
                   struct.pack(">HHHB", 5, 0, 0xFFFF, 1)]  # fmt: skip
        for frame in frames:
            reader, writer = await asyncio.open_connection(*env.iface.address)
            writer.write(frame)
            await writer.drain()
            with contextlib.suppress(TimeoutError, ConnectionError):
                await asyncio.wait_for(reader.read(300), 0.2)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        # a count of 0 over one connection is answered with an exception, not silence
        reader, writer = await asyncio.open_connection(*env.iface.address)
        writer.write(struct.pack(">HHHB", 9, 0, 6, 1) + bytes([4, 0, 0, 0, 0]))
        answer = await asyncio.wait_for(reader.read(300), 5)
        writer.close()
        await writer.wait_closed()
        assert answer[:2] == b"\x00\x09" and answer[7] & 0x80 and answer[8] in (1, 3), answer.hex()
        ok = await env.client.read_input_registers(HEADER, count=1, device_id=1)
        assert not ok.isError() and ok.registers == [1]


async def test_coils_switch_outlets_only_for_allowed_clients(tmp_path: Path) -> None:
    cfg = ModbusConfig(enabled=True, port=_free_port(), coils=True, write_clients=["127.0.0.1"])
    async with modbus_running(tmp_path, cfg) as env:
        pdu = env.runtime.config.pdus[0]
        resp = await env.client.write_coil(0, False, device_id=1)
        assert not resp.isError(), resp
        await asyncio.sleep(0.2)
        assert env.runtime.snapshot.pdus[pdu.id].outlets[pdu.outlets[0].id].state.value == "off"
        coils = await env.client.read_coils(0, count=2, device_id=1)
        assert coils.bits[:2] == [False, True]
        events = env.runtime.store.events_since(pdu.id, 0, 10000)
        assert any(e.event_code == "OUTLET_OFF" and e.actor == "modbus/127.0.0.1" for e in events)
    cfg = ModbusConfig(enabled=True, port=_free_port(), coils=True, write_clients=["10.9.9.9"])
    async with modbus_running(tmp_path / "other", cfg) as env:
        resp = await env.client.write_coil(0, False, device_id=1)
        assert isinstance(resp, ExceptionResponse) and resp.exception_code == 1


def test_modbus_configuration_is_validated() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="write_clients"):
        ModbusConfig(coils=True)
    with pytest.raises(ValidationError, match="not an IP address"):
        ModbusConfig(coils=True, write_clients=["gateway.local"])
    assert ModbusConfig(coils=True, write_clients=["::1"]).write_clients == ["::1"]


def test_block_reads_stay_inside_one_block() -> None:
    from smartpdu.integrations.modbus.regmap import Block, read_registers

    blocks = [Block(0, 4, (1, 2, 3, 4)), Block(10, 2, (7, 8))]
    assert read_registers(blocks, 1, 3) == [2, 3, 4]
    assert read_registers(blocks, 10, 2) == [7, 8]
    assert read_registers(blocks, 3, 2) is None  # leaves the block
    assert read_registers(blocks, 5, 1) is None  # a gap
    assert read_registers(blocks, 11, 2) is None
