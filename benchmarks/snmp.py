"""Industrial-protocol benchmark (issue 17): snmpbulkwalk OIDs/s and Modbus reads/s.

- SNMP: net-snmp's ``snmpbulkwalk`` (SNMPv3 authPriv SHA-256/AES-128, max-repetitions 10 and
  50) over everything our agent serves (MIB-2 system, SMARTPDU-MIB, usmStats) on the demo rack,
  side by side with net-snmp's own ``snmpd`` serving MIB-2 with the same security in the same
  run (goal: our agent ≥ 10 % of snmpd's OIDs/s).
- Modbus: pymodbus client reading 125 input registers per request, sequentially, for a few
  seconds (reads/s and registers/s).

The rack is not ticking during the walks (one snapshot), so the agent's per-tick index is built
once; the first walk of a tick also builds the cached varbinds, a second walk of the same tick
reuses them (both are reported). Reported, never asserted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from smartpdu.access import AuthService
from smartpdu.app import build_demo_runtime
from smartpdu.config.integrations import ModbusConfig, SnmpConfig, SnmpUserConfig
from smartpdu.integrations.modbus.server import ModbusInterface
from smartpdu.integrations.snmp.agent import SnmpAgent
from smartpdu.runtime.port import RackPort

AUTH, PRIV = "bench-auth-key", "bench-priv-key"


def _udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _walk(port: int, root: str, reps: int) -> tuple[int, float]:
    args = ["-M", "", "-m", "", "-v3", "-l", "authPriv", "-u", "bench", "-a", "SHA-256",
            "-A", AUTH, "-x", "AES", "-X", PRIV, "-On", "-Oq", f"-Cr{reps}", "-t", "5",
            f"udp:127.0.0.1:{port}", root]  # fmt: skip
    tool = shutil.which("snmpbulkwalk")
    assert tool is not None, "snmpbulkwalk missing (make services)"
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        tool, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    elapsed = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(err.decode())
    lines = [x for x in out.decode().splitlines() if x.startswith(".") and "No more" not in x]
    return len(lines), elapsed


async def _snmpd_rate(reps: int) -> dict[str, float] | None:
    snmpd = shutil.which("snmpd") or (
        "/usr/sbin/snmpd" if Path("/usr/sbin/snmpd").exists() else None
    )
    if snmpd is None:
        print("snmpd not installed: no reference (make services)")
        return None
    port = _udp_port()
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "snmpd.conf"
        conf.write_text(f"createUser bench SHA-256 {AUTH} AES {PRIV}\nrouser bench priv\n")
        env = {**os.environ, "SNMP_PERSISTENT_DIR": tmp, "MIBS": ""}
        proc = await asyncio.create_subprocess_exec(
            snmpd, "-f", "-Lo", "-C", "-c", str(conf), "-M", "", f"udp:127.0.0.1:{port}",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, env=env,
        )  # fmt: skip
        try:
            await asyncio.sleep(1.0)
            await _walk(port, "1.3.6.1.2.1", reps)  # warm-up (engine discovery, caches)
            n, t = await _walk(port, "1.3.6.1.2.1", reps)
        finally:
            proc.terminate()
            await proc.wait()
    return {"oids": n, "seconds": t, "oids_per_s": n / t}


async def _run() -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with build_demo_runtime(Path(tmp), sim=True) as rt:
            await rt.run_ticks(2)
            auth = AuthService(rt.store, rt.events, rt.now_utc, 3600, pdu_id=rt.config.pdus[0].id)
            port = RackPort(rt)
            udp = _udp_port()
            agent = SnmpAgent(
                SnmpConfig(enabled=True, port=udp, users=[SnmpUserConfig(name="bench")]),
                {"SMARTPDU_SNMP_BENCH_AUTH": AUTH, "SMARTPDU_SNMP_BENCH_PRIV": PRIV},
            )
            await agent.start(port, auth)
            modbus = ModbusInterface(ModbusConfig(enabled=True, port=_tcp_port()))
            await modbus.start(port, auth)
            try:
                for reps in (10, 50):
                    await rt.run_ticks(1)  # a fresh snapshot: the first walk builds everything
                    n0, t0 = await _walk(udp, "1.3.6.1", reps)
                    results[f"snmpbulkwalk_r{reps}_fresh_tick"] = {"oids_per_s": n0 / t0}
                    print(f"snmpbulkwalk -Cr{reps}, first walk of a tick: {n0 / t0:,.0f} OIDs/s")
                    n, t = await _walk(udp, "1.3.6.1", reps)  # same tick: varbinds reused
                    ref = await _snmpd_rate(reps)
                    row: dict[str, Any] = {"oids": n, "seconds": t, "oids_per_s": n / t}
                    if ref:
                        row["snmpd_oids_per_s"] = ref["oids_per_s"]
                        row["ratio_vs_snmpd"] = (n / t) / ref["oids_per_s"]
                    results[f"snmpbulkwalk_r{reps}"] = row
                    print(f"snmpbulkwalk -Cr{reps}: ours {n} OIDs in {t:.2f} s = {n / t:,.0f} OIDs/s"
                          + (f"; net-snmp snmpd {ref['oids_per_s']:,.0f} OIDs/s "
                             f"({ref['oids']} OIDs); ratio {row['ratio_vs_snmpd']:.1%}"
                             if ref else ""))  # fmt: skip
                results["modbus"] = await _modbus_rate(modbus)
            finally:
                await modbus.stop()
                await agent.stop()
                auth.close()
    return results


async def _modbus_rate(iface: ModbusInterface, seconds: float = 3.0) -> dict[str, float]:
    from pymodbus.client import AsyncModbusTcpClient

    assert iface.address is not None
    client = AsyncModbusTcpClient("127.0.0.1", port=iface.address[1], timeout=5)
    await client.connect()
    try:
        reads = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            r = await client.read_input_registers(16384 + 256 * (reads % 8), count=125, device_id=1)
            assert not r.isError()
            reads += 1
        elapsed = time.perf_counter() - start
    finally:
        client.close()
    rate = reads / elapsed
    print(f"modbus: {rate:,.0f} reads/s of 125 registers ({rate * 125:,.0f} registers/s)")
    return {"reads_per_s": rate, "registers_per_s": rate * 125}


def main() -> dict[str, Any]:
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(_run())
    return {}


if __name__ == "__main__":
    main()
