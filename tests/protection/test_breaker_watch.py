"""Breaker watch: trip risk rises before the model trips; trip evidence names the cause."""

from smartpdu.config.models import BreakerConfig
from smartpdu.protection import BreakerWatch, branch_breaker_spec, likely_cause


def test_risk_is_raised_before_a_thermal_trip() -> None:
    w = BreakerWatch(branch_breaker_spec(BreakerConfig(kind="MCB", curve="C", rating_a=16.0)), 16.0)
    raised_at = None
    trip_at = None
    for k in range(2000):
        i = 14.0 + 0.01 * k  # slow ramp through the rating
        risk, _, _ = w.update(state="closed", i_rms_a=i, i_peak_a=i * 1.414, window_s=0.2)
        assert risk is not None
        if risk.raised and raised_at is None:
            raised_at = k
        if risk.predicted_trip is not None:
            trip_at = k
            break
    assert raised_at is not None and trip_at is not None and raised_at < trip_at


def test_trip_evidence_and_cause() -> None:
    w = BreakerWatch(
        branch_breaker_spec(BreakerConfig(kind="RCBO", curve="C", rating_a=16.0)), 16.0
    )
    for _ in range(10):
        w.update(state="closed", i_rms_a=8.0, i_peak_a=11.0, window_s=0.2)
    w.update(state="closed", i_rms_a=20.0, i_peak_a=150.0, window_s=0.2)
    hist = {
        "21": [(6.0, 8.5)] * 10 + [(6.1, 8.6)],
        "22": [(0.0, 0.0)] * 10 + [(9.0, 60.0)],
        "23": [(2.0, 2.8)] * 11,
    }
    _, trip, _ = w.update(
        state="tripped", i_rms_a=0.0, i_peak_a=0.0, window_s=0.2, outlet_history=hist
    )
    assert trip is not None
    assert trip.peak_a == 150.0 and trip.rms_a == 20.0
    assert trip.cause is not None and trip.cause.outlet_id == "22"
    # seen tripped again: no second trip report; closed again: reclosed flag
    assert w.update(state="tripped", i_rms_a=0.0, i_peak_a=0.0, window_s=0.2)[1] is None
    assert w.update(state="closed", i_rms_a=0.0, i_peak_a=0.0, window_s=0.2)[2] is True


def test_likely_cause_none_without_rise() -> None:
    assert likely_cause({"1": [(1.0, 1.4)] * 5}) is None
