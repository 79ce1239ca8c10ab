"""Priority shedding and protection actions of the control plane on a synthetic rack."""

from __future__ import annotations

import itertools

from smartpdu.control import LoadShedder, ScopeLoad, ShedCandidate, SheddingSettings


def test_shedder_lowest_priority_first_one_by_one_never_critical() -> None:
    sh = LoadShedder(SheddingSettings(shed_delay_s=0.4, shed_interval_s=1.0))
    cands = [
        ShedCandidate("c", "critical", 6.0, 0.0),
        ShedCandidate("n", "normal", 5.0, 0.0),
        ShedCandidate("l1", "low", 1.0, 0.0),
        ShedCandidate("l2", "low", 2.0, 0.0),
    ]
    order = []
    for k in range(40):
        load = ScopeLoad("branch/B1", "BRANCH_OVERLOAD", 30.0, 16.0, "A", ("c", "n", "l1", "l2"))
        _, dec = sh.step([load], cands, t_s=k * 0.2, dt_s=0.2, feed_loss=False)
        order += [(k, d.outlet_id) for d in dec]
    assert [o for _, o in order] == ["l2", "l1", "n"]
    ks = [k for k, _ in order]
    assert all(b - a >= 5 for a, b in itertools.pairwise(ks))  # 1 s apart


def test_shedder_restores_with_hysteresis_last_shed_first() -> None:
    cfg = SheddingSettings(shed_delay_s=0.0, shed_interval_s=0.0, restore_delay_s=1.0)
    sh = LoadShedder(cfg)
    cands = [ShedCandidate("l1", "low", 2.0, 0.0), ShedCandidate("n", "normal", 3.0, 0.0)]
    scope = ("l1", "n")
    sh.step(
        [ScopeLoad("branch/B", "X", 14.0, 16.0, "A", scope)],
        cands,
        t_s=0,
        dt_s=0.2,
        feed_loss=False,
    )
    sh.step(
        [ScopeLoad("branch/B", "X", 13.5, 16.0, "A", scope)],
        cands[1:],
        t_s=0.2,
        dt_s=0.2,
        feed_loss=False,
    )
    assert [s.outlet_id for s in sh.shed] == ["l1", "n"]
    # 9 A + 3 A = 75 % >= 70 %: no restore however long
    for k in range(20):
        _, dec = sh.step(
            [ScopeLoad("branch/B", "X", 9.0, 16.0, "A", scope)],
            [],
            t_s=1 + k * 0.2,
            dt_s=0.2,
            feed_loss=False,
        )
        assert not dec
    restored = []
    for k in range(40):
        _, dec = sh.step(
            [ScopeLoad("branch/B", "X", 5.0, 16.0, "A", scope)],
            [],
            t_s=10 + k * 0.2,
            dt_s=0.2,
            feed_loss=False,
        )
        restored += [(k, d.outlet_id) for d in dec]
    assert [o for _, o in restored] == ["n", "l1"]
    assert restored[0][0] >= 4  # after restore_delay_s


def _pdu_b_b6_heavy(loop) -> None:
    # gpu (normal) 11 A, lab outlets (low) 2 / 1.8 A, heater (low) 0.7 A: 15.5 A on 16 A = 97 %
    loop.rack.load_a.update(
        {("pdu-b", "21"): 11.0, ("pdu-b", "22"): 2.0, ("pdu-b", "23"): 1.8, ("pdu-b", "24"): 0.7}
    )


def test_branch_over_planning_limit_sheds_low_first_and_restores(make_loop) -> None:
    loop = make_loop()
    loop.start()
    loop.step(2)
    _pdu_b_b6_heavy(loop)
    loop.step(30)
    shed = loop.codes("OUTLET_SHED")
    assert [e.source for e in shed] == ["outlet/22", "outlet/23"]  # 15.5 -> 13.5 -> 11.7 A
    e = shed[0]
    assert e.pdu_id == "pdu-b" and e.action_taken == "shed"
    assert e.reason_code == "branch_over_planning_limit"
    assert e.evidence["unit"] == "A" and e.evidence["value"] > e.evidence["limit"]
    assert {"window_s", "peak", "limit", "value"} <= set(e.evidence)
    warn = [x for x in loop.codes("BRANCH_OVERLOAD") if x.source == "branch/B6"]
    assert warn and warn[0].severity == "warning"
    loop.rack.load_a[("pdu-b", "21")] = 4.0
    loop.step(150)
    assert [x.source for x in loop.codes("OUTLET_RESTORED")] == ["outlet/23", "outlet/22"]
    assert loop.rack.relay[("pdu-b", "22")] and loop.rack.relay[("pdu-b", "23")]


