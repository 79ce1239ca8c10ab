"""Display layer regressions (issue 11 item 20): "no value" is null, idle noise is not -0.1 W."""

from __future__ import annotations

import json
import math

from smartpdu.api.schemas import BranchOut, OutletOut
from smartpdu.api.views import branch_view, outlet_view
from smartpdu.model.metrics import Level, metrics_for
from smartpdu.model.snapshot import BranchSnapshot, ChannelReading, OutletSnapshot
from smartpdu.model.states import BreakerState, OutletState

IDLE = ChannelReading(
    v_rms_v=230.1234,
    i_rms_a=0.0004,
    p_w=-0.1,
    q1_var=-0.0,
    s_va=0.09,
    pf=math.nan,
    cos_phi=math.nan,
    thd_u_pct=2.5,
    thd_i_pct=math.nan,
    crest_factor=math.nan,
    i_peak_a=0.001,
    frequency_hz=50.01,
    energy_wh=12.0,
    flags=("low_signal",),
)


def _outlet(reading: ChannelReading) -> OutletSnapshot:
    return OutletSnapshot(
        id="7",
        name="Outlet 7",
        branch="B1",
        line="L1",
        connector="C13",
        rating_a=10.0,
        priority="normal",
        group=None,
        state=OutletState.OFF,
        commanded_on=False,
        relay_closed=False,
        locked_out=False,
        reading=reading,
    )


def test_idle_outlet_shows_null_ratios_and_no_negative_noise() -> None:
    body = json.loads(outlet_view(_outlet(IDLE)).model_dump_json())
    for field in ("pf", "cos_phi", "thd_i_pct", "crest_factor"):
        assert body[field] is None, field
    assert body["power_w"] == 0.0 and body["reactive_var"] == 0.0
    assert '"power_w":-' not in outlet_view(_outlet(IDLE)).model_dump_json()
    assert '"reactive_var":-0.0' not in outlet_view(_outlet(IDLE)).model_dump_json()
    assert body["voltage_v"] == 230.12 and body["flags"] == ["low_signal"]
    assert body["state"] == "off"


def test_views_carry_exactly_the_catalogue_fields() -> None:
    out = outlet_view(_outlet(IDLE)).model_dump()
    for m in metrics_for(Level.OUTLET):
        assert m.rest in out
    assert set(OutletOut.model_fields) >= {m.rest for m in metrics_for(Level.OUTLET) if m.rest}
    b = BranchSnapshot("B1", "Branch B1", "L1", "MCB", "C", 16.0, BreakerState.TRIPPED, IDLE)
    body = branch_view(b, ["7"]).model_dump()
    assert body["breaker_state"] == "tripped" and body["cos_phi"] is None
    assert set(BranchOut.model_fields) >= {m.rest for m in metrics_for(Level.BRANCH) if m.rest}
