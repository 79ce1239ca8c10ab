"""Event → webhook latency at 100 events/s, and MQTT telemetry cost for a ×10 rack (``make bench``).

Webhooks: the demo runtime (sim clock, not ticking: events are appended by the benchmark at a
steady 100/s, the way protection and commands append them), the delivery core and one webhook
pointing at a loopback receiver that verifies nothing (its cost is not ours). Latency is from
the moment the event is sealed in the log to the moment the receiver has the request; p50 and
p99 over ``--events`` events. The issue's goal: p99 < 100 ms.

MQTT: one snapshot of ``scaled_rack(8, 60)`` (the ×10 rack: 480 outlets), windowed over 5
snapshots (1 s of 200 ms ticks) and published to the local Mosquitto with aiomqtt: messages per
1-s period, publish rate, and CPU seconds per message (process time, all threads).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _racks import scaled_rack

from smartpdu.app import build_demo_runtime
from smartpdu.app.factory import build_twin_runtime
from smartpdu.events.model import NewEvent
from smartpdu.integrations.core import DeliveryCore
from smartpdu.integrations.mqtt.topics import TelemetryWindow
from smartpdu.integrations.webhooks import WebhookService


class _Receiver:
    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._conn, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/hook"

    async def _conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                headers = dict(
                    (k.strip().lower(), v.strip())
                    for k, _, v in (ln.partition(":") for ln in head.split("\r\n")[1:] if ln)
                )
                await reader.readexactly(int(headers.get("content-length", "0")))
                self.at.setdefault(headers["webhook-id"], time.perf_counter())
                writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        writer.close()


async def _webhook_latency(events: int, rate: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        async with build_demo_runtime(Path(tmp), sim=True) as rt:
            core = DeliveryCore(rt, poll_s=1.0)
            svc = WebhookService(core, health_every_s=3600)
            rx = _Receiver()
            url = await rx.start()
            await svc.start()
            await core.start()
            rec, _ = await svc.create(url, "bench", pdu_ids=["pdu-b"])
            sealed: dict[str, float] = {}
            t_next = time.perf_counter()
            for _ in range(events):
                ev = rt.events.append(NewEvent(pdu_id="pdu-b", source="outlet/1",
                                               event_code="OUTLET_ON", message="bench",
                                               actor="user/bench"))  # fmt: skip
                msg_id = f"webhook-{rec.id}.pdu-b.{ev.sequence_id}-{ev.sequence_id}"
                sealed[msg_id] = time.perf_counter()
                t_next += 1.0 / rate
                await asyncio.sleep(max(0.0, t_next - time.perf_counter()))
            end = time.perf_counter() + 30
            while len(rx.at) < len(sealed) and time.perf_counter() < end:
                await asyncio.sleep(0.05)
            await svc.aclose()
            await core.aclose()
            assert rx.server is not None
            rx.server.close()
    lat = sorted((rx.at[k] - t0) * 1000 for k, t0 in sealed.items() if k in rx.at)
    if len(lat) < len(sealed):
        raise RuntimeError(f"only {len(lat)} of {len(sealed)} events arrived")
    p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
    return {"events": len(lat), "rate_per_s": rate, "p50_ms": round(statistics.median(lat), 2),
            "p99_ms": round(p99, 2), "max_ms": round(lat[-1], 2)}  # fmt: skip


async def _mqtt_cost(host: str, port: int) -> dict[str, float]:
    import aiomqtt

    with tempfile.TemporaryDirectory() as tmp:
        rt = build_twin_runtime(scaled_rack(8, 60), Path(tmp), sim=True)
        async with rt:
            await rt.run_ticks(5)
            snaps = []
            for _ in range(5):
                await rt.run_ticks(1)
                snaps.append(rt.snapshot)
    window = TelemetryWindow()
    async with aiomqtt.Client(host, port) as client:
        cpu0, t0 = time.process_time(), time.perf_counter()
        periods, messages = 3, 0
        for _ in range(periods):  # three 1-s periods' worth, back to back
            for s in snaps:
                window.add(s)
            for topic, payload in window.flush("bench"):
                await client.publish(topic, str(payload), qos=0)
                messages += 1
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    per_period = messages / periods
    return {"messages_per_1s_period": per_period, "publish_rate_per_s": round(messages / wall),
            "cpu_us_per_message": round(cpu / messages * 1e6, 1),
            "cpu_share_at_1s_cadence": round(cpu / periods, 3)}  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--mqtt-host", default="127.0.0.1")
    ap.add_argument("--mqtt-port", type=int, default=1883)
    args = ap.parse_args(argv or [])
    out: dict[str, object] = {"webhook": asyncio.run(_webhook_latency(args.events, args.rate))}
    w = out["webhook"]
    print(
        f"event -> webhook at {args.rate:g}/s: p50 {w['p50_ms']} ms, p99 {w['p99_ms']} ms "  # type: ignore[index]
        f"(goal p99 < 100 ms), max {w['max_ms']} ms over {w['events']} events"
    )  # type: ignore[index]
    try:
        m = asyncio.run(_mqtt_cost(args.mqtt_host, args.mqtt_port))
    except Exception as exc:  # no broker: report, keep the webhook figures
        print(f"mqtt: skipped ({exc!r})")
    else:
        out["mqtt"] = m
        print(
            f"mqtt x10 rack (8 PDUs x 60 outlets) at 1 s cadence: "
            f"{m['messages_per_1s_period']:.0f} messages/period, {m['publish_rate_per_s']} msg/s, "
            f"{m['cpu_us_per_message']} us CPU/message, {m['cpu_share_at_1s_cadence']} CPU-s per 1-s period"
        )
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