def test_critical_outlets_are_never_shed(make_loop) -> None:
    loop = make_loop()
    loop.start()
    for o in ("3", "4"):  # critical network outlets on B1
        loop.rack.load_a[("pdu-a", o)] = 7.0
    loop.step(60)
    shed = {e.source for e in loop.codes("OUTLET_SHED") if e.pdu_id == "pdu-a"}
    assert "outlet/3" not in shed and "outlet/4" not in shed
    assert {"outlet/1", "outlet/2"} <= shed  # the normal outlets of B1 went instead
    assert loop.rack.relay[("pdu-a", "3")] and loop.rack.relay[("pdu-a", "4")]


def test_feed_loss_reason_code(make_loop) -> None:
    loop = make_loop()
    loop.start()
    loop.step(2)
    loop.rack.feed_present["pdu-a"] = False
    _pdu_b_b6_heavy(loop)
    loop.step(20)
    shed = loop.codes("OUTLET_SHED")
    assert shed and shed[0].reason_code == "feed_loss_overload"


def test_one_outlet_overloaded_while_rack_total_normal(make_loop) -> None:
    loop = make_loop()
    loop.start()
    loop.step(5)
    for o in ("14", "15", "16"):
        loop.rack.load_a[("pdu-a", o)] = 0.5
    loop.rack.load_a[("pdu-a", "13")] = 10.5  # 10 A outlet; branch 12 A (75 %), rack far off
    loop.step(3)
    ev = [e for e in loop.codes("OUTLET_OVERLOAD") if e.pdu_id == "pdu-a"]
    assert ev and ev[0].source == "outlet/13" and ev[0].evidence["value"] == 10.5
    assert ev[0].evidence["limit"] == 10.0
    assert not loop.codes("FEED_OVERLOAD")
    loop.step(60)  # sustained for the 10 s window: switched off, cooldown hold
    trips = [e for e in loop.codes("OUTLET_OVERLOAD") if e.action_taken == "trip"]
    assert trips and trips[0].reason_code == "sustained_overload"
    assert loop.rack.relay[("pdu-a", "13")] is False
    assert loop.codes("OUTLET_LOCKED_OUT")[0].evidence["latched"] is False


def test_overload_trip_decided_in_the_same_window(make_loop) -> None:
    loop = make_loop()
    loop.start()
    loop.step(5)
    loop.rack.load_a[("pdu-a", "14")] = 30.0
    tick = loop.rack.tick
    loop.step(1)
    assert (tick, "pdu-a", "14", False) in loop.relays


def test_breaker_tripped_names_cause_and_holds_it(make_loop) -> None:
    loop = make_loop()
    loop.start()
    loop.step(10)
    loop.rack.load_a[("pdu-a", "15")] = 20.0  # the branch is over its 16 A: evidence of cause
    loop.step(1)
    loop.rack.tripped.add(("pdu-a", "B4"))
    loop.step(1)
    ev = loop.codes("BREAKER_TRIPPED")
    assert len(ev) == 1 and ev[0].source == "branch/B4"
    assert ev[0].evidence["cause_outlet"] == "15"
    assert ev[0].evidence["trip_kind"] == "overcurrent"
    assert {"peak", "rms", "duration_s", "window_s"} <= set(ev[0].evidence)
    assert loop.plane.is_locked_out("pdu-a", "15")
    assert loop.rack.relay[("pdu-a", "15")] is False
    loop.rack.tripped.clear()
    loop.step(1)
    assert loop.codes("BREAKER_CLOSED")


def test_a_trip_without_overcurrent_evidence_blames_no_outlet(make_loop) -> None:
    """Issue 11 item 7: a load rise under the branch rating is no evidence of causing a trip."""
    loop = make_loop()
    loop.start()
    loop.step(10)
    loop.rack.load_a[("pdu-a", "15")] = 9.0
    loop.step(1)
    loop.rack.tripped.add(("pdu-a", "B4"))
    loop.step(1)
    (ev,) = loop.codes("BREAKER_TRIPPED")
    assert ev.evidence["trip_kind"] == "unknown" and ev.evidence["cause_outlet"] is None
    assert ev.action_taken == "none" and "no outlet held off" in ev.message
    assert not loop.plane.is_locked_out("pdu-a", "15")
    assert not loop.codes("OUTLET_LOCKED_OUT")
