"""A small HTTP load generator: several client processes hammer one URL for a fixed time.

Used when Debian's ``wrk`` is not installed. Each process runs a keep-alive httpx client in a loop;
latencies are merged to report requests/s and percentiles. Loopback only; bounded in time.
"""

from __future__ import annotations

import multiprocessing as mp
import shutil
import subprocess
import time

import httpx
import numpy as np


def _worker(url: str, headers: dict[str, str], seconds: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    lat: list[float] = []
    errors = 0
    with httpx.Client(headers=headers, timeout=10) as client:
        end = time.perf_counter() + seconds
        while True:
            t0 = time.perf_counter()
            if t0 >= end:
                break
            try:
                r = client.get(url)
                if r.status_code != 200:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            lat.append(time.perf_counter() - t0)
    out.put((lat, errors))


def load(
    url: str,
    headers: dict[str, str],
    *,
    seconds: float = 5.0,
    clients: int = 4,
    connections: int | None = None,
) -> dict:  # type: ignore[type-arg]
    """Return req/s, p50/p99 latency (ms) and error count for GETs of ``url``.

    ``connections`` is wrk's open connections (default ``clients * 4``); the Python fallback
    always runs ``clients`` processes with one connection each."""
    if shutil.which("wrk"):
        return _wrk(url, headers, seconds, clients, connections or clients * 4)
    q: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    procs = [mp.Process(target=_worker, args=(url, headers, seconds, q)) for _ in range(clients)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    results = [q.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - t0
    lat = np.array([x for r in results for x in r[0]])
    return {
        "tool": f"python httpx x{clients} processes",
        "requests": int(lat.size),
        "req_per_s": float(lat.size / min(elapsed, seconds + 0.5)),
        "p50_ms": float(np.percentile(lat, 50) * 1e3) if lat.size else None,
        "p99_ms": float(np.percentile(lat, 99) * 1e3) if lat.size else None,
        "errors": int(sum(r[1] for r in results)),
    }


def _wrk(url: str, headers: dict[str, str], seconds: float, clients: int, conns: int) -> dict:  # type: ignore[type-arg]
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{int(seconds)}s", "--latency", url]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    text = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    out: dict = {"tool": f"wrk -c{conns}", "raw": text.strip().splitlines()[-12:], "errors": 0}  # type: ignore[type-arg]
    for line in text.splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[1:3] == ["requests", "in"]:
            out["requests"] = int(parts[0])
        if line.strip().startswith("Non-2xx or 3xx responses:"):
            out["errors"] = int(parts[-1])
        if line.strip().startswith("Requests/sec:"):
            out["req_per_s"] = float(parts[1])
        if parts[:1] == ["99%"]:
            out["p99_ms"] = _ms(parts[1])
        if parts[:1] == ["50%"]:
            out["p50_ms"] = _ms(parts[1])
    return out


def _ms(text: str) -> float:
    for unit, f in (("ms", 1.0), ("us", 1e-3), ("s", 1e3)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * f
    return float(text)
