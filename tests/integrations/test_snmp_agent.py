"""The SNMP agent against net-snmp's own tools: v3 authPriv walks that match REST, SETs that
switch and rename outlets (role-checked, audited), refusals that answer nothing, garbage that
crashes nothing."""

from __future__ import annotations

import asyncio
import os
import random
import socket
from pathlib import Path
from typing import Any

import pytest
from snmp_env import COMMUNITY, free_udp_port, parse_walk, snmp_running, tool

from smartpdu.config.integrations import SnmpTrapReceiver
from smartpdu.integrations.snmp.agent import engine_id_for
from smartpdu.integrations.snmp.tree import TABLES, column, table
from smartpdu.model.metrics import CATALOGUE, Level
from smartpdu.runtime.port import RackPort

pytestmark = pytest.mark.usefixtures("_task_leak_check")

PEN = "1.3.6.1.4.1.32473"
OUTLET = table("outlet")


def _col(tbl: str, name: str) -> str:
    t = table(tbl)
    return f"{PEN}.1.{t.sub}.1.{column(t, name).sub}"


async def test_bulkwalk_of_the_outlet_table_matches_rest(tmp_path: Path) -> None:
    async with snmp_running(tmp_path) as env:
        await env.pause()
        rc, out, err = await env.run(
            "snmpbulkwalk", *env.v3("ops"), "-On", "-Oq", "-Cr25", env.target, f"{PEN}.1.6"
        )
        assert rc == 0, err
        walked = parse_walk(out)
        pdus = env.runtime.config.pdus
        checked = 0
        for p, pdu in enumerate(pdus, start=1):
            outlets = await env.rest(f"/pdus/{pdu.id}/outlets")
            assert isinstance(outlets, list)
            for o, rest in enumerate(outlets, start=1):
                idx = f"{p}.{o}"
                assert walked[f"{_col('outlet', 'outletId')}.{idx}"] == rest["id"]
                assert walked[f"{_col('outlet', 'outletName')}.{idx}"] == rest["name"]
                state = int(walked[f"{_col('outlet', 'outletState')}.{idx}"])
                assert ("on", "off")[state - 1] == rest["state"]
                for m in CATALOGUE:
                    if Level.OUTLET not in m.levels or m.rest is None:
                        continue
                    value = rest.get(m.rest, rest.get("reading", {}).get(m.rest))
                    key = f"{_col('outlet', 'outlet' + ''.join(x.title() for x in m.key.split('_')))}.{idx}"
                    if value is None:
                        assert key not in walked, (m.key, walked.get(key))
                        continue
                    served = int(walked[key]) / 10**m.precision
                    assert served == pytest.approx(value, abs=10**-m.precision / 2 + 1e-9), m.key
                    checked += 1
        assert checked > 100


async def test_sha512_aes256_user_reads_and_the_system_group_is_served(tmp_path: Path) -> None:
    async with snmp_running(tmp_path) as env:
        rc, out, err = await env.run(
            "snmpget", *env.v3("big"), "-On", "-Oq", env.target,
            "1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.2.0", f"{PEN}.1.1.1.0",
        )  # fmt: skip
        assert rc == 0, err
        got = parse_walk(out)
        assert got["1.3.6.1.2.1.1.5.0"] == env.runtime.config.rack.name
        assert got["1.3.6.1.2.1.1.2.0"] == f".{PEN}"
        assert got[f"{PEN}.1.1.1.0"] == env.runtime.config.rack.name


async def test_snmpset_switches_an_outlet_audited(tmp_path: Path) -> None:
    async with snmp_running(tmp_path) as env:
        pdu = env.runtime.config.pdus[0]
        outlet = pdu.outlets[0]
        before = env.runtime.snapshot.pdus[pdu.id].outlets[outlet.id]
        assert before.state.value == "on"
        oid = f"{_col('outlet', 'outletControl')}.1.1"
        rc, _, err = await env.run("snmpset", *env.v3("ops"), env.target, oid, "i", "2")
        assert rc == 0, err
        await asyncio.sleep(0.3)
        rest = await env.rest(f"/pdus/{pdu.id}/outlets/{outlet.id}")
        assert isinstance(rest, dict) and rest["state"] == "off"
        events = env.runtime.store.events_since(pdu.id, 0, 10000)
        off = [e for e in events if e.event_code == "OUTLET_OFF" and e.actor == "snmp/ops"]
        assert off and off[-1].source == f"outlet/{outlet.id}"
        # idempotent: the same request again changes nothing and succeeds
        rc, _, err = await env.run("snmpset", *env.v3("ops"), env.target, oid, "i", "2")
        assert rc == 0, err


