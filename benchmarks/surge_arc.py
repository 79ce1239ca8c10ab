"""CPU cost of surge counting and series-arc detection per tick (issue 14), against the measure
stage, goal: the two add < 10 % to it.

Two measurements in one run:

(a) the demo rack replayed through the full controller for 60 s, CPU ms per tick of the ``surge``
    and ``arc`` stages and of ``measure`` from the pipeline's own per-stage thread-time
    accounting, twice: *normal* — surge bursts on both feeds early on, so the counters are laid
    over every later snapshot (the steady state of a PDU that has ever seen a surge), no arc;
    *stress* — the same plus an arcing terminal and the arc look-alikes (SMPS ripple, dimmer,
    motor start), whose outlets pass the screen and get the full features every window;
(b) the pure features on the metering benchmark's block (3-φ, 48 outlets, 128 samples/cycle):
    the arc screen (``arc_hf`` on the last ``SCREEN_CYCLES`` cycles of every outlet row) and
    the surge reduction, against ``measure_block`` on the same block.

Numbers are reported, never asserted: the machine is shared and noisy.
"""

from __future__ import annotations

import asyncio
import math
import sys
import timeit
from pathlib import Path

import numpy as np

from smartpdu.app.factory import demo_config_path
from smartpdu.app.replay import replay_scenario
from smartpdu.config import load_config
from smartpdu.metering import measure_block
from smartpdu.metering.arc import arc_hf
from smartpdu.metering.surge import surge_features
from smartpdu.runtime.stages.arc import SCREEN_CYCLES
from smartpdu.twin.scenario import parse_scenario

sys.path.insert(0, str(Path(__file__).resolve().parent))
from metering import make_block

GOAL_PCT = 10.0
NORMAL = """
name: surge-bench
steps:
  - {at: 0s, do: device_load, device: gpu-01, load_fraction: 1.0}
  - {at: 1s, do: surge, feed: A, peak_kv: 4, count: 3, interval: 100ms}
  - {at: 1s, do: surge, feed: B, phase: L2, peak_kv: 2}
"""
STRESS = (
    NORMAL.replace("surge-bench", "surge-arc-stress")
    + """\
  - {at: 2s, do: arcing, pdu: pdu-b, outlet: '21', intensity: 0.5}
  - {at: 0s, do: load_signature, pdu: pdu-a, outlet: '21', kind: smps_ripple, ripple_pct: 4}
  - {at: 0s, do: load_signature, pdu: pdu-a, outlet: '17', kind: dimmer}
  - {at: 0s, do: load_signature, pdu: pdu-b, outlet: '17', kind: motor_start, period: 20s}
"""
)


def _replay(text: str) -> dict[str, float]:
    rack = load_config(demo_config_path())
    scenario = parse_scenario(text)
    result = asyncio.run(replay_scenario(rack, scenario, duration_s=60.0))
    ms = result.summary.stage_cpu_ms_per_tick
    found = {k: v for k, v in result.summary.event_counts.items()
             if k in ("SURGE_DETECTED", "ARC_FAULT_SUSPECTED")}  # fmt: skip
    added = ms.get("surge", 0.0) + ms.get("arc", 0.0)
    pct = 100.0 * added / ms["measure"] if ms.get("measure") else math.nan
    print(f"(a) {scenario.name}: demo rack, 60 s ({result.summary.windows} windows, {found}):")
    print(f"    measure {ms['measure']:.3f} ms/tick, surge {ms.get('surge', 0):.3f}, "
          f"arc {ms.get('arc', 0):.3f} → +{pct:.1f} % of measure (goal < {GOAL_PCT:g} %: "
          f"{'met' if pct < GOAL_PCT else 'NOT met'})")  # fmt: skip
    return {"measure_ms": ms["measure"], "surge_ms": ms.get("surge", 0.0),
            "arc_ms": ms.get("arc", 0.0), "added_pct": pct}  # fmt: skip


def _pure() -> dict[str, float]:
    block = make_block()
    outlets = slice(10, 58)
    rms = np.sqrt(np.mean(block.current_a[outlets] ** 2, axis=1))
    cur = block.current_a[outlets].astype(np.float32)[:, -SCREEN_CYCLES * 128 :]
    volt = block.voltage_v.astype(np.float32)
    n = 300

    def measure() -> None:
        measure_block(block, None)

    def features() -> None:
        arc_hf(cur, 128, rms)
        surge_features(volt, block.sample_rate_hz, 520.0, clamp_v=800.0, clamp_current_a=100.0,
                       alpha=30.0, pulse_equivalent_s=40e-6)  # fmt: skip

    t_m = min(timeit.repeat(measure, number=n, repeat=3)) / n * 1e3
    t_f = min(timeit.repeat(features, number=n, repeat=3)) / n * 1e3
    pct = 100.0 * t_f / t_m
    print(f"(b) 48-outlet block: measure_block {t_m:.3f} ms, arc screen + surge features "
          f"{t_f:.3f} ms → +{pct:.1f} %")  # fmt: skip
    return {"measure_block_ms": t_m, "features_ms": t_f, "features_pct": pct}


def main() -> dict[str, object]:
    return {"normal": _replay(NORMAL), "stress": _replay(STRESS), "pure": _pure(),
            "goal_pct": GOAL_PCT}  # fmt: skip


if __name__ == "__main__":
    main()
