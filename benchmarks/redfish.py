"""Redfish GET Outlet throughput and p99 with live data under concurrent load (``make bench``).

Starts the service (runtime on the twin in wall-clock mode, native API with Redfish mounted, one
uvicorn server: the composition of ``smartpdu run``) in a subprocess on loopback, logs in through
the Redfish SessionService and hammers ``/redfish/v1/PowerEquipment/RackPDUs/pdu-a/Outlets/7``
with wrk (or the Python load generator).
For scale, the same run also measures the native API's outlet GET and the unauthenticated
Redfish service root; ratios come from the same run on the same machine. The issue's bar: a
static-file Redfish mockup server manages about 2,300 req/s on this kind of machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _load import load

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-1"
OUTLET = "/redfish/v1/PowerEquipment/RackPDUs/pdu-a/Outlets/7"
MOCKUP_STATIC_REQ_S = 2300.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(base: str, proc: subprocess.Popen[bytes], timeout_s: float = 90.0) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode}")
        try:
            if httpx.get(f"{base}/redfish/v1/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"service at {base} did not come up within {timeout_s} s")


def log_gc_pauses(path: Path, min_ms: float = 2.0) -> None:
    """Benchmark instrumentation of the server: append ``unix_time generation pause_ms`` to
    ``path`` for every full (oldest-generation) collection and every one of at least ``min_ms``,
    so that a latency tail can be told apart: the server paused, or the machine did."""
    out = path.open("a", buffering=1)
    started: list[float] = [0.0]

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        ms = (time.perf_counter() - started[0]) * 1e3
        if info["generation"] == 2 or ms >= min_ms:
            out.write(f"{time.time():.6f} {info['generation']} {ms:.3f}\n")

    gc.callbacks.append(callback)


def serve(port: int, data_dir: Path) -> None:
    """The server subprocess: ``smartpdu run``'s own composition (:func:`smartpdu.app.server.serve`:
    runtime on the twin at real time, native API + Redfish on uvicorn, session purge, event
    delivery, the start-up heap frozen once everything is up) on loopback, TCP_NODELAY."""
    from smartpdu.app.server import ServeOptions, serve
    from smartpdu.config import load_config

    cfg = load_config(ROOT / "configs" / "demo-rack.yaml")
    options = ServeOptions(config=cfg, data_dir=data_dir, port=port, admin_password=PASSWORD)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(options, lambda started: None))


def main(seconds: float = 5.0) -> dict:  # type: ignore[type-arg]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as d:
        cmd = [sys.executable, __file__, "--serve", str(port), "--data-dir", d]
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ)
        )
        try:
            _wait_up(base, proc)
            login = httpx.post(
                f"{base}/redfish/v1/SessionService/Sessions",
                json={"UserName": "admin", "Password": PASSWORD},
            )
            login.raise_for_status()
            token = login.headers["X-Auth-Token"]
            r1 = httpx.get(base + OUTLET, headers={"X-Auth-Token": token}).json()
            time.sleep(0.5)
            r2 = httpx.get(base + OUTLET, headers={"X-Auth-Token": token}).json()
            live = r1["PowerWatts"] != r2["PowerWatts"] or r1["Voltage"] != r2["Voltage"]
            outlet = load(base + OUTLET, {"X-Auth-Token": token}, seconds=seconds)
            root = load(f"{base}/redfish/v1/", {}, seconds=seconds)
            native = load(
                f"{base}/api/v1/pdus/pdu-a/outlets/7",
                {"Authorization": f"Bearer {token}"},
                seconds=seconds,
            )
        finally:
            proc.terminate()
            proc.wait(20)
    rps = float(outlet.get("req_per_s") or 0.0)
    result = {
        "redfish_get_outlet": outlet,
        "redfish_get_service_root": root,
        "native_get_outlet": native,
        "readings_changed_between_gets": live,
        "outlet_vs_service_root": rps / float(root.get("req_per_s") or 1.0),
        "outlet_vs_native_api": rps / float(native.get("req_per_s") or 1.0),
        "outlet_vs_static_mockup_bar": rps / MOCKUP_STATIC_REQ_S,
    }
    print(
        f"Redfish GET Outlet (live, X-Auth-Token): {rps:.0f} req/s, p99 {outlet.get('p99_ms')} ms "
        f"({outlet.get('tool')}); readings live: {live}\n"
        f"  service root (static bytes): {root.get('req_per_s', 0):.0f} req/s; "
        f"native API outlet: {native.get('req_per_s', 0):.0f} req/s\n"
        f"  ratios: outlet/root {result['outlet_vs_service_root']:.2f}, "
        f"outlet/native {result['outlet_vs_native_api']:.2f}, "
        f"outlet/2300 req/s mockup bar {result['outlet_vs_static_mockup_bar']:.2f}"
    )
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=int, help="run only the server on this port")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--gc-log", type=Path, help="server: log garbage-collection pauses here")
    args = parser.parse_args()
    if args.gc_log:
        log_gc_pauses(args.gc_log)
    if args.serve:
        serve(args.serve, args.data_dir)
    else:
        main()
