"""Hand-built snapshots of a configured rack for tests and benchmarks (no twin, no metering).

A test helper, not product code: control tests import it as ``synthetic_rack`` (pytest puts this
directory on the path); ``benchmarks/control.py`` adds the directory itself.

``SyntheticRack`` keeps per-outlet currents and relay states, follows the relay commands of the
control plane like latching relays would (a welded relay ignores "off"), sums outlet currents
into branches and phases, and renders a :class:`RackSnapshot` per window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from smartpdu.config import RackConfig
from smartpdu.control.types import RelayCommand
from smartpdu.model.snapshot import (
    BranchSnapshot,
    ChannelReading,
    InletSnapshot,
    OutletSnapshot,
    PduSnapshot,
    RackSnapshot,
)
from smartpdu.model.states import BreakerState, OutletState

__all__ = ["SyntheticRack"]

_SQRT2 = math.sqrt(2.0)


@dataclass(slots=True)
class SyntheticRack:
    config: RackConfig
    window_s: float = 0.2
    load_a: dict[tuple[str, str], float] = field(default_factory=dict)
    """Current each outlet draws when powered."""
    relay: dict[tuple[str, str], bool] = field(default_factory=dict)
    welded: set[tuple[str, str]] = field(default_factory=set)
    dead: set[tuple[str, str]] = field(default_factory=set)
    feed_present: dict[str, bool] = field(default_factory=dict)
    tripped: set[tuple[str, str]] = field(default_factory=set)
    temp_c: dict[tuple[str, str], float] = field(default_factory=dict)
    peak_a: dict[tuple[str, str], float] = field(default_factory=dict)
    """One-window peak override (inrush), cleared after rendering."""
    tick: int = 0
    voltage_v: float = 230.0

    def __post_init__(self) -> None:
        for p in self.config.pdus:
            self.feed_present.setdefault(p.id, True)
            for o in p.outlets:
                self.relay.setdefault((p.id, o.id), True)
                self.load_a.setdefault((p.id, o.id), 1.0)

    def apply(self, commands: list[RelayCommand]) -> None:
        for c in commands:
            key = (c.pdu_id, c.outlet_id)
            if key in self.welded and not c.on:
                continue
            if key in self.dead and c.on:
                continue
            self.relay[key] = c.on

    def current(self, pdu_id: str, outlet_id: str, branch: str) -> float:
        key = (pdu_id, outlet_id)
        if not (self.relay[key] and self.feed_present[pdu_id]):
            return 0.0
        if (pdu_id, branch) in self.tripped:
            return 0.0
        return self.load_a.get(key, 0.0)

    def snapshot(self) -> RackSnapshot:
        pdus: dict[str, PduSnapshot] = {}
        v = self.voltage_v
        for p in self.config.pdus:
            feed = self.feed_present[p.id]
            outlets: dict[str, OutletSnapshot] = {}
            branch_i: dict[str, float] = {b.id: 0.0 for b in p.branches}
            branch_pk: dict[str, float] = {b.id: 0.0 for b in p.branches}
            for o in p.outlets:
                key = (p.id, o.id)
                i = self.current(p.id, o.id, o.branch)
                pk = self.peak_a.pop(key, i * _SQRT2) if i > 0 else 0.0
                branch_i[o.branch] += i
                branch_pk[o.branch] += pk
                outlets[o.id] = OutletSnapshot(
                    id=o.id,
                    name=o.name,
                    branch=o.branch,
                    line="",
                    connector=str(o.connector),
                    rating_a=o.rating_a,
                    priority=str(o.priority),
                    group=o.group,
                    state=OutletState.of(self.relay[key]),
                    commanded_on=self.relay[key],
                    relay_closed=self.relay[key],
                    locked_out=False,
                    reading=ChannelReading(
                        v_rms_v=v if feed else 0.0, i_rms_a=i, p_w=i * v, s_va=i * v, i_peak_a=pk
                    ),
                    terminal_temp_c=self.temp_c.get(key),
                )
            line_i: dict[str, float] = {}
            branches: dict[str, BranchSnapshot] = {}
            for b in p.branches:
                state = (
                    BreakerState.TRIPPED if (p.id, b.id) in self.tripped else BreakerState.CLOSED
                )
                line_i[b.line] = line_i.get(b.line, 0.0) + branch_i[b.id]
                branches[b.id] = BranchSnapshot(
                    id=b.id,
                    name=b.name,
                    line=b.line,
                    breaker_kind=b.breaker.kind,
                    curve=b.breaker.curve,
                    rating_a=b.breaker.rating_a,
                    breaker_state=state,
                    reading=ChannelReading(
                        i_rms_a=branch_i[b.id], i_peak_a=branch_pk[b.id], s_va=branch_i[b.id] * v
                    ),
                )
            lines = ["L1", "L2", "L3"][: p.phases]
            phases = {
                ln: ChannelReading(
                    i_rms_a=line_i.get(ln, 0.0),
                    i_peak_a=line_i.get(ln, 0.0) * _SQRT2,
                    s_va=line_i.get(ln, 0.0) * v,
                )
                for ln in lines
            }
            total_va = sum(r.s_va for r in phases.values())
            inlet = InletSnapshot(
                feed=p.feed,
                feed_present=feed,
                rating_a=p.inlet_rating_a,
                breaker_state=BreakerState.CLOSED,
                phases=phases,
                neutral_a=0.0,
                residual_ma=None,
                power_w=total_va,
                apparent_va=total_va,
                energy_wh=0.0,
                frequency_hz=50.0,
            )
            pdus[p.id] = PduSnapshot(
                id=p.id,
                name=p.name,
                feed=p.feed,
                phases=p.phases,
                nominal_voltage_v=p.nominal_voltage_v,
                nominal_frequency_hz=50.0,
                inlet=inlet,
                branches=branches,
                outlets=outlets,
            )
        snap = RackSnapshot(
            tick=self.tick,
            timestamp_utc="2026-01-01T00:00:00Z",
            t_s=self.tick * self.window_s,
            rack_name=self.config.rack.name,
            pdus=pdus,
        )
        self.tick += 1
        return snap
