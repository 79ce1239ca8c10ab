"""Native API vs Redfish (issue 12 item 4): GET outlet req/s, p50 and p99 at 8 connections, same run.

One server process — ``smartpdu run``'s own composition (:func:`smartpdu.app.server.serve`,
started by ``benchmarks/redfish.py --serve``: runtime on the twin at real time, native API with
Redfish mounted, the start-up heap frozen once everything is up) — on loopback. One session
token (REST and Redfish share sessions) is used for both ``GET /api/v1/pdus/pdu-a/outlets/7``
(``Authorization: Bearer``) and ``GET /redfish/v1/PowerEquipment/RackPDUs/pdu-a/Outlets/7``
(``X-Auth-Token``). The two are measured in alternating rounds so that a neighbour's load hits
both alike; req/s is compared as a ratio, p50/p99 are printed per round for both.

Beside the latencies, what tells a slow server from a busy machine: server CPU per request
(main thread, the event loop; idle tick CPU subtracted), the share of each round the server's
loop thread spent runnable but waiting for a CPU (``/proc/.../schedstat``: the neighbours' cost),
the server's garbage-collection pauses in each round (logged by the server, ``--gc-log``), and
the latency a cheap request gets at the moment (the unauthenticated Redfish service root).

Also printed: the CPU an *eager* encoding of every outlet view in each tick's publish would cost,
which is why views are encoded lazily (on the first read after a tick).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _load import load

HERE = Path(__file__).resolve().parent
PASSWORD = "bench-password-1"
NATIVE = "/api/v1/pdus/pdu-a/outlets/7"
REDFISH = "/redfish/v1/PowerEquipment/RackPDUs/pdu-a/Outlets/7"
CONNECTIONS = 8
ROUNDS = 2
GOAL_RATIO = 1.0
GOAL_P99_MS = 20.0
_TCK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    """User + system CPU of the server's main thread (the event loop serving HTTP)."""
    fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TCK


