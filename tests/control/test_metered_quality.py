"""Protection classifies outlets on metered values (NaN kept, quality flags attached), not on the
display snapshot where a missing value reads 0 A (issue 10 item 3)."""

from __future__ import annotations

import math

from smartpdu.control import ControlSettings
from smartpdu.control.settings import SheddingSettings
from smartpdu.protection.classify import ClassifierSettings, MeteredCurrent

SETTINGS = ControlSettings(
    classifier=ClassifierSettings(ocp_windows=(), overload_window_s=2.0),
    shedding=SheddingSettings(enabled=False),
)
NAN = MeteredCurrent(math.nan, math.nan, ("low_signal",))


def _run(make_loop, gap: MeteredCurrent, flags: tuple[str, ...] = ()) -> list:  # type: ignore[no-untyped-def]
    """Outlet pdu-a/1 draws 12 A on its 10 A rating; windows 8-12 have no usable measurement."""
    loop = make_loop(settings=SETTINGS)
    loop.rack.load_a[("pdu-a", "1")] = 12.0
    loop.start()
    trips = []
    for k in range(20):
        snap = loop.rack.snapshot()
        r = snap.pdus["pdu-a"].outlets["1"].reading
        m = gap if 8 <= k < 13 else MeteredCurrent(r.i_rms_a, r.i_peak_a, flags)
        out = loop.plane.on_tick(snap, {"pdu-a": {"1": m}})
        loop._take(out, snap.tick)
        trips += [
            (k, e)
            for e in out.events
            if e.event_code == "OUTLET_OVERLOAD" and e.action_taken == "trip"
        ]
    return trips


def test_a_measurement_gap_does_not_reset_a_sustained_overload(make_loop) -> None:  # type: ignore[no-untyped-def]
    # 3 windows of inrush grace, 5 + 5 windows above rating around the 5-window gap: 2.0 s
    trips = _run(make_loop, NAN)
    assert [k for k, _ in trips] == [17]


def test_the_same_gap_read_as_zero_would_have_hidden_it(make_loop) -> None:  # type: ignore[no-untyped-def]
    assert _run(make_loop, MeteredCurrent(0.0, 0.0)) == []


def test_quality_flags_reach_the_evidence_of_the_decision(make_loop) -> None:  # type: ignore[no-untyped-def]
    trips = _run(make_loop, NAN, flags=("clipping",))
    assert trips and trips[0][1].evidence["quality"] == "clipping"
