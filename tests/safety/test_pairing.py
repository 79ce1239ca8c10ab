"""PSU-pair discovery by load correlation (issue 13 item 10), replayed through the controller."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from smartpdu.analytics.pairing import configured_pairs, propose_pairs
from smartpdu.app.factory import demo_config_path
from smartpdu.config import load_config
from smartpdu.runtime.clock import SimClock
from smartpdu.runtime.rack import RackRuntime
from smartpdu.storage import open_store
from smartpdu.twin.rack import RackTwin


def test_anti_correlated_sharing_drift_and_common_steps_both_pair_noise_does_not() -> None:
    rng = np.random.default_rng(1)
    t = 300
    drift = np.cumsum(rng.normal(0, 0.02, t))
    steps = np.repeat(rng.choice([1.0, 3.0], t // 10), 10)
    series = np.column_stack([
        2.0 + drift, 2.0 - drift,                 # device 1: sharing drifts A ↔ B
        steps * 0.5, steps * 0.5,                 # device 2: load steps on both PSUs
        1.0 + rng.normal(0, 0.01, t), 1.0 + rng.normal(0, 0.01, t),  # two unrelated loads
    ])  # fmt: skip
    outlets = [("a", "1"), ("b", "1"), ("a", "2"), ("b", "2"), ("a", "3"), ("b", "3")]
    found = propose_pairs(series, outlets, {"a": "A", "b": "B"})
    assert [(p.a, p.b) for p in found] == [(("a", "1"), ("b", "1")), (("a", "2"), ("b", "2"))]
    assert found[0].correlation < -0.99 and found[1].correlation > 0.99


async def _run(physical, declared, data_dir: Path, seconds: float):  # type: ignore[no-untyped-def]
    """The controller believes ``declared`` while the rack is wired as ``physical``."""
    store = open_store(f"sqlite:///{data_dir / 'smartpdu.db'}")
    rt = RackRuntime(declared, RackTwin(physical, seed=7), store, clock=SimClock(),
                     data_dir=data_dir)  # fmt: skip
    async with rt:
        await rt.run_for(seconds)
        desk = rt.pairing_desk
        assert desk is not None
        await rt.flush()
        events = [e for p in ("pdu-a", "pdu-b") for e in store.events_since(p, 0, 100_000)]
        return list(desk.latest), events


def test_pairs_of_the_demo_rack_are_found_and_a_swapped_cable_is_reported(
    tmp_path: Path,
) -> None:
    physical = load_config(demo_config_path())
    # the configuration swapped srv-01's and srv-02's B-side cables (outlets 1 and 2 of pdu-b)
    swap = {"srv-01": "2", "srv-02": "1"}
    declared = physical.model_copy(update={"devices": [
        d.model_copy(update={"psus": [
            p.model_copy(update={"outlet": swap[d.name]}) if p.pdu == "pdu-b" else p
            for p in d.psus
        ]}) if d.name in swap else d
        for d in physical.devices
    ]})  # fmt: skip
    found, events = asyncio.run(_run(physical, declared, tmp_path, 130.0))
    truth = configured_pairs(physical.devices)
    proposed = {frozenset((p.a, p.b)) for p in found}
    assert len(proposed & truth) >= 0.9 * len(truth)  # ≥ 90 % of the true pairs
    assert proposed <= truth  # and no false pair above the threshold
    mism = sorted((e.evidence["a"], e.evidence["b"]) for e in events
                  if e.event_code == "PSU_PAIR_MISMATCH")  # fmt: skip
    assert mism == [("pdu-a/1", "pdu-b/1"), ("pdu-a/2", "pdu-b/2")]
