"""Replay through the full controller (issue 13 item 1): the demo day's first minutes replayed by
``replay_scenario`` (every stage, the event log and SQLite), reported as the real-time factor on
CPU time of the tick thread, the projected time for 24 h of the demo rack against the goal
(≤ 15 min on one core, i.e. ≥ 96× real time) and the CPU cost of each stage per tick.

Numbers are reported, never asserted: the machine is shared and noisy.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from smartpdu.app.factory import demo_config_path
from smartpdu.app.replay import replay_scenario
from smartpdu.config import load_config
from smartpdu.twin.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SIM_S = 300.0
GOAL_FACTOR = 86400.0 / (15 * 60)


def main() -> dict[str, object]:
    rack = load_config(demo_config_path())
    day = load_scenario(ROOT / "scenarios" / "demo-day.yaml")
    result = asyncio.run(replay_scenario(rack, day, duration_s=SIM_S))
    s = result.summary
    cpu_factor = s.simulated_s / s.cpu_s if s.cpu_s > 0 else float("inf")
    day_min = 86400.0 / cpu_factor / 60.0
    met = "met" if cpu_factor >= GOAL_FACTOR else "NOT met"
    print(f"replayed {s.simulated_s:.0f} s of demo-day through the controller in {s.windows} "
          f"windows: {s.events} events")  # fmt: skip
    print(
        f"  real-time factor on tick-thread CPU: {cpu_factor:.1f}× (wall {s.realtime_factor:.1f}×)"
    )
    print(
        f"  24 h of the demo rack ≈ {day_min:.1f} min CPU — goal ≤ 15 min ({GOAL_FACTOR:.0f}×): {met}"
    )
    print("  CPU ms per tick by stage:")
    for name, ms in sorted(s.stage_cpu_ms_per_tick.items(), key=lambda kv: -kv[1]):
        print(f"    {name:<18} {ms:7.3f}")
    return {
        "simulated_s": s.simulated_s,
        "cpu_factor": cpu_factor,
        "wall_factor": s.realtime_factor,
        "day_cpu_min": day_min,
        "goal_factor": GOAL_FACTOR,
        "goal_met": cpu_factor >= GOAL_FACTOR,
        "stage_cpu_ms_per_tick": s.stage_cpu_ms_per_tick,
    }


if __name__ == "__main__":
    main()
