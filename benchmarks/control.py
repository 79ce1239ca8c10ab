"""Control benchmark (issue 5): decision latency in windows and CPU per tick of the control plane.

- Decision latency: windows from the window that shows an overload to the window whose output
  carries the relay-off command (goal: 0, the same window), for an instant OCP, a sustained
  overload (counted from the window that completes the configured overload window) and a breaker
  trip cause.
- CPU per tick: ``ControlPlane.on_tick`` with protection enabled, replaying snapshots recorded
  from the demo rack on the twin (normal running, then feed A loss with shedding), against the
  same replay with protection disabled (goal ≤ 5 ms for the demo rack).

Numbers are reported, never asserted: the machine is shared and noisy.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from smartpdu.app import build_demo_runtime
from smartpdu.config import RackConfig, load_config
from smartpdu.control import ControlPlane, ControlSettings, MemoryKv

ROOT = Path(__file__).resolve().parents[1]
# The synthetic rack is a test helper (it lives with the control tests, not in the package).
sys.path.insert(0, str(ROOT / "tests" / "control"))
sys.path.insert(0, str(ROOT / "tests"))  # rack_snapshot, which synthetic_rack builds on
from synthetic_rack import SyntheticRack  # noqa: E402


def _latency(cfg: RackConfig, kind: str) -> int:
    rack = SyntheticRack(cfg)
    plane = ControlPlane(cfg, kv=MemoryKv())
    snap = rack.snapshot()
    rack.apply(plane.on_start(snap, None, snap.t_s).relay_commands)
    for _ in range(5):
        rack.apply(plane.on_tick(rack.snapshot()).relay_commands)
    key = ("pdu-a", "14")
    for other in ("13", "15", "16"):  # keep branch B4 under its planning limit (no shedding)
        rack.load_a[("pdu-a", other)] = 0.3
    window = plane.settings.classifier.overload_window_s
    if kind == "instant_ocp":
        rack.load_a[key] = 30.0
        start = rack.tick
    elif kind == "sustained_overload":
        rack.load_a[key] = 11.0
        start = rack.tick + round(window / rack.window_s) - 1
    else:  # breaker trip: the cause outlet takes the branch over its 16 A rating (the evidence
        # that lets protection blame it), the breaker is seen tripped next window
        rack.load_a[key] = 17.0
        rack.apply(plane.on_tick(rack.snapshot()).relay_commands)
        rack.tripped.add(("pdu-a", "B4"))
        start = rack.tick
    for _ in range(200):
        tick = rack.tick
        out = plane.on_tick(rack.snapshot())
        rack.apply(out.relay_commands)
        if any(c.outlet_id == "14" and not c.on for c in out.relay_commands):
            return tick - start
    return -1


async def _record(cfg_path: Path, ticks: int) -> list[Any]:
    snaps: list[Any] = []

    class Recorder(ControlPlane):
        def on_tick(self, snapshot: Any, acquisition: Any = None) -> Any:
            snaps.append(snapshot)
            return super().on_tick(snapshot, acquisition)

    with tempfile.TemporaryDirectory() as d:
        rt = build_demo_runtime(
            Path(d), config=load_config(cfg_path), control_factory=lambda c, s: Recorder(c, kv=s)
        )
        async with rt:
            await rt.run_ticks(ticks // 2)
            rt.hardware.feed_loss("A")
            await rt.run_ticks(ticks - ticks // 2)
    return snaps


def _replay(cfg: RackConfig, snaps: list[Any], protection: bool) -> list[float]:
    settings = ControlSettings(protection_enabled=protection)
    plane = ControlPlane(cfg, kv=MemoryKv(), settings=settings)
    plane.on_start(snaps[0], None, snaps[0].t_s)
    times = []
    for s in snaps[1:]:
        t0 = time.process_time()
        plane.on_tick(s)
        times.append(time.process_time() - t0)
    return times


def main() -> dict:  # type: ignore[type-arg]
    cfg_path = ROOT / "configs" / "demo-rack.yaml"
    cfg = load_config(cfg_path)
    latency = {k: _latency(cfg, k) for k in ("instant_ocp", "sustained_overload", "breaker_trip")}
    snaps = asyncio.run(_record(cfg_path, 300))
    on = _replay(cfg, snaps, True)
    off = _replay(cfg, snaps, False)
    on_ms = statistics.mean(on) * 1e3
    off_ms = statistics.mean(off) * 1e3
    p99_ms = sorted(on)[int(0.99 * (len(on) - 1))] * 1e3
    print(
        "decision latency (windows, goal 0 = same window): "
        + ", ".join(f"{k} {v}" for k, v in latency.items())
    )
    print(
        f"control on_tick: {on_ms:.3f} ms CPU per tick with protection (p99 {p99_ms:.3f} ms; "
        f"goal ≤ 5 ms), {off_ms:.3f} ms without; protection costs ×{on_ms / off_ms:.2f}"
    )
    return {
        "latency_windows": latency,
        "cpu_ms_per_tick_protection": round(on_ms, 4),
        "cpu_ms_per_tick_p99_protection": round(p99_ms, 4),
        "cpu_ms_per_tick_no_protection": round(off_ms, 4),
        "protection_cost_ratio": round(on_ms / off_ms, 3),
        "ticks": len(on),
    }


if __name__ == "__main__":
    main()
