"""End-to-end over real HTTP (uvicorn on loopback): DMTF tools, control, event subscriptions."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from redfish_env import ADMIN_PW, OPERATOR_PW

import smartpdu.redfish
from smartpdu.access import AuthService
from smartpdu.api import create_app
from smartpdu.app import build_demo_runtime
from smartpdu.redfish import EventDelivery, create_redfish_app, mount_redfish
from smartpdu.runtime import RackRuntime

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
CSDL = Path(smartpdu.redfish.__file__).parent / "csdl"
PDU = "/redfish/v1/PowerEquipment/RackPDUs/pdu-a"


async def run(*args: str, cwd: Path | None = None, timeout: float = 600) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode or 0, out.decode(errors="replace")


class Ticker:
    """Step the sim-clock runtime continuously, like the wall-clock tick loop; can pause."""

    def __init__(self, rt: RackRuntime) -> None:
        self.rt = rt
        self.running = asyncio.Event()
        self.running.set()

    async def run(self) -> None:
        while True:
            await self.running.wait()
            await self.rt.run_ticks(1)
            await asyncio.sleep(0.02)


@pytest.fixture
async def ticker(tmp_path: Path) -> AsyncIterator[Ticker]:
    rt = build_demo_runtime(tmp_path / "rt", sim=True)
    async with rt:
        t = Ticker(rt)
        task = asyncio.create_task(t.run())
        yield t
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
async def runtime(ticker: Ticker) -> RackRuntime:
    """The real runtime on the demo-rack twin (overrides the fake of conftest)."""
    return ticker.rt


@pytest.fixture
async def app(runtime: RackRuntime, auth: AuthService) -> AsyncIterator[FastAPI]:
    """The composition of ``smartpdu run``: native API with Redfish mounted at /redfish."""
    native = create_app(runtime, auth)
    redfish = create_redfish_app(
        runtime, auth, delivery=EventDelivery(runtime, base_backoff_s=0.05, max_backoff_s=0.2)
    )
    mount_redfish(native, redfish)
    async with redfish.state.redfish.delivery:
        yield native


def need(tool: str) -> None:
    if not (BIN / tool).exists():
        pytest.skip(
            f"{tool} not installed: pip install redfish_service_validator redfish_utilities"
        )


async def test_service_validator_zero_fail(server: str, tmp_path: Path) -> None:
    need("rf_service_validator")
    _, out = await run(
        str(BIN / "rf_service_validator"),
        "--rhost",
        server,
        "--user",
        "admin",
        "--password",
        ADMIN_PW,
        "--authtype",
        "Session",
        "--schema_directory",
        str(CSDL),
        "--logdir",
        str(tmp_path / "logs"),
        cwd=tmp_path,
    )
    m = re.search(
        r"\|\s*PASS\s*\|\s*WARN\s*\|\s*FAIL\s*\|.*\n.*\n\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)", out
    )
    assert m, out[-3000:]
    passed, warned, failed = map(int, m.groups())
    print(f"validator: PASS {passed} WARN {warned} FAIL {failed}")
    assert failed == 0 and warned == 0, out[-5000:]
    assert passed > 5000  # the whole tree was walked (outlets, sensors, log entries, ...)
    for uri in ("Outlets/7", "OutletGroups/gpu", "Metrics", "Mains/Inlet", "Branches/B6"):
        assert f"Validating {PDU}/{uri}..." in out


async def test_rf_power_equipment_lists_live_outlets(server: str, ticker: Ticker) -> None:
    need("rf_power_equipment.py")
    ticker.running.clear()  # hold the snapshot still so the tool and the test see the same one
    await asyncio.sleep(0.1)
    runtime = ticker.rt
    tool = [str(BIN / "rf_power_equipment.py"), "-u", "admin", "-p", ADMIN_PW, "-r", server]
    code, out = await run(*tool, "list")
    assert code == 0 and "pdu-a" in out and "pdu-b" in out, out
    code, out = await run(*tool, "outlets", "-t", "RackPDU", "-pe", "pdu-a")
    assert code == 0, out
    row = next(line for line in out.splitlines() if line.strip().startswith("7 "))
    snap = runtime.snapshot.pdus["pdu-a"].outlets["7"].reading
    assert f"{round(snap.p_w, 1)}" in row and f"{round(snap.i_rms_a, 3)}" in row, row
    code, out = await run(*tool, "outletinfo", "-t", "RackPDU", "-pe", "pdu-a", "-o", "7")
    assert code == 0 and "PowerState: On" in out, out
    assert f"Power: {round(snap.p_w, 1)} W" in out, out


class Receiver:
    """A tiny HTTP receiver on loopback: records POSTed JSON; can fail the first N requests."""

    def __init__(self, fail_first: int = 0) -> None:
        self.bodies: list[dict] = []
        self.attempts = 0
        self.fail_first = fail_first
        self.got = asyncio.Event()
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(self._conn, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/events"

    async def _conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
                body = await reader.readexactly(length)
                self.attempts += 1
                if self.attempts <= self.fail_first:
                    writer.write(b"HTTP/1.1 503 Busy\r\ncontent-length: 0\r\n\r\n")
                else:
                    self.bodies.append(json.loads(body))
                    self.got.set()
                    writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def records(self) -> list[dict]:
        return [r for b in self.bodies for r in b["Events"]]


async def test_power_off_over_redfish_emits_event_delivered_to_subscriber(
    server: str,
    runtime,
    app,
) -> None:
    async with Receiver(fail_first=2) as rx, httpx.AsyncClient(base_url=server) as http:
        r = await http.post(
            "/redfish/v1/EventService/Subscriptions",
            auth=("admin", ADMIN_PW),
            json={"Destination": rx.url, "Context": "dcim-1", "Protocol": "Redfish"},
        )
        assert r.status_code == 201, r.text
        sub_uri = r.headers["Location"]
        login = await http.post(
            "/redfish/v1/SessionService/Sessions",
            json={"UserName": "oper", "Password": OPERATOR_PW},
        )
        token = {"X-Auth-Token": login.headers["X-Auth-Token"]}
        r = await http.post(
            f"{PDU}/Outlets/7/Actions/Outlet.PowerControl",
            json={"PowerState": "Off"},
            headers=token,
        )
        assert r.status_code == 200, r.text
        assert runtime.snapshot.pdus["pdu-a"].outlets["7"].state == "off"
        assert (await http.get(f"{PDU}/Outlets/7", headers=token)).json()["PowerState"] == "Off"
        bearer = {"Authorization": f"Bearer {login.headers['X-Auth-Token']}"}
        native = await http.get("/api/v1/pdus/pdu-a/outlets/7", headers=bearer)
        assert native.status_code == 200 and native.json()["state"] == "off", native.text

        async def delivered() -> dict:
            while True:
                for rec in rx.records():
                    if rec["Oem"]["SmartPDU"]["event_code"] == "OUTLET_OFF":
                        return rec
                rx.got.clear()
                await rx.got.wait()

        rec = await asyncio.wait_for(delivered(), timeout=20)
        assert rx.attempts >= 3  # two refusals were retried (durable delivery with backoff)
        assert rec["Oem"]["SmartPDU"]["actor"] == "redfish/oper"
        assert rec["OriginOfCondition"] == {"@odata.id": f"{PDU}/Outlets/7"}
        assert rec["MessageId"] == "SmartPDU.1.0.OUTLET_OFF"
        assert all(b["Context"] == "dcim-1" for b in rx.bodies)
        seqs = [
            r["Oem"]["SmartPDU"]["sequence_id"]
            for r in rx.records()
            if r["Oem"]["SmartPDU"]["pdu_id"] == "pdu-a"
        ]
        assert seqs == sorted(set(seqs))  # in order, no duplicates
        r = await http.post(f"{PDU}/Outlets/7/Actions/Outlet.ResetMetrics", json={},
                            auth=("admin", ADMIN_PW))  # fmt: skip
        assert r.status_code == 200, r.text
        resets = [e for e in runtime.store.events_since("pdu-a")
                  if e.event_code == "ENERGY_REGISTER_RESET"]  # fmt: skip
        assert [(e.source, e.actor) for e in resets] == [("outlet/7", "redfish/admin")]
        # the reset is visible: Reading (resettable) restarts, LifetimeReading (total) does not
        tick = runtime.snapshot.tick
        while runtime.snapshot.tick <= tick + 1:
            await asyncio.sleep(0.02)
        snap = runtime.snapshot
        energy = (await http.get(f"{PDU}/Outlets/7", auth=("admin", ADMIN_PW))).json()["EnergykWh"]
        outlet = snap.pdus["pdu-a"].outlets["7"].reading
        # a few seconds of load are far below Redfish's 1 Wh display step, so compare the
        # registers themselves, and Redfish against them (the response may be one tick newer)
        assert outlet.energy_resettable_wh < outlet.energy_wh
        assert energy["Reading"] == pytest.approx(outlet.energy_resettable_wh * 1e-3, abs=1.1e-3)
        assert energy["LifetimeReading"] == pytest.approx(outlet.energy_wh * 1e-3, abs=1.1e-3)
        assert energy["Reading"] <= energy["LifetimeReading"]
        assert (await http.delete(sub_uri, auth=("admin", ADMIN_PW))).status_code == 200


async def test_unauthenticated_gets_401_over_http(server: str) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        for path in ("/redfish", "/redfish/v1/", "/redfish/v1/$metadata", "/redfish/v1/odata"):
            assert (await http.get(path)).status_code == 200, path
        for path in (
            f"{PDU}/Outlets/7",
            "/redfish/v1/Chassis",
            "/redfish/v1/Managers",
            "/redfish/v1/EventService",
            "/redfish/v1/AccountService",
        ):
            assert (await http.get(path)).status_code == 401, path
        r = await http.post(
            f"{PDU}/Outlets/7/Actions/Outlet.PowerControl", json={"PowerState": "Off"}
        )
        assert r.status_code == 401
