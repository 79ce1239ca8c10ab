"""MQTT: telemetry, retained outlet states, events from the outbox, LWT and HA discovery.

One connection per process (aiomqtt) with a last will ``<prefix>/status = offline`` (retained);
``online`` is published on every (re)connect, followed by the retained Home Assistant discovery
configs. Telemetry is windowed (min/avg/max over ``cadence_s``) and published QoS 0 — a lost
sample is superseded by the next. Events are the outbox destination ``mqtt``: each is published
QoS 1 and the cursor moves only after the broker's PUBACK, so a broker outage loses none (they
wait in the store and go out in order after the reconnect).

Built by the composition root (the outbox reads the runtime); telemetry reads snapshots through
the port only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
from collections.abc import Sequence
from typing import Any, Final

import aiomqtt

from smartpdu.config.delivery import MqttConfig
from smartpdu.events.model import Event
from smartpdu.events.outbox import DeliveryResult, Destination
from smartpdu.integrations.core import DeliveryCore
from smartpdu.integrations.mqtt.discovery import discovery_configs
from smartpdu.integrations.mqtt.topics import TelemetryWindow, state_topic
from smartpdu.runtime.port import RackPort

__all__ = ["DEST_ID", "MqttChannel"]

log = logging.getLogger(__name__)
DEST_ID: Final = "mqtt"
_RECONNECT_S: Final = (0.5, 1.0, 2.0, 5.0, 10.0)


def _json(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


class _EventSender:
    def __init__(self, channel: MqttChannel) -> None:
        self._ch = channel

    async def send(self, batch: Sequence[Event], delivery_id: str) -> DeliveryResult:
        client = self._ch.client
        if client is None:
            return DeliveryResult(False, "not connected to the MQTT broker")
        prefix = self._ch.settings.topic_prefix
        try:
            for e in batch:  # QoS 1: returns once the broker acknowledged (PUBACK)
                body = {**e.to_dict(), "delivery_id": delivery_id}
                await client.publish(f"{prefix}/{e.pdu_id}/events", _json(body), qos=1,
                                     timeout=10)  # fmt: skip
        except (aiomqtt.MqttError, TimeoutError) as exc:
            return DeliveryResult(False, f"{type(exc).__name__}: {exc}"[:200])
        return DeliveryResult(True, f"{len(batch)} published (QoS 1)")


class MqttChannel:
    """``await ch.start()`` / ``await ch.aclose()``; does nothing unless ``mqtt.enabled``."""

    def __init__(
        self, core: DeliveryCore, port: RackPort, *, settings: MqttConfig | None = None
    ) -> None:
        self._core = core
        self._port = port
        self.settings = settings or core.port.config.delivery.mqtt
        self.client: aiomqtt.Client | None = None
        self.connected = asyncio.Event()
        self.published = 0
        """Telemetry and state messages handed to the client (for benchmarks)."""
        self._task: asyncio.Task[None] | None = None
        self._states: dict[tuple[str, str], str] = {}
        self._closing = False

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    async def start(self) -> None:
        if not self.enabled:
            return
        if not await self._core.has_cursors(DEST_ID):
            await self._core.outbox.seed_at_head(DEST_ID)
        self._core.outbox.add(Destination(DEST_ID, _EventSender(self), batch_size=20))
        self._task = asyncio.create_task(self._run(), name="mqtt")

    async def aclose(self) -> None:
        if self._task is None:
            return
        client = self.client
        if client is not None:  # a clean goodbye: the LWT is for crashes
            with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
                await client.publish(self._status, "offline", qos=1, retain=True, timeout=2)
        await self._core.outbox.remove(DEST_ID, forget=False)
        self._closing = True  # aiomqtt may turn the cancellation into an MqttError
        for _ in range(5):  # aiomqtt's exit waits for a DISCONNECT without a timeout: re-cancel
            self._task.cancel()
            done, _ = await asyncio.wait({self._task}, timeout=2)
            if done:
                break
        with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
            if self._task.done():
                self._task.result()
        self._task = None

    @property
    def _status(self) -> str:
        return f"{self.settings.topic_prefix}/status"

    def _client(self) -> aiomqtt.Client:
        s = self.settings
        tls = ssl.create_default_context(cafile=s.ca_file) if s.tls else None
        return aiomqtt.Client(
            s.host, s.port, username=s.username, password=s.password, tls_context=tls,
            will=aiomqtt.Will(self._status, "offline", qos=1, retain=True), keepalive=10,
        )  # fmt: skip

    async def _run(self) -> None:
        attempt = 0
        while not self._closing:
            try:
                async with self._client() as client:
                    attempt = 0
                    await client.publish(self._status, "online", qos=1, retain=True)
                    await self._publish_discovery(client)
                    self._states.clear()
                    self.client = client
                    self.connected.set()
                    self._core.outbox.wake(DEST_ID)
                    await self._telemetry(client)
            except aiomqtt.MqttError as exc:
                if self._closing:
                    return
                log.warning("MQTT broker %s:%s: %s", self.settings.host, self.settings.port, exc)
            finally:
                self.client = None
                self.connected.clear()
            await asyncio.sleep(_RECONNECT_S[min(attempt, len(_RECONNECT_S) - 1)])
            attempt += 1

    def _devices(self) -> dict[tuple[str, str], str]:
        return {(p.pdu, p.outlet): d.name for d in self._port.config.devices for p in d.psus}

    async def _publish_discovery(self, client: aiomqtt.Client) -> None:
        s = self.settings
        if not s.discovery:
            return
        snap = await self._first_snapshot()
        for topic, cfg in discovery_configs(
            snap, self._devices(), prefix=s.topic_prefix, discovery_prefix=s.discovery_prefix,
            rack_name=self._port.config.rack.name,
        ):  # fmt: skip
            await client.publish(topic, _json(cfg), qos=1, retain=True)

    async def _first_snapshot(self) -> Any:
        while True:
            if self._port.ready:
                return self._port.snapshot
            await asyncio.sleep(0.1)

    async def _telemetry(self, client: aiomqtt.Client) -> None:
        s = self.settings
        window = TelemetryWindow(self._devices())
        loop = asyncio.get_running_loop()
        due = loop.time() + s.cadence_s
        async for snap in self._port.snapshots():
            window.add(snap)
            await self._states_changed(client, snap)
            if loop.time() < due:
                continue
            due += s.cadence_s
            if due < loop.time():  # fell behind (slow broker): skip, never pile up
                due = loop.time() + s.cadence_s
            for topic, payload in window.flush(s.topic_prefix):
                await client.publish(topic, _json(payload), qos=0)
                self.published += 1

    async def _states_changed(self, client: aiomqtt.Client, snap: Any) -> None:
        for pdu in snap.pdus.values():
            for oid, outlet in pdu.outlets.items():
                state = "on" if outlet.relay_closed else "off"
                if self._states.get((pdu.id, oid)) != state:
                    self._states[(pdu.id, oid)] = state
                    topic = state_topic(self.settings.topic_prefix, pdu.id, oid)
                    await client.publish(topic, state, qos=1, retain=True)
                    self.published += 1
