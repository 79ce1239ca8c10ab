"""Benchmark: sample generation of the demo rack twin at 128 samples/cycle, as a real-time factor.

Run ``python benchmarks/twin.py``. The goal is >= 200x real time on one core; the ratio is
measured in this run (sim seconds generated per wall second, and per CPU second of this process,
which is steadier on a shared machine), never asserted in a test.
"""

from __future__ import annotations

import time
from pathlib import Path

from smartpdu.config import load_config
from smartpdu.twin.rack import RackTwin

_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "demo-rack.yaml"
GOAL_RTF = 200.0


def main(windows: int = 500) -> dict[str, float]:
    """Generate ``windows`` windows of the demo rack; return timing and the real-time factor."""
    config = load_config(_CONFIG)
    twin = RackTwin(config, seed=0)
    for _ in range(10):  # warm-up: caches, first-window allocations
        twin.acquire()
    samples = sum(b.current_a.size + b.voltage_v.size for b in twin.acquire().blocks.values())
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(windows):
        twin.acquire()
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    sim = windows * twin.window_s
    result = {
        "windows": float(windows),
        "sim_s": sim,
        "wall_s": wall,
        "ms_per_window": 1e3 * wall / windows,
        "samples_per_window": float(samples),
        "msamples_per_s": samples * windows / wall / 1e6,
        "real_time_factor": sim / wall,
        "cpu_s": cpu,
        "real_time_factor_cpu": sim / cpu,
        "goal_real_time_factor": GOAL_RTF,
    }
    _report(result)
    return result


def _report(r: dict[str, float]) -> None:
    print(
        f"twin demo rack: {r['ms_per_window']:.3f} ms per {r['sim_s'] / r['windows'] * 1e3:.0f} ms"
        f" window, {r['msamples_per_s']:.1f} Msamples/s, real-time factor "
        f"{r['real_time_factor']:.0f}x wall, {r['real_time_factor_cpu']:.0f}x per CPU second "
        f"(goal >= {r['goal_real_time_factor']:.0f}x)"
    )


if __name__ == "__main__":
    main()
