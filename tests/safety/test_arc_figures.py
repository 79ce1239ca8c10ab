"""Detection and false-positive figures of the arc features on the twin's waveforms (issue 14).

Each case runs the twin for 30 s and puts one outlet's current through the same pure chain the
arc stage uses — :func:`arc_features` (no screen: a superset of what the stage evaluates),
:func:`arc_like` and :class:`ArcDetector` with the default configuration. docs/safety.md quotes
these figures (over longer runs of the same harness).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from smartpdu.app.factory import demo_config_path
from smartpdu.config import load_config
from smartpdu.config.surge_arc import ArcConfig
from smartpdu.metering.arc import arc_features
from smartpdu.protection.arc import ArcDetector, arc_like
from smartpdu.twin.rack import RackTwin

WINDOWS = 150
CFG = ArcConfig()


def _figures(setup: Callable[[RackTwin], None], pdu: str, outlet: str, seed: int = 0):
    twin = RackTwin(load_config(demo_config_path()), seed=seed)
    for _ in range(5):
        twin.acquire()
    setup(twin)
    det = ArcDetector(1, CFG)
    like_n, first = 0, None
    for w in range(WINDOWS):
        b = twin.acquire().blocks[pdu]
        row = b.channels.index(f"outlet/{outlet}")
        f = arc_features(b.current_a[[row]], 128, b.sample_rate_hz)
        like = arc_like(f.hf, f.irregularity, f.shoulder_s, f.rms_a, CFG)
        like_n += int(like[0])
        raised, _ = det.update(w * 0.2, like)
        if raised and first is None:
            first = w
    return like_n / WINDOWS, first


@pytest.mark.parametrize(
    ("intensity", "pdu", "outlet"),
    [(0.3, "pdu-b", "21"), (0.5, "pdu-b", "21"), (0.3, "pdu-a", "18"), (0.8, "pdu-a", "3")],
)
def test_arcs_are_detected_within_seconds(intensity: float, pdu: str, outlet: str) -> None:
    rate, first = _figures(lambda t: t.arcing(pdu, outlet, intensity), pdu, outlet)
    assert rate >= 0.4, rate  # a near-continuous arc (0.8) is less irregular: ≈ 50 %
    assert first is not None and first <= 15  # 3 s (6 arc-like windows of 10 at the earliest)


LOOK_ALIKES = {
    "smps_ripple 4 %": ("pdu-a", "21", {"kind": "smps_ripple", "ripple_pct": 4.0}),
    "smps_ripple 8 % 100 kHz": (
        "pdu-a", "18", {"kind": "smps_ripple", "ripple_pct": 8.0, "switching_hz": 100e3}
    ),
    "dimmer 70°": ("pdu-a", "17", {"kind": "dimmer", "firing_deg": 70.0}),
    "dimmer 120°": ("pdu-b", "17", {"kind": "dimmer", "firing_deg": 120.0}),
    "motor start every 10 s": ("pdu-b", "21", {"kind": "motor_start", "period_s": 10.0}),
}  # fmt: skip


@pytest.mark.parametrize("name", list(LOOK_ALIKES))
def test_look_alikes_raise_no_suspicion(name: str) -> None:
    pdu, outlet, spec = LOOK_ALIKES[name]
    kw = dict(spec)
    kind = str(kw.pop("kind"))
    rate, first = _figures(lambda t: t.look_alike(pdu, outlet, kind, **kw), pdu, outlet)
    assert first is None, f"{name}: suspected after {first} windows"
    assert rate <= 0.02, rate


def test_healthy_loads_show_no_arc_like_window() -> None:
    twin = RackTwin(load_config(demo_config_path()), seed=2)
    like_total = 0
    for _ in range(WINDOWS):
        for b in twin.acquire().blocks.values():
            rows = [k for k, ch in enumerate(b.channels) if ch.startswith("outlet/")]
            f = arc_features(b.current_a[rows], 128, b.sample_rate_hz)
            like_total += int(np.count_nonzero(arc_like(f.hf, f.irregularity, f.shoulder_s,
                                                        f.rms_a, CFG)))  # fmt: skip
    assert like_total == 0