async def test_a_viewer_set_is_refused_and_audited(tmp_path: Path) -> None:
    async with snmp_running(tmp_path) as env:
        pdu = env.runtime.config.pdus[0]
        oid = f"{_col('outlet', 'outletControl')}.1.1"
        rc, out, err = await env.run("snmpset", *env.v3("viewer"), env.target, oid, "i", "2")
        assert rc != 0 and "noAccess" in (out + err), out + err
        assert env.runtime.snapshot.pdus[pdu.id].outlets[pdu.outlets[0].id].state.value == "on"
        denied = [e for e in env.runtime.store.events_since(pdu.id, 0, 10000)
                  if e.event_code == "ACCESS_DENIED" and e.evidence.get("interface") == "snmp"]  # fmt: skip
        assert denied and denied[-1].actor == "user/viewer"
        # wrong values are refused before anything runs
        rc, out, err = await env.run("snmpset", *env.v3("ops"), env.target, oid, "i", "7")
        assert rc != 0 and "wrongValue" in (out + err), out + err
        rc, out, err = await env.run(
            "snmpset", *env.v3("ops"), env.target, f"{_col('outlet', 'outletPowerW')}.1.1", "i", "1"
        )
        assert rc != 0 and "notWritable" in (out + err), out + err


async def test_an_admin_renames_an_outlet_as_a_config_change(tmp_path: Path) -> None:
    async with snmp_running(tmp_path) as env:
        pdu = env.runtime.config.pdus[0]
        oid = f"{_col('outlet', 'outletName')}.1.2"
        port = RackPort(env.runtime)
        versions = len(await port.config_versions())
        rc, _, err = await env.run("snmpset", *env.v3("admin"), env.target, oid, "s", "db-primary")
        assert rc == 0, err
        assert len(await port.config_versions()) == versions + 1
        await asyncio.sleep(0.1)  # the next tick's snapshot carries the new name
        rest = await env.rest(f"/pdus/{pdu.id}/outlets/{pdu.outlets[1].id}")
        assert isinstance(rest, dict) and rest["name"] == "db-primary"
        changed = [e for e in env.runtime.store.events_since(pdu.id, 0, 10000)
                   if e.event_code == "CONFIG_CHANGED" and e.actor == "snmp/admin"]  # fmt: skip
        assert changed
        # the same name again is idempotent: no new version
        rc, _, err = await env.run("snmpset", *env.v3("admin"), env.target, oid, "s", "db-primary")
        assert rc == 0, err
        assert len(await port.config_versions()) == versions + 1
        # an operator may switch but not rename
        rc, out, err = await env.run("snmpset", *env.v3("ops"), env.target, oid, "s", "x")
        assert rc != 0 and "noAccess" in (out + err)


async def test_v2c_is_off_by_default_and_wrong_keys_get_no_answer(tmp_path: Path) -> None:
    async with snmp_running(tmp_path) as env:
        rc, out, err = await env.run(
            "snmpget", "-v2c", "-c", "s3cret-community", "-t", "0.5", "-r", "0", env.target,
            "1.3.6.1.2.1.1.5.0",
        )  # fmt: skip
        assert rc != 0 and "Timeout" in err, (out, err)
        before = env.agent.usm_stats()["usmStatsWrongDigests"]
        rc, out, err = await env.run(
            "snmpget",
            *env.v3("ops", auth_key="not-the-key", retries=0),
            env.target,
            "1.3.6.1.2.1.1.5.0",
        )
        assert (
            rc != 0 and "1.3.6.1.2.1.1.5.0" not in out and env.runtime.config.rack.name not in out
        )
        assert env.agent.usm_stats()["usmStatsWrongDigests"] == before + 1
        # a known user without privacy is refused (authPriv only)
        rc, out, err = await env.run(
            "snmpget", "-v3", "-l", "authNoPriv", "-u", "ops", "-a", "SHA-256", "-A",
            "ops-auth-key-1", "-t", "1", "-r", "0", env.target, "1.3.6.1.2.1.1.5.0",
        )  # fmt: skip
        assert env.runtime.config.rack.name not in out, out


