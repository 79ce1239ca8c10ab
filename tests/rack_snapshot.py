"""One way to build a :class:`RackSnapshot` from a rack configuration, for test stand-ins.

The control tests' ``SyntheticRack`` and the Redfish tests' ``FakeRuntime`` both walk the
configuration the same way: each outlet's reading, summed per branch, branches summed per
inlet phase, the inlet totals from the phases. They differ only in how a reading is made and
summed; those are the callables :func:`pdu_snapshot` takes. Imported as ``rack_snapshot``
(``tests/`` is on the path: its conftest lives there); benchmarks add ``tests/`` themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from smartpdu.config.models import PduConfig
from smartpdu.model.snapshot import (
    BranchSnapshot,
    ChannelReading,
    InletSnapshot,
    OutletSnapshot,
    PduSnapshot,
)
from smartpdu.model.states import BreakerState, OutletState

__all__ = ["pdu_snapshot"]

Combine = Callable[[str, Sequence[ChannelReading]], ChannelReading]
"""The reading of a ``"branch"`` or ``"phase"`` from the readings it carries."""


def pdu_snapshot(
    pc: PduConfig,
    outlet: Callable[[str], tuple[bool, ChannelReading]],
    combine: Combine,
    *,
    outlet_line: bool = True,
    feed_present: bool = True,
    tripped: Callable[[str], bool] = lambda _branch: False,
    outlet_extra: Callable[[str], dict[str, Any]] = lambda _outlet: {},
    branch_extra: Callable[[str], dict[str, Any]] = lambda _branch: {},
    inlet_extra: dict[str, Any] | None = None,
    nominal_frequency_hz: float | None = None,
) -> PduSnapshot:
    """The snapshot of PDU ``pc``: ``outlet(id) -> (on, reading)``; branches and phases from
    ``combine``; inlet power, apparent power and energy summed over the phases (``inlet_extra``
    overrides or adds fields)."""
    lines = {b.id: b.line for b in pc.branches}
    outlets: dict[str, OutletSnapshot] = {}
    for oc in pc.outlets:
        on, reading = outlet(oc.id)
        outlets[oc.id] = OutletSnapshot(
            id=oc.id, name=oc.name, branch=oc.branch,
            line=lines[oc.branch] if outlet_line else "", connector=str(oc.connector),
            rating_a=oc.rating_a, priority=str(oc.priority), group=oc.group,
            state=OutletState.of(on), commanded_on=on, relay_closed=on, locked_out=False,
            reading=reading, **outlet_extra(oc.id),
        )  # fmt: skip
    branches = {
        bc.id: BranchSnapshot(
            id=bc.id,
            name=bc.name,
            line=bc.line,
            breaker_kind=bc.breaker.kind,
            curve=bc.breaker.curve,
            rating_a=bc.breaker.rating_a,
            breaker_state=BreakerState.TRIPPED if tripped(bc.id) else BreakerState.CLOSED,
            reading=combine("branch", [o.reading for o in outlets.values() if o.branch == bc.id]),
            **branch_extra(bc.id),
        )
        for bc in pc.branches
    }
    phases = {
        line: combine("phase", [b.reading for b in branches.values() if b.line == line])
        for line in ("L1", "L2", "L3")[: pc.phases]
    }
    inlet: dict[str, Any] = {
        "feed": pc.feed, "feed_present": feed_present, "rating_a": pc.inlet_rating_a,
        "breaker_state": BreakerState.CLOSED, "phases": phases, "neutral_a": 0.0,
        "residual_ma": None, "power_w": sum(r.p_w for r in phases.values()),
        "apparent_va": sum(r.s_va for r in phases.values()),
        "energy_wh": sum(r.energy_wh for r in phases.values()), "frequency_hz": 50.0,
        **(inlet_extra or {}),
    }  # fmt: skip
    return PduSnapshot(
        id=pc.id, name=pc.name, feed=pc.feed, phases=pc.phases,
        nominal_voltage_v=pc.nominal_voltage_v,
        nominal_frequency_hz=nominal_frequency_hz or pc.nominal_frequency_hz,
        inlet=InletSnapshot(**inlet), branches=branches, outlets=outlets,
    )  # fmt: skip
