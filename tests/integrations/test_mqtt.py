"""MQTT against real Mosquitto: telemetry, retained states, events, LWT/availability and Home
Assistant discovery as `mosquitto_sub` sees them; a broker restart loses no event."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiomqtt
import pytest
from api_env import Env, running

from smartpdu.config.delivery import MqttConfig
from smartpdu.events.model import NewEvent
from smartpdu.integrations.core import DeliveryCore
from smartpdu.integrations.mqtt import MqttChannel
from smartpdu.model.metrics import CATALOGUE, Kind, Level
from smartpdu.runtime.port import RackPort

pytestmark = pytest.mark.skipif(shutil.which("mosquitto_sub") is None,
                                reason="mosquitto-clients missing: run `make services`")  # fmt: skip

# Home Assistant sensor device classes and the units it accepts for them (subset we use)
HA_UNITS = {
    "voltage": {"V", "mV"}, "current": {"A", "mA"}, "power": {"W", "kW"},
    "apparent_power": {"VA"}, "reactive_power": {"var"}, "power_factor": {None, "%"},
    "frequency": {"Hz"}, "energy": {"Wh", "kWh"}, "temperature": {"°C", "°F"},
    "humidity": {"%"}, "volatile_organic_compounds_parts": {"ppb", "ppm"},
}  # fmt: skip
REQUIRED = {"name", "unique_id", "state_topic", "availability_topic", "payload_available",
            "payload_not_available", "device", "state_class", "value_template"}  # fmt: skip


@contextlib.asynccontextmanager
async def channel(
    env: Env, settings: MqttConfig
) -> AsyncIterator[tuple[DeliveryCore, MqttChannel]]:
    core = DeliveryCore(env.runtime, poll_s=0.2)
    ch = MqttChannel(core, RackPort(env.runtime), settings=settings)
    await ch.start()
    await core.start()
    try:
        yield core, ch
    finally:
        await ch.aclose()
        await core.aclose()


async def sub(port: int, seconds: int, out: Path, *topics: str) -> asyncio.subprocess.Process:
    """mosquitto_sub for ``seconds`` into ``out`` (-W: it exits by itself and flushes)."""
    args = ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-q", "1", "-F", "%r %t %p",
            "-W", str(seconds)]  # fmt: skip
    for t in topics:
        args += [t] if t.startswith("--") else ["-t", t]
    with out.open("wb") as f:
        return await asyncio.create_subprocess_exec(*args, stdout=f)


async def collected(proc: asyncio.subprocess.Process, out: Path) -> list[tuple[bool, str, str]]:
    await asyncio.wait_for(proc.wait(), 30)
    rows = []
    for line in out.read_text().splitlines():
        retained, topic, payload = line.split(" ", 2)
        rows.append((retained == "1", topic, payload))
    return rows


async def test_mosquitto_sub_sees_telemetry_states_events_and_discovery(tmp_path: Path) -> None:
    pfx, ha = f"t{uuid.uuid4().hex[:8]}", f"ha{uuid.uuid4().hex[:8]}"
    settings = MqttConfig(enabled=True, topic_prefix=pfx, discovery_prefix=ha, cadence_s=0.5)
    async with running(tmp_path) as env, channel(env, settings) as (_, ch):
        await asyncio.wait_for(ch.connected.wait(), 20)
        out = tmp_path / "sub.txt"
        proc = await sub(1883, 4, out, f"{pfx}/#", f"{ha}/#")
        await asyncio.sleep(1.0)  # subscribed
        env.runtime.events.append(NewEvent(pdu_id="pdu-a", source="outlet/4",
                                           event_code="OUTLET_OFF", message="test off",
                                           actor="user/test"))  # fmt: skip
        rows = await collected(proc, out)
        proc = await sub(
            1883, 2, out, "--retained-only", f"{pfx}/+/outlet/+/state", f"{pfx}/status"
        )
        retained = {t: p for r, t, p in await collected(proc, out) if r}
    topics = {t: (r, p) for r, t, p in rows}
    assert topics[f"{pfx}/status"] == (True, "online")
    r, p = topics[f"{pfx}/pdu-a/outlet/1/power_w"]
    tel = json.loads(p)
    assert not r and tel["unit"] == "W" and tel["n"] >= 1
    assert tel["min"] <= tel["avg"] <= tel["max"]
    assert f"{pfx}/pdu-a/phase/L1/voltage_v" in topics and f"{pfx}/pdu-a/inlet/energy_wh" in topics
    assert f"{pfx}/pdu-a/outlet/1/state" in topics
    assert retained[f"{pfx}/pdu-a/outlet/1/state"] in ("on", "off")
    assert retained[f"{pfx}/status"] == "online"
    events = [json.loads(p) for _, t, p in rows if t == f"{pfx}/pdu-a/events"]
    assert any(e["event_code"] == "OUTLET_OFF" and e["source"] == "outlet/4" for e in events)
    assert all("sequence_id" in e and "timestamp_utc" in e for e in events)
    configs = {t: json.loads(p) for r, t, p in rows if t.startswith(f"{ha}/")}
    assert all(r for r, t, _ in rows if t.startswith(f"{ha}/")), "discovery is retained"
    _check_discovery(configs, pfx, {t for t in topics if not t.startswith(f"{ha}/")}, env)


def _check_discovery(configs: dict[str, dict], pfx: str, state_topics: set[str], env: Env) -> None:
    assert configs
    ids = [c["unique_id"] for c in configs.values()]
    assert len(ids) == len(set(ids))
    for topic, c in configs.items():
        assert topic.endswith("/config") and topic.split("/")[1] == "sensor"
        assert set(c) >= REQUIRED, (topic, REQUIRED - set(c))
        assert c["availability_topic"] == f"{pfx}/status"
        assert c["state_topic"] in state_topics, c["state_topic"]
        assert c["state_class"] in ("measurement", "total_increasing")
        cls = c.get("device_class")
        if cls is not None:
            assert c.get("unit_of_measurement") in HA_UNITS[cls], (topic, c)
        if cls == "energy":
            assert c["state_class"] == "total_increasing"
        assert c["device"]["identifiers"] and c["device"]["name"]
    # generated from the catalogue: every (level, metric) with an HA class, at every entity
    snap = env.runtime.snapshot
    pdu = snap.pdus["pdu-a"]
    for m in CATALOGUE:
        if m.ha_device_class is None:
            continue
        for level in m.levels:
            entity = {Level.INLET: "inlet", Level.PHASE: "phase/L1",
                      Level.BRANCH: f"branch/{next(iter(pdu.branches))}",
                      Level.OUTLET: "outlet/1"}.get(level)  # fmt: skip
            if entity is None:
                continue
            want = f"{pfx}/pdu-a/{entity}/{m.key}"
            assert any(c["state_topic"] == want for c in configs.values()), want
            found = next(c for c in configs.values() if c["state_topic"] == want)
            assert found["device_class"] == m.ha_device_class
            assert found["state_class"] == ("total_increasing" if m.kind is Kind.COUNTER
                                            else "measurement")  # fmt: skip
    pdus = {c["device"]["name"] for c in configs.values() if "via_device" not in c["device"]}
    racked = {c["device"]["name"] for c in configs.values() if "via_device" in c["device"]}
    assert {"pdu-a", "pdu-b"} <= pdus
    assert racked == {d.name for d in env.runtime.config.devices}, "one HA device per rack device"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    """A private Mosquitto with persistence, restartable on the same port."""

    def __init__(self, tmp: Path) -> None:
        self.port = _free_port()
        self.conf = tmp / "mosquitto.conf"
        (tmp / "db").mkdir()
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {tmp / 'db'}/\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        for _ in range(100):
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return
            await asyncio.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()  # saves the persistence db
            self.proc.wait(10)
            self.proc = None


@pytest.mark.skipif(shutil.which("mosquitto") is None, reason="mosquitto missing")
async def test_broker_restart_loses_no_event(tmp_path: Path) -> None:
    broker = Broker(tmp_path)
    await broker.start()
    got: list[dict] = []

    async def subscriber() -> None:  # persistent session, QoS 1: the broker queues for us
        while True:
            try:
                async with aiomqtt.Client("127.0.0.1", broker.port, identifier="t-sub",
                                          clean_session=False) as c:  # fmt: skip
                    await c.subscribe("r/+/events", qos=1)
                    async for msg in c.messages:
                        got.append(json.loads(bytes(msg.payload)))  # type: ignore[arg-type]
            except aiomqtt.MqttError:
                await asyncio.sleep(0.2)

    task = asyncio.create_task(subscriber())
    settings = MqttConfig(enabled=True, port=broker.port, topic_prefix="r", discovery=False,
                          cadence_s=1.0)  # fmt: skip
    try:
        async with running(tmp_path / "rt") as env, channel(env, settings) as (core, ch):
            await asyncio.wait_for(ch.connected.wait(), 20)
            await asyncio.sleep(0.5)

            def emit(n: int) -> None:
                for i in range(n):
                    env.runtime.events.append(NewEvent(pdu_id="pdu-b", source=f"outlet/{i + 1}",
                                                       event_code="OUTLET_ON", message="on",
                                                       actor="user/t"))  # fmt: skip

            emit(5)
            for _ in range(200):
                if len({e["sequence_id"] for e in got if e["pdu_id"] == "pdu-b"}) >= 5:
                    break
                await asyncio.sleep(0.05)
            broker.stop()  # mid-run
            emit(10)
            await asyncio.sleep(1.0)
            assert await core.outbox.backlog("mqtt") >= 10, "queued in the outbox meanwhile"
            await broker.start()
            for _ in range(400):
                if (
                    await core.outbox.backlog("mqtt") == 0
                    and len({e["sequence_id"] for e in got if e["pdu_id"] == "pdu-b"}) >= 15
                ):
                    break
                await asyncio.sleep(0.05)
            pdu_b = [e for e in got if e["pdu_id"] == "pdu-b" and e["event_code"] == "OUTLET_ON"]
            seqs = [e["sequence_id"] for e in pdu_b]
            unique = list(dict.fromkeys(seqs))
            assert len(unique) == 15 and unique == sorted(unique), seqs
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        broker.stop()
