"""Display layer regressions (issue 11 item 20): "no value" is null, idle noise is not -0.1 W."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

from smartpdu.api.schemas import BranchOut, OutletOut
from smartpdu.api.views import branch_view, outlet_view
from smartpdu.model.metrics import Level, metrics_for
from smartpdu.model.snapshot import BranchSnapshot, ChannelReading, OutletSnapshot
from smartpdu.model.states import BreakerState, OutletState

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo-rack.yaml"

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


def test_the_compact_sse_payload_maps_every_field_through_the_catalogue() -> None:
    """Each compact value is its own snapshot field (distinct, exactly representable numbers,
    so a field read for another key shows), and "no value" is null."""
    from rack_snapshot import pdu_snapshot
    from smartpdu.api.views import compact_snapshot
    from smartpdu.config import load_config
    from smartpdu.model.snapshot import RackSnapshot

    pc = load_config(DEMO).pdus[0]

    def outlet(oid: str) -> tuple[bool, ChannelReading]:
        n = int(oid)
        return n != 2, ChannelReading(v_rms_v=230.0, i_rms_a=0.25 * n, p_w=50.0 * n,
                                      energy_wh=1000.0 + n)  # fmt: skip

    def combine(level: str, rs: Sequence[ChannelReading]) -> ChannelReading:
        i = sum(r.i_rms_a for r in rs)
        return ChannelReading(v_rms_v=231.5 if level == "phase" else math.nan, i_rms_a=i)

    pdu = pdu_snapshot(pc, outlet, combine, inlet_extra={"power_w": 1234.5, "energy_wh": 99.0})
    payload = compact_snapshot(RackSnapshot(1, "t", 0.2, "r", {pc.id: pdu}))["pdus"][pc.id]
    assert (payload["power_w"], payload["energy_wh"]) == (1234.5, 99.0)
    for line, r in pdu.inlet.phases.items():
        assert payload["phases"][line] == {"voltage_v": 231.5, "current_a": r.i_rms_a}
    for bid, b in pdu.branches.items():
        assert payload["branches"][bid] == {
            "breaker_state": b.breaker_state,
            "current_a": b.reading.i_rms_a,
        }
    assert payload["outlets"]["3"] == {"state": OutletState.ON, "current_a": 0.75,
                                       "power_w": 150.0, "energy_wh": 1003.0}  # fmt: skip
    assert payload["outlets"]["2"]["state"] is OutletState.OFF
