"""Sequencing: inrush guard gap, power-on delays, init delay, staggered feed restore."""

from __future__ import annotations

import itertools

from smartpdu.config.models import PowerUpState
from smartpdu.control import PowerOnSequencer
from smartpdu.model.commands import OutletAction, OutletCommand


def test_guard_releases_one_per_gap_in_order() -> None:
    seq = PowerOnSequencer(guard_s=0.4)
    for k, oid in enumerate(["a", "b", "c"]):
        seq.request(oid, 0.0 + 0.0 * k, "x")
    released = [(t / 10, [p.outlet_id for p in seq.release(t / 10)]) for t in range(0, 12, 2)]
    assert released == [(0.0, ["a"]), (0.2, []), (0.4, ["b"]), (0.6, []), (0.8, ["c"]), (1.0, [])]


def test_guard_zero_releases_everything_ready() -> None:
    seq = PowerOnSequencer(guard_s=0.0)
    seq.request("a", 0.0, "x")
    seq.request("b", 0.0, "x")
    seq.request("c", 1.0, "x")
    assert [p.outlet_id for p in seq.release(0.0)] == ["a", "b"]
    assert [p.outlet_id for p in seq.release(1.0)] == ["c"]


def _on_ticks(loop, pdu="pdu-a"):
    return {o: tick for tick, p, o, on in loop.relays if on and p == pdu}


def test_bulk_on_is_serialised_by_the_guard_and_delays(make_loop) -> None:
    loop = make_loop()
    loop.start()
    ids = [str(i) for i in range(1, 25)]
    loop.plane.submit(OutletCommand("pdu-a", tuple(ids), OutletAction.OFF, "u", "off"), 0.0)
    loop.step(3)
    loop.relays.clear()
    loop.plane.submit(OutletCommand("pdu-a", tuple(ids), OutletAction.ON, "u", "on"), loop.t_s)
    loop.step(60)
    ticks = sorted(_on_ticks(loop).values())
    assert len(ticks) == 24
    assert all(b - a >= 1 for a, b in itertools.pairwise(ticks))  # 0.2 s guard
    on = _on_ticks(loop)
    # critical outlets (delay 0) start before compute (0.5 s) before lab (2 s)
    assert max(on[o] for o in ("3", "4", "5")) < min(on[o] for o in ("1", "2", "22"))
    assert loop.completed["on"].status == "done"


def test_power_up_states_and_init_delay(make_loop, demo_config) -> None:
    pdus = []
    for p in demo_config.pdus:
        outs = [
            o.model_copy(
                update={
                    "power_up_state": PowerUpState.ON
                    if o.id == "1"
                    else (PowerUpState.OFF if o.id == "2" else o.power_up_state)
                }
            )
            for o in p.outlets
        ]
        pdus.append(p.model_copy(update={"outlets": outs}))
    cfg = demo_config.model_copy(update={"pdus": pdus})
    loop = make_loop(config=cfg)
    loop.rack.relay[("pdu-a", "1")] = False
    loop.rack.relay[("pdu-a", "2")] = True
    loop.start()
    assert ("pdu-a", "2") in {(p, o) for _, p, o, on in loop.relays if not on}
    loop.step(20)
    on = _on_ticks(loop)
    # init delay 2.0 s + power-on delay 0.5 s = 2.5 s = tick 12 or later
    assert on["1"] >= 12
    assert loop.rack.relay[("pdu-a", "1")] and not loop.rack.relay[("pdu-a", "2")]


def test_feed_loss_opens_relays_and_restore_is_staggered(make_loop) -> None:
    loop = make_loop()
    loop.start()
    loop.step(3)
    loop.rack.feed_present["pdu-a"] = False
    loop.step(3)
    assert not any(loop.rack.relay[("pdu-a", str(i))] for i in range(1, 25))
    assert not loop.codes("OUTLET_STUCK_ON")
    loop.relays.clear()
    loop.rack.feed_present["pdu-a"] = True
    restore_tick = loop.rack.tick
    loop.step(60)
    ticks = sorted(_on_ticks(loop).values())
    assert len(ticks) == 24
    # stagger 1.0 s before the first restart, then one per guard gap
    assert ticks[0] - restore_tick >= 5
    assert all(b - a >= 1 for a, b in itertools.pairwise(ticks))
    restored = [e for e in loop.codes("OUTLET_ON") if e.reason_code == "feed_restore"]
    assert len(restored) == 24