async def test_v2c_when_enabled_is_read_only(tmp_path: Path) -> None:
    async with snmp_running(tmp_path, v2c=True) as env:
        base = ["-v2c", "-c", "s3cret-community", "-t", "3", "-r", "2"]
        rc, out, err = await env.run(
            "snmpget", *base, "-On", "-Oq", env.target, "1.3.6.1.2.1.1.5.0"
        )
        assert rc == 0 and env.runtime.config.rack.name in out, err
        oid = f"{_col('outlet', 'outletControl')}.1.1"
        rc, out, err = await env.run("snmpset", *base, env.target, oid, "i", "2")
        assert rc != 0, out
        assert env.runtime.snapshot.pdus[env.runtime.config.pdus[0].id].outlets[
            env.runtime.config.pdus[0].outlets[0].id].state.value == "on"  # fmt: skip
        rc, out, err = await env.run("snmpget", "-v2c", "-c", "public", "-t", "0.5", "-r", "0",
                                     env.target, "1.3.6.1.2.1.1.5.0")  # fmt: skip
        assert rc != 0 and "Timeout" in err


def _v2c_get(community: str, oid: tuple[int, ...]) -> bytes:
    """A well-formed SNMPv2c GetRequest, BER-encoded (pysnmp's message API)."""
    from pyasn1.codec.ber import encoder
    from pysnmp.proto.api import v2c

    pdu = v2c.GetRequestPDU()
    v2c.apiPDU.set_defaults(pdu)
    v2c.apiPDU.set_varbinds(pdu, [(oid, v2c.null)])
    msg = v2c.Message()
    v2c.apiMessage.set_defaults(msg)
    v2c.apiMessage.set_community(msg, community)
    v2c.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


async def test_garbage_and_truncated_ber_never_crash_the_agent(tmp_path: Path) -> None:
    async with snmp_running(tmp_path, v2c=True) as env:
        assert env.agent.address is not None
        addr = ("127.0.0.1", env.agent.address[1])
        rng = random.Random(17)
        valid = _v2c_get(COMMUNITY, (1, 3, 6, 1, 2, 1, 1, 5, 0))
        loop = asyncio.get_running_loop()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.setblocking(False)
            s.connect(addr)
            # the whole message is answered (so its truncations below are near misses) ...
            await loop.sock_sendall(s, valid)
            answer = await asyncio.wait_for(loop.sock_recv(s, 65535), 10)
            assert env.runtime.config.rack.name.encode() in answer
            # ... then every truncation of it, flipped bytes, random bytes, absurd lengths
            payloads = [valid[:n] for n in range(len(valid))]
            for _ in range(100):
                b = bytearray(valid)
                b[rng.randrange(len(b))] = rng.getrandbits(8)
                payloads.append(bytes(b))
            payloads += [rng.randbytes(rng.randint(1, 300)) for _ in range(200)]
            payloads += [b"\x30\x84\xff\xff\xff\xff", b"\x30\x82\xff\xff" + b"\x00" * 10, b""]
            for p in payloads:
                await loop.sock_sendall(s, p)
        await asyncio.sleep(0.5)
        rc, out, err = await env.run("snmpget", *env.v3("ops", retries=3), "-On", "-Oq", env.target,
                                     "1.3.6.1.2.1.1.5.0")  # fmt: skip
        assert rc == 0 and env.runtime.config.rack.name in out, err


