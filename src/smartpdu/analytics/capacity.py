"""Capacity: reserve per branch and inlet phase under the 80 % rule and under N redundancy, and
what-if changes computed on the measured loads without touching the rack (pure, no I/O).

For every branch and inlet phase of every PDU::

    limit       = 80 % of the rating (breaker rating, inlet rating per phase)
    reserve     = limit − measured current                       (A, and kW at nominal voltage)
    n_projected = current if the *other* feed failed (see redundancy.failover_projection)
    n_reserve   = limit − n_projected

A what-if starts from the measured outlet currents, removes the current of removed or moved
devices' outlets, adds each new PSU's current ``rated_power_w · load_fraction · share / (V · PF)``
(PF by load kind), and recomputes the rows — nothing is switched, nothing is stored.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from smartpdu.config import DeviceConfig, LoadKind, RackConfig
from smartpdu.model.snapshot import RackSnapshot

__all__ = ["DERATE", "PF_BY_KIND", "CapacityRow", "WhatIf", "capacity", "what_if"]

DERATE = 0.8
PF_BY_KIND: Mapping[LoadKind, float] = {
    LoadKind.ACTIVE_PFC: 0.98,
    LoadKind.GPU: 0.98,
    LoadKind.NON_PFC: 0.65,
    LoadKind.RESISTIVE: 1.0,
}
"""Power factor assumed for a device that is not measured yet (added by a what-if)."""


@dataclass(frozen=True, slots=True)
class CapacityRow:
    pdu_id: str
    feed: str
    entity: str
    """``branch/B1`` or ``inlet/L1``."""
    rating_a: float
    measured_a: float
    n_projected_a: float
    nominal_v: float

    @property
    def limit_a(self) -> float:
        return DERATE * self.rating_a

    @property
    def reserve_a(self) -> float:
        return self.limit_a - self.measured_a

    @property
    def n_reserve_a(self) -> float:
        return self.limit_a - self.n_projected_a

    def as_dict(self) -> dict[str, float | str]:
        v = self.nominal_v
        return {
            "pdu_id": self.pdu_id,
            "feed": self.feed,
            "entity": self.entity,
            "rating_a": self.rating_a,
            "limit_a": round(self.limit_a, 3),
            "measured_a": round(self.measured_a, 3),
            "reserve_a": round(self.reserve_a, 3),
            "reserve_kw": round(self.reserve_a * v / 1e3, 3),
            "n_projected_a": round(self.n_projected_a, 3),
            "n_reserve_a": round(self.n_reserve_a, 3),
            "n_reserve_kw": round(self.n_reserve_a * v / 1e3, 3),
        }


@dataclass(frozen=True, slots=True)
class WhatIf:
    """Devices added (full device configurations), removed (names), moved (name → new PSUs)."""

    add: Sequence[DeviceConfig] = ()
    remove: Sequence[str] = ()
    move: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)
    """Device name → its PSUs' new (pdu, outlet), in the order of its configured PSUs."""


def _measured_outlets(snap: RackSnapshot) -> dict[tuple[str, str], float]:
    out = {}
    for pid, ps in snap.pdus.items():
        for oid, o in ps.outlets.items():
            i = o.reading.i_rms_a
            out[(pid, oid)] = i if math.isfinite(i) and i > 0 else 0.0
    return out


