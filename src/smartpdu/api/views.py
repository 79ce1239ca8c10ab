"""Map the runtime snapshot onto API models (pure: reads a snapshot, never recomputes a metric)."""

from __future__ import annotations

import math
from typing import Any

from smartpdu.api.schemas import (
    BranchOut,
    CommandResultOut,
    InletOut,
    LeverOut,
    OutletOut,
    OutletOutcomeOut,
    PduOut,
    PduSummary,
    PhaseOut,
    SensorOut,
)
from smartpdu.model.commands import CommandResult
from smartpdu.model.snapshot import (
    BranchSnapshot,
    ChannelReading,
    InletSnapshot,
    LeverSnapshot,
    OutletSnapshot,
    PduSnapshot,
    RackSnapshot,
    SensorSnapshot,
)

__all__ = [
    "branch_view",
    "command_result_view",
    "compact_snapshot",
    "inlet_view",
    "lever_view",
    "outlet_view",
    "pdu_summary",
    "pdu_view",
    "sensor_view",
]


def num(x: float | None) -> float | None:
    """Finite floats pass; NaN/inf/None become None (JSON cannot carry them)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def phase_view(line: str, r: ChannelReading) -> PhaseOut:
    return PhaseOut(
        id=line,
        voltage_v=num(r.v_rms_v),
        current_a=num(r.i_rms_a),
        power_w=num(r.p_w),
        apparent_va=num(r.s_va),
        reactive_var=num(r.q1_var),
        pf=num(r.pf),
        cos_phi=num(r.cos_phi),
        thd_u_pct=num(r.thd_u_pct),
        thd_i_pct=num(r.thd_i_pct),
        crest_factor=num(r.crest_factor),
        frequency_hz=num(r.frequency_hz),
        energy_wh=num(r.energy_wh),
    )


def inlet_view(i: InletSnapshot) -> InletOut:
    return InletOut(
        feed=i.feed,
        feed_present=i.feed_present,
        rating_a=num(i.rating_a),
        breaker_state=i.breaker_state,
        neutral_a=num(i.neutral_a),
        residual_ma=num(i.residual_ma),
        power_w=num(i.power_w),
        apparent_va=num(i.apparent_va),
        energy_wh=num(i.energy_wh),
        frequency_hz=num(i.frequency_hz),
        demand_power_w=num(i.demand_power_w),
        max_demand_power_w=num(i.max_demand_power_w),
        demand_current_a={k: num(v) for k, v in sorted(i.demand_current_a.items())},
        max_demand_current_a={k: num(v) for k, v in sorted(i.max_demand_current_a.items())},
        phases=[phase_view(k, r) for k, r in sorted(i.phases.items())],
    )


def branch_view(b: BranchSnapshot, outlets: list[str]) -> BranchOut:
    r = b.reading
    return BranchOut(
        id=b.id,
        name=b.name,
        line=b.line,
        breaker_kind=b.breaker_kind,
        curve=b.curve,
        rating_a=num(b.rating_a),
        breaker_state=b.breaker_state,
        residual_ma=num(b.residual_ma),
        trip_risk_pct=num(b.trip_risk_pct),
        voltage_v=num(r.v_rms_v),
        current_a=num(r.i_rms_a),
        power_w=num(r.p_w),
        apparent_va=num(r.s_va),
        pf=num(r.pf),
        thd_i_pct=num(r.thd_i_pct),
        crest_factor=num(r.crest_factor),
        energy_wh=num(r.energy_wh),
        outlets=outlets,
    )


def outlet_view(o: OutletSnapshot) -> OutletOut:
    r = o.reading
    return OutletOut(
        id=o.id,
        name=o.name,
        state=o.state,
        current_a=num(r.i_rms_a),
        power_w=num(r.p_w),
        energy_wh=num(r.energy_wh),
        voltage_v=num(r.v_rms_v),
        pf=num(r.pf),
        apparent_va=num(r.s_va),
        reactive_var=num(r.q1_var),
        thd_i_pct=num(r.thd_i_pct),
        crest_factor=num(r.crest_factor),
        peak_current_a=num(r.i_peak_a),
        energy_export_wh=num(r.energy_export_wh),
        energy_varh=num(r.energy_varh),
        energy_vah=num(r.energy_vah),
        priority=o.priority,
        group=o.group,
        branch=o.branch,
        line=o.line,
        connector=o.connector,
        rating_a=num(o.rating_a),
        locked_out=o.locked_out,
        commanded_on=o.commanded_on,
        relay_closed=o.relay_closed,
        terminal_temp_c=num(o.terminal_temp_c),
        relay_cycles=o.relay_cycles,
        flags=list(r.flags),
    )


def _summary_fields(p: PduSnapshot) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "feed": p.feed,
        "phases": p.phases,
        "nominal_voltage_v": num(p.nominal_voltage_v),
        "nominal_frequency_hz": num(p.nominal_frequency_hz),
        "power_w": num(p.inlet.power_w),
        "apparent_va": num(p.inlet.apparent_va),
        "energy_wh": num(p.inlet.energy_wh),
        "outlet_count": len(p.outlets),
        "outlets_on": sum(1 for o in p.outlets.values() if o.state == "on"),
    }


def pdu_summary(p: PduSnapshot) -> PduSummary:
    return PduSummary(**_summary_fields(p))


def outlet_groups(p: PduSnapshot) -> list[str]:
    return sorted({o.group for o in p.outlets.values() if o.group})


def pdu_view(p: PduSnapshot) -> PduOut:
    return PduOut(
        **_summary_fields(p),
        inlet=inlet_view(p.inlet),
        branches=list(p.branches),
        outlets=list(p.outlets),
        outlet_groups=outlet_groups(p),
    )


def branch_outlets(p: PduSnapshot, branch_id: str) -> list[str]:
    return [o.id for o in p.outlets.values() if o.branch == branch_id]


def sensor_view(s: SensorSnapshot) -> SensorOut:
    return SensorOut(
        id=s.id,
        kind=s.kind,
        name=s.name,
        value=num(s.value),
        unit=s.unit,
        status=s.status,
        pdu=s.pdu,
    )


def lever_view(lv: LeverSnapshot) -> LeverOut:
    return LeverOut(
        id=lv.id, name=lv.name, position=lv.position, locked=lv.locked, handle_open=lv.handle_open
    )


def command_result_view(r: CommandResult) -> CommandResultOut:
    return CommandResultOut(
        command_id=r.command_id,
        status=str(r.status),
        detail=r.detail,
        outlets=[
            OutletOutcomeOut(
                outlet_id=o.outlet_id,
                status=str(o.status),
                detail=o.detail,
                event_code=o.event_code,
            )
            for o in r.outlets
        ],
        event_sequence_ids=list(r.event_sequence_ids),
    )


def compact_snapshot(s: RackSnapshot) -> dict[str, Any]:
    """The SSE ``reading`` payload: enough for a live view, small enough for once a second."""
    return {
        "tick": s.tick,
        "timestamp_utc": s.timestamp_utc,
        "pdus": {
            pid: {
                "power_w": num(p.inlet.power_w),
                "energy_wh": num(p.inlet.energy_wh),
                "feed_present": p.inlet.feed_present,
                "phases": {
                    line: {"voltage_v": num(r.v_rms_v), "current_a": num(r.i_rms_a)}
                    for line, r in sorted(p.inlet.phases.items())
                },
                "branches": {
                    bid: {"current_a": num(b.reading.i_rms_a), "breaker_state": b.breaker_state}
                    for bid, b in p.branches.items()
                },
                "outlets": {
                    oid: {
                        "state": o.state,
                        "current_a": num(o.reading.i_rms_a),
                        "power_w": num(o.reading.p_w),
                        "energy_wh": num(o.reading.energy_wh),
                    }
                    for oid, o in p.outlets.items()
                },
            }
            for pid, p in s.pdus.items()
        },
        "sensors": {sid: num(x.value) for sid, x in s.sensors.items()},
    }
