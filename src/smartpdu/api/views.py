"""Map the runtime snapshot onto API models (pure: reads a snapshot, never recomputes a metric)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from smartpdu.api.schemas import (
    BranchOut,
    CommandResultOut,
    HarmonicsOut,
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
from smartpdu.model.harmonics import ChannelHarmonics
from smartpdu.model.metrics import Level, Metric, display, metrics_for
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
from smartpdu.model.states import OutletState

__all__ = [
    "branch_view",
    "command_result_view",
    "compact_snapshot",
    "harmonics_view",
    "inlet_view",
    "lever_view",
    "metric_values",
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


_ROWS: dict[Level, tuple[Metric, ...]] = {
    level: tuple(m for m in metrics_for(level) if m.rest) for level in Level
}
_BY_KEY: dict[tuple[Level, str], Metric] = {(lv, m.key): m for lv, ms in _ROWS.items() for m in ms}


def _raw(m: Metric, reading: ChannelReading | None, entity: object | None) -> Any:
    """The snapshot value a catalogue row names (a channel reading's, or its entity's)."""
    return getattr(reading if m.source is ChannelReading else entity, m.field)


def metric_values(
    level: Level, reading: ChannelReading | None, entity: object | None
) -> dict[str, Any]:
    """The REST fields of one level, generated from the catalogue (null for "no value")."""
    out: dict[str, Any] = {}
    for m in _ROWS[level]:
        shown = display(m, _raw(m, reading, entity))
        out[m.rest or m.key] = int(shown) if shown is not None and m.precision == 0 else shown
    return out


def shown(level: Level, key: str, value: float | None) -> float | None:
    """One value as the catalogue displays it (for compact payloads built by hand)."""
    return display(_BY_KEY[(level, key)], value)


_M = TypeVar("_M", bound=BaseModel)


def _catalogued(
    model: type[_M],
    level: Level,
    reading: ChannelReading | None,
    entity: object | None,
    copied: tuple[str, ...],
    **fields: Any,
) -> _M:
    """One entity's view: attributes copied by name, ``fields`` given, and the catalogue's
    metrics of ``level`` (the one block every entity view is made of)."""
    return model.model_validate(
        {
            **{name: getattr(entity, name) for name in copied},
            **fields,
            **metric_values(level, reading, entity),
        }
    )


def phase_view(line: str, r: ChannelReading) -> PhaseOut:
    return _catalogued(PhaseOut, Level.PHASE, r, None, (), id=line)


def inlet_view(i: InletSnapshot) -> InletOut:
    def demand(by_line: Mapping[str, float]) -> dict[str, float | None]:
        return {k: shown(Level.PHASE, "current_a", v) for k, v in sorted(by_line.items())}

    return _catalogued(
        InletOut,
        Level.INLET,
        None,
        i,
        ("feed", "feed_present", "breaker_state"),
        rating_a=num(i.rating_a),
        demand_current_a=demand(i.demand_current_a),
        max_demand_current_a=demand(i.max_demand_current_a),
        phases=[phase_view(k, r) for k, r in sorted(i.phases.items())],
    )


def branch_view(b: BranchSnapshot, outlets: list[str]) -> BranchOut:
    return _catalogued(
        BranchOut,
        Level.BRANCH,
        b.reading,
        b,
        ("id", "name", "line", "breaker_kind", "curve", "breaker_state"),
        rating_a=num(b.rating_a),
        outlets=outlets,
    )


_OUTLET_COPIED = ("id", "name", "state", "priority", "group", "branch", "line", "connector",
                  "locked_out", "commanded_on", "relay_closed")  # fmt: skip


def outlet_view(o: OutletSnapshot) -> OutletOut:
    return _catalogued(
        OutletOut,
        Level.OUTLET,
        o.reading,
        o,
        _OUTLET_COPIED,
        rating_a=num(o.rating_a),
        flags=list(o.reading.flags),
    )


def harmonics_view(pdu_id: str, h: ChannelHarmonics) -> HarmonicsOut:
    return HarmonicsOut(
        pdu_id=pdu_id,
        channel=h.channel,
        orders=list(h.orders),
        current_a=[_round(x, 4) for x in h.current_a],
        current_phase_deg=[_round(x, 1) for x in h.current_phase_deg],
        voltage_v=[_round(x, 3) for x in h.voltage_v],
        voltage_phase_deg=[_round(x, 1) for x in h.voltage_phase_deg],
    )


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits) + 0.0


def _summary_fields(p: PduSnapshot) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "feed": p.feed,
        "phases": p.phases,
        "nominal_voltage_v": num(p.nominal_voltage_v),
        "nominal_frequency_hz": num(p.nominal_frequency_hz),
        "power_w": shown(Level.INLET, "power_w", p.inlet.power_w),
        "apparent_va": shown(Level.INLET, "apparent_va", p.inlet.apparent_va),
        "energy_wh": shown(Level.INLET, "energy_wh", p.inlet.energy_wh),
        "outlet_count": len(p.outlets),
        "outlets_on": sum(1 for o in p.outlets.values() if o.state is OutletState.ON),
    }


def pdu_summary(p: PduSnapshot) -> PduSummary:
    return PduSummary(**_summary_fields(p))


def outlet_groups(p: PduSnapshot) -> list[str]:
    return list(p.outlet_groups())


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
        value=shown(Level.SENSOR, "value", s.value),
        unit=s.unit,
        status=s.status,
        pdu=s.pdu,
    )


def lever_view(lv: LeverSnapshot) -> LeverOut:
    return LeverOut(
        id=lv.id,
        name=lv.name,
        position=lv.position,
        locked=lv.locked,
        handle_open=lv.handle_open,
        state=lv.state.value,
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


_COMPACT: dict[Level, tuple[str, ...]] = {
    Level.INLET: ("power_w", "energy_wh"),
    Level.PHASE: ("voltage_v", "current_a"),
    Level.BRANCH: ("current_a",),
    Level.OUTLET: ("current_a", "power_w", "energy_wh"),
}
"""The catalogue keys each level carries in the compact SSE payload."""


def _compact(
    level: Level, reading: ChannelReading | None, entity: object | None = None, **extra: Any
) -> dict[str, Any]:
    """``extra`` and the compact metrics of ``level``, looked up and displayed by the catalogue."""
    rows = (_BY_KEY[(level, key)] for key in _COMPACT[level])
    return {**extra, **{m.key: display(m, _raw(m, reading, entity)) for m in rows}}


def compact_snapshot(s: RackSnapshot) -> dict[str, Any]:
    """The SSE ``reading`` payload: enough for a live view, small enough for once a second."""
    return {
        "tick": s.tick,
        "timestamp_utc": s.timestamp_utc,
        "pdus": {
            pid: {
                **_compact(Level.INLET, None, p.inlet),
                "feed_present": p.inlet.feed_present,
                "phases": {
                    line: _compact(Level.PHASE, r) for line, r in sorted(p.inlet.phases.items())
                },
                "branches": {
                    bid: _compact(Level.BRANCH, b.reading, b, breaker_state=b.breaker_state)
                    for bid, b in p.branches.items()
                },
                "outlets": {
                    oid: _compact(Level.OUTLET, o.reading, o, state=o.state)
                    for oid, o in p.outlets.items()
                },
            }
            for pid, p in s.pdus.items()
        },
        "sensors": {sid: shown(Level.SENSOR, "value", x.value) for sid, x in s.sensors.items()},
        "risk_score": s.risk.score if s.risk is not None else None,
    }
