"""Issue 11 item 7: classify a breaker trip by its evidence; residual current is not overcurrent."""

from __future__ import annotations

import math

import pytest

from smartpdu.protection import McbSpec
from smartpdu.protection.breaker_watch import BreakerWatch
from smartpdu.protection.trip_cause import classify_trip
from smartpdu.protection.trip_curves import RcboSpec

C16 = McbSpec("C", 16.0)
RCBO = RcboSpec(C16, idn_ma=30.0)


def _rows(n: int, rms: float, peak: float, residual: float) -> list[tuple[float, float, float]]:
    return [(rms, peak, residual)] * n


def test_residual_above_half_idn_without_overcurrent_is_a_residual_trip() -> None:
    rows = [*_rows(10, 7.0, 10.0, 2.0), *_rows(3, 7.0, 10.0, 18.0), (0.0, 0.0, 0.0)]
    v = classify_trip(RCBO.releases, 30.0, rows, over_rating_s=0.0, position_pct=2.0)
    assert v.kind == "residual" and v.residual_ma == 18.0 and v.residual_limit_ma == 30.0
    assert not v.blames_outlet and v.overcurrent == ()


def test_residual_below_half_idn_is_no_evidence() -> None:
    rows = _rows(10, 7.0, 10.0, 14.9)  # 49.7 %: an RCBO must not operate (IEC 61009-1)
    v = classify_trip(RCBO.releases, 30.0, rows, over_rating_s=0.0, position_pct=2.0)
    assert v.kind == "unknown" and not v.blames_outlet


@pytest.mark.parametrize(
    ("rows", "over_s", "pos", "why"),
    [
        (_rows(5, 22.0, 31.0, 0.0), 12.0, 80.0, "over_rating"),
        (_rows(5, 10.0, 16.0 * 7.07 * math.sqrt(2) + 1, 0.0), 0.0, 5.0, "magnetic_peak"),
        (_rows(5, 15.0, 21.0, 0.0), 0.0, 95.0, "thermal"),
    ],
)
def test_each_overcurrent_evidence_blames_an_outlet(rows, over_s, pos, why) -> None:  # type: ignore[no-untyped-def]
    v = classify_trip(C16.releases, None, rows, over_rating_s=over_s, position_pct=pos)
    assert v.kind == "overcurrent" and why in v.overcurrent and v.blames_outlet


def test_watch_blames_no_outlet_for_a_residual_trip() -> None:
    w = BreakerWatch(RCBO, 16.0)
    hist = {"21": [(2.0, 3.0)] * 10 + [(6.0, 8.0)] * 3, "22": [(1.4, 2.0)] * 13}
    for _ in range(10):
        w.update(state="closed", i_rms_a=7.0, i_peak_a=10.0, window_s=0.2, residual_ma=20.0)
    _, trip, _ = w.update(state="tripped", i_rms_a=0.0, i_peak_a=0.0, window_s=0.2,
                          outlet_history=hist)  # fmt: skip
    assert trip is not None and trip.verdict.kind == "residual" and trip.cause is None
    # the same current history with an overcurrent before the trip does name outlet 21
    w2 = BreakerWatch(C16, 16.0)
    for _ in range(10):
        w2.update(state="closed", i_rms_a=20.0, i_peak_a=28.0, window_s=0.2)
    _, trip2, _ = w2.update(state="tripped", i_rms_a=0.0, i_peak_a=0.0, window_s=0.2,
                            outlet_history=hist)  # fmt: skip
    assert trip2 is not None and trip2.verdict.kind == "overcurrent"
    assert trip2.cause is not None and trip2.cause.outlet_id == "21"