async def test_every_table_is_walkable(tmp_path: Path) -> None:
    async with snmp_running(tmp_path) as env:
        rc, out, err = await env.run("snmpbulkwalk", *env.v3("ops"), "-On", "-Oq", env.target, PEN)
        assert rc == 0, err
        walked = parse_walk(out)
        oids = list(walked)
        assert all(
            f"{PEN}.1.{t.sub}.1." in " ".join(oids) for t in TABLES if t.name not in ("alarm",)
        )
        assert walked[f"{PEN}.1.1.5.0"] == str(len(env.runtime.config.pdus))


@pytest.mark.parametrize("inform", [False, True], ids=["trap", "inform"])
async def test_snmptrapd_receives_a_feed_loss_notification(tmp_path: Path, inform: bool) -> None:
    trap_port = free_udp_port()
    receivers = [SnmpTrapReceiver(host="127.0.0.1", port=trap_port, user="ops", inform=inform)]
    async with snmp_running(tmp_path / "rack", receivers=receivers) as env:
        engine_id = engine_id_for(env.runtime.config.rack.name, 32473).hex()
        conf = tmp_path / "snmptrapd.conf"
        # traps: we are the authoritative engine; informs: the receiver is
        engine = "" if inform else f"-e 0x{engine_id} "
        conf.write_text(
            f"createUser {engine}ops SHA-256 ops-auth-key-1 AES ops-priv-key-1\nauthUser log ops\n"
        )
        proc = await asyncio.create_subprocess_exec(
            tool("snmptrapd"), "-f", "-Lo", "-C", "-c", str(conf), "-M", "", "-m", "", "-On",
            f"udp:127.0.0.1:{trap_port}",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "SNMP_PERSISTENT_DIR": str(tmp_path / "trapd")},
        )  # fmt: skip
        assert proc.stdout is not None
        try:
            await asyncio.wait_for(_read_until(proc.stdout, "NET-SNMP version"), 20)
            env.runtime.hardware.feed_loss("A")  # type: ignore[attr-defined]
            text = await asyncio.wait_for(_read_until(proc.stdout, "FEED_LOST"), 30)
        finally:
            proc.terminate()
            await proc.wait()
        assert f".1.3.6.1.4.1.32473.0.{_note('feedLost')}" in text, text
        for _ in range(100):  # an inform counts once acknowledged
            if env.agent.traps_sent >= 1:
                break
            await asyncio.sleep(0.05)
        assert env.agent.traps_sent >= 1


def _note(name: str) -> int:
    from smartpdu.integrations.snmp.notifications import NOTIFICATIONS

    return next(n.sub for n in NOTIFICATIONS if n.name == name)


async def _read_until(stream: asyncio.StreamReader, needle: str) -> str:
    seen = ""
    while needle not in seen:
        line = await stream.readline()
        if not line:
            raise AssertionError(f"stream ended before {needle!r}: {seen}")
        seen += line.decode(errors="replace")
    return seen


async def test_a_walk_never_mixes_two_ticks(tmp_path: Path) -> None:
    """One varbind per request (-Cr1: ~1,800 requests) while the rack ticks every ~20 ms: every
    value of the walk is the one of the index of its first tick."""
    async with snmp_running(tmp_path) as env:
        built: dict[int, Any] = {}
        latest = env.agent.index

        def spy() -> Any:
            index = latest()
            built.setdefault(index.tick, index)
            return index

        env.agent.instrum._latest = spy  # record every index a request could read
        rc, out, err = await env.run(
            "snmpbulkwalk", *env.v3("ops"), "-On", "-Oq", "-Cr1", env.target, PEN, timeout=300
        )
        assert rc == 0, err
        walked = parse_walk(out)
        tick = int(walked[f"{PEN}.1.1.2.0"])
        ticks_during_walk = env.runtime.snapshot.tick - tick
        assert ticks_during_walk > 3, "the rack did not tick during the walk: it proves nothing"
        index = built[tick]
        served = {
            ".".join(map(str, oid)): value
            for oid, value in zip(index.oids, index.values, strict=True)
        }
        energy = [oid for oid in walked if oid.startswith(_col("outlet", "outletEnergyWh") + ".")]
        assert energy
        for oid, text in walked.items():
            kind, value = served[oid]
            if kind in ("i", "c64", "c32"):
                assert int(text) == value, oid