def _rows(
    config: RackConfig,
    snap: RackSnapshot,
    devices: Sequence[DeviceConfig],
    outlet_a: Mapping[tuple[str, str], float],
    base_a: Mapping[tuple[str, str], float],
) -> list[CapacityRow]:
    feed_of = {p.id: p.feed for p in config.pdus}
    # N redundancy: each feed's PSUs' currents move to the same device's PSUs on the other feed
    moved: dict[str, dict[tuple[str, str], float]] = {
        f: defaultdict(float) for f in feed_of.values()
    }
    for d in devices:
        for failed in moved:
            lost = [p for p in d.psus if feed_of.get(p.pdu) == failed]
            alive = [p for p in d.psus if p.pdu in feed_of and feed_of[p.pdu] != failed]
            if lost and alive:
                amps = sum(outlet_a.get((p.pdu, p.outlet), 0.0) for p in lost)
                for p in alive:
                    moved[failed][(p.pdu, p.outlet)] += amps / len(alive)
    rows: list[CapacityRow] = []
    for pdu in config.pdus:
        ps = snap.pdus.get(pdu.id)
        if ps is None:
            continue
        branch_of = {o.id: o.branch for o in pdu.outlets}
        line_of = {b.id: b.line for b in pdu.branches}
        delta_b: dict[str, float] = defaultdict(float)
        add_b: dict[str, float] = defaultdict(float)
        for (pid, oid), amps in outlet_a.items():
            if pid == pdu.id:
                delta_b[branch_of[oid]] += amps - base_a.get((pid, oid), 0.0)
        others = [f for f in moved if f != pdu.feed]
        for f in others:
            for (pid, oid), amps in moved[f].items():
                if pid == pdu.id:
                    add_b[branch_of[oid]] += amps
        delta_l: dict[str, float] = defaultdict(float)
        add_l: dict[str, float] = defaultdict(float)
        for bid in set(delta_b) | set(add_b):
            delta_l[line_of[bid]] += delta_b.get(bid, 0.0)
            add_l[line_of[bid]] += add_b.get(bid, 0.0)
        v = pdu.nominal_voltage_v
        for b in pdu.branches:
            i = ps.branches[b.id].reading.i_rms_a if b.id in ps.branches else 0.0
            i = (i if math.isfinite(i) else 0.0) + delta_b.get(b.id, 0.0)
            rows.append(CapacityRow(pdu.id, pdu.feed, f"branch/{b.id}", b.breaker.rating_a,
                                    i, i + add_b.get(b.id, 0.0), v))  # fmt: skip
        for line, r in ps.inlet.phases.items():
            i = (r.i_rms_a if math.isfinite(r.i_rms_a) else 0.0) + delta_l.get(line, 0.0)
            rows.append(CapacityRow(pdu.id, pdu.feed, f"inlet/{line}", pdu.inlet_rating_a,
                                    i, i + add_l.get(line, 0.0), v))  # fmt: skip
    return rows


def capacity(config: RackConfig, snap: RackSnapshot) -> list[CapacityRow]:
    """Reserve of every branch and inlet phase on the measured loads."""
    measured = _measured_outlets(snap)
    return _rows(config, snap, config.devices, measured, measured)


def what_if(config: RackConfig, snap: RackSnapshot, change: WhatIf) -> list[CapacityRow]:
    """The rows as they would be after ``change`` (``KeyError`` naming an unknown device/outlet,
    ``ValueError`` for an outlet that is taken)."""
    measured = _measured_outlets(snap)
    outlet_a = dict(measured)
    by_name = {d.name: d for d in config.devices}
    devices = {d.name: d for d in config.devices}
    known_outlets = set(measured)
    for name in [*change.remove, *change.move]:
        if name not in by_name:
            raise KeyError(f"no device {name!r} in the rack")
    for name in change.remove:
        for p in by_name[name].psus:
            outlet_a[(p.pdu, p.outlet)] = 0.0
        devices.pop(name)
    for name, targets in change.move.items():
        d = by_name[name]
        if len(targets) != len(d.psus):
            raise ValueError(f"{name} has {len(d.psus)} PSUs; give as many new outlets")
        amps = [outlet_a.get((p.pdu, p.outlet), 0.0) for p in d.psus]
        for p in d.psus:
            outlet_a[(p.pdu, p.outlet)] = 0.0
        for (pdu, oid), a in zip(targets, amps, strict=True):
            if (pdu, oid) not in known_outlets:
                raise KeyError(f"no outlet {pdu}/{oid}")
            outlet_a[(pdu, oid)] += a
        psus = [p.model_copy(update={"pdu": t[0], "outlet": t[1]})
                for p, t in zip(d.psus, targets, strict=True)]  # fmt: skip
        devices[name] = d.model_copy(update={"psus": psus})
    used = {(p.pdu, p.outlet) for d in devices.values() for p in d.psus}
    for d in change.add:
        if d.name in devices:
            raise ValueError(f"a device {d.name!r} is already in the rack")
        pf = PF_BY_KIND.get(d.load.kind, 0.95)
        for p in d.psus:
            if (p.pdu, p.outlet) not in known_outlets:
                raise KeyError(f"no outlet {p.pdu}/{p.outlet}")
            if (p.pdu, p.outlet) in used:
                raise ValueError(f"outlet {p.pdu}/{p.outlet} already feeds a device")
            v = config.pdu(p.pdu).nominal_voltage_v
            share = p.share if len(d.psus) > 1 else 1.0
            outlet_a[(p.pdu, p.outlet)] += (
                d.load.rated_power_w * d.load.load_fraction * share / (v * pf)
            )
        devices[d.name] = d
    return _rows(config, snap, list(devices.values()), outlet_a, measured)