def _runq_wait_s(pid: int) -> float:
    """Time the server's main thread spent runnable but waiting for a CPU (schedstat field 2):
    what the machine's other processes cost it, not what the server did."""
    try:
        return int(Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return float("nan")


def _gc_pauses(log: Path, since: float, until: float) -> list[tuple[int, float]]:
    """``(generation, ms)`` of the server's logged collections between two unix times."""
    if not log.exists():
        return []
    out = []
    for line in log.read_text().splitlines():
        t, gen, ms = line.split()
        if since <= float(t) <= until:
            out.append((int(gen), float(ms)))
    return out


def _measure(  # type: ignore[no-untyped-def]
    pid: int, url: str, headers: dict[str, str], seconds: float, idle_cpu_s: float, gc_log: Path
):
    c0, t0, u0, q0 = _cpu_s(pid), time.perf_counter(), time.time(), _runq_wait_s(pid)
    out = load(url, headers, seconds=seconds, connections=CONNECTIONS)
    cpu, wall = _cpu_s(pid) - c0, time.perf_counter() - t0
    out["runq_wait_pct"] = (_runq_wait_s(pid) - q0) / wall * 100
    out["gc_pauses"] = _gc_pauses(gc_log, u0, time.time())
    n = int(out.get("requests") or 0)
    out["cpu_us_per_req"] = max(cpu - idle_cpu_s * wall, 0.0) / n * 1e6 if n else None
    return out


def _http(seconds: float) -> dict:  # type: ignore[type-arg]
    from redfish import _free_port, _wait_up

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as d:
        gc_log = Path(d) / "gc-pauses.log"
        data = Path(d) / "data"
        data.mkdir()
        cmd = [sys.executable, str(HERE / "redfish.py"), "--serve", str(port)]
        cmd += ["--data-dir", str(data), "--gc-log", str(gc_log)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_up(base, proc)
            login = httpx.post(
                f"{base}/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}
            )
            login.raise_for_status()
            token = login.json()["token"]
            native_h = {"Authorization": f"Bearer {token}"}
            redfish_h = {"X-Auth-Token": token}
            etag = httpx.get(base + NATIVE, headers=native_h).headers["ETag"]
            load(base + NATIVE, native_h, seconds=1, connections=CONNECTIONS)  # warm up
            load(base + REDFISH, redfish_h, seconds=1, connections=CONNECTIONS)
            c0, t0 = _cpu_s(proc.pid), time.perf_counter()
            time.sleep(2.0)
            idle = (_cpu_s(proc.pid) - c0) / (time.perf_counter() - t0)
            rounds: dict[str, list[dict]] = {"native": [], "redfish": []}  # type: ignore[type-arg]
            for _ in range(ROUNDS):
                for name, url, h in (("native", NATIVE, native_h), ("redfish", REDFISH, redfish_h)):
                    rounds[name].append(_measure(proc.pid, base + url, h, seconds, idle, gc_log))
            conditional = load(
                base + NATIVE, {**native_h, "If-None-Match": etag}, seconds=2, connections=8
            )
            reference = load(f"{base}/redfish/v1/", {}, seconds=seconds, connections=CONNECTIONS)
        finally:
            proc.terminate()
            proc.wait(20)
    out: dict = {"idle_main_thread_cpu_pct": idle * 100}  # type: ignore[type-arg]
    for name, rs in rounds.items():
        cpu = [r["cpu_us_per_req"] for r in rs if r.get("cpu_us_per_req") is not None]
        pauses = [p for r in rs for p in r["gc_pauses"]]
        out[name] = {
            "req_per_s": sum(float(r.get("req_per_s") or 0) for r in rs) / len(rs),
            "p99_ms_rounds": [float(r.get("p99_ms") or 0) for r in rs],
            "p99_ms_worst_round": max(float(r.get("p99_ms") or 0) for r in rs),
            "p50_ms_rounds": [float(r.get("p50_ms") or 0) for r in rs],
            "p50_ms": max(float(r.get("p50_ms") or 0) for r in rs),
            "runq_wait_pct_rounds": [float(r["runq_wait_pct"]) for r in rs],
            "gc_pauses": len(pauses),
            "gc_full_collections": sum(1 for g, _ in pauses if g == 2),
            "gc_max_pause_ms": max((ms for _, ms in pauses), default=0.0),
            "cpu_us_per_req": sum(cpu) / len(cpu) if cpu else None,
            "errors": sum(int(r.get("errors") or 0) for r in rs),
            "tool": rs[0].get("tool"),
        }
    out["native_conditional_get_req_per_s"] = conditional.get("req_per_s")
    out["reference_service_root"] = {k: reference.get(k) for k in ("req_per_s", "p50_ms", "p99_ms")}
    return out


async def _eager_encoding_ms() -> dict[str, float]:
    """CPU to encode every outlet view of one snapshot: what encoding in publish would cost."""
    import pydantic_core

    from smartpdu.api.views import outlet_view
    from smartpdu.app import build_demo_runtime

    with tempfile.TemporaryDirectory() as d:
        rt = build_demo_runtime(Path(d))
        async with rt:
            await rt.run_ticks(5)
            snap = rt.snapshot
            outlets = [o for p in snap.pdus.values() for o in p.outlets.values()]
            reps = 20
            t0 = time.process_time()
            for _ in range(reps):
                for o in outlets:
                    pydantic_core.to_json(outlet_view(o))
            per_tick = (time.process_time() - t0) / reps
    return {"outlets": len(outlets), "cpu_ms_per_tick": per_tick * 1e3}


def _met(ok: bool) -> str:
    return "met" if ok else "UNMET"


def main(seconds: float = 4.0) -> dict:  # type: ignore[type-arg]
    http = _http(seconds)
    eager = asyncio.run(_eager_encoding_ms())
    nat, rf = http["native"], http["redfish"]
    ratio = nat["req_per_s"] / rf["req_per_s"] if rf["req_per_s"] else 0.0
    p99 = nat["p99_ms_worst_round"]
    cpu_ratio = (
        rf["cpu_us_per_req"] / nat["cpu_us_per_req"]
        if nat["cpu_us_per_req"] and rf["cpu_us_per_req"]
        else None
    )
    result = {
        **http,
        "native_vs_redfish_req_per_s": ratio,
        "redfish_vs_native_cpu_per_req": cpu_ratio,
        "eager_outlet_encoding": eager,
        "goal_ratio_met": ratio >= GOAL_RATIO,
        "goal_p99_met": 0 < p99 < GOAL_P99_MS,
    }
    cpu_txt = f"{cpu_ratio:.2f}×" if cpu_ratio is not None else "n/a"
    load1 = os.getloadavg()[0]
    result["load_average_1min"] = load1
    ref = http["reference_service_root"]

    def row(label: str, r: dict) -> str:  # type: ignore[type-arg]
        p50 = " / ".join(f"{x:.1f}" for x in r["p50_ms_rounds"])
        p99 = " / ".join(f"{x:.1f}" for x in r["p99_ms_rounds"])
        waited = " / ".join(f"{x:.0f}" for x in r["runq_wait_pct_rounds"])
        return (
            f"  {label:<8}{r['req_per_s']:>8.0f} req/s  p50 {p50} ms  p99 {p99} ms  "
            f"{r['cpu_us_per_req'] or 0:.0f} µs server CPU/req  loop thread waited for a CPU "
            f"{waited} % of the round  server GC pauses ≥ 2 ms: "
            f"{r['gc_pauses']} ({r['gc_full_collections']} full), longest "
            f"{r['gc_max_pause_ms']:.1f} ms  errors {r['errors']}"
        )

    print(
        f"GET outlet at {CONNECTIONS} connections, {ROUNDS} alternating rounds of {seconds:.0f} s "
        f"({nat['tool']}; machine load average {load1:.1f} on {os.cpu_count()} CPUs), "
        f"p50/p99 per round:\n"
        f"{row('native', nat)}\n{row('Redfish', rf)}\n"
        f"  native/Redfish req/s {ratio:.2f} (goal ≥ {GOAL_RATIO:.1f}: "
        f"{_met(result['goal_ratio_met'])}); native p99 {p99:.1f} ms, worst round (goal < "
        f"{GOAL_P99_MS:.0f} ms: {_met(result['goal_p99_met'])}); Redfish p99 "
        f"{rf['p99_ms_worst_round']:.1f} ms, worst round (no goal: for comparison); Redfish needs "
        f"{cpu_txt} the native CPU per request\n"
        f"  reference (unauthenticated Redfish service root, cached bytes behind FastAPI routing): "
        f"{ref['req_per_s'] or 0:.0f} req/s, p50 {ref['p50_ms'] or 0:.1f} ms, p99 "
        f"{ref['p99_ms'] or 0:.1f} ms: the latency a cheap request gets on this machine right "
        f"now. A p99 far above the p50 with no long server GC pause, while the loop thread waits "
        f"for a CPU, is the machine, not the server\n"
        f"  native conditional GET (If-None-Match, mostly 304): "
        f"{http['native_conditional_get_req_per_s'] or 0:.0f} req/s\n"
        f"  eager encoding of all {eager['outlets']} outlet views per tick would cost "
        f"{eager['cpu_ms_per_tick']:.2f} ms CPU per tick whether read or not; views are encoded "
        f"lazily, on the first read after a tick"
    )
    return result


if __name__ == "__main__":
    main()
