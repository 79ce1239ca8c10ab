"""Devices as objects: their PSUs across PDUs, and the headroom check before switching one on.

A device's PSUs sit on outlets of PDU A and PDU B (outlet, feed, phase, branch, live current and
share). Before a device is switched on (or cycled), each PSU's branch is checked without the
device's own present load (pure, from the snapshot):

- **steady**: branch current + the device's expected current on that branch ≤ 80 % of the
  breaker rating, and the same for the inlet phase;
- **inrush**: the branch's present peak (√2 · rms) + the inrush peaks of the device's PSUs on
  that branch (switched at once) stays below the peak of the breaker's instantaneous (magnetic)
  release, √2 · 3/5/10 × In for curve B/C/D (IEC 60898-1, lower bound of the band).

A refusal names every violated limit with its value.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from smartpdu.analytics.capacity import DERATE, PF_BY_KIND
from smartpdu.config import DeviceConfig, RackConfig
from smartpdu.model.snapshot import RackSnapshot

__all__ = ["MAGNETIC_MIN_X", "DevicePsu", "DeviceView", "Headroom", "device_views", "headroom"]

MAGNETIC_MIN_X = {"B": 3.0, "C": 5.0, "D": 10.0}
"""Lower bound of the instantaneous release band, multiples of In (IEC 60898-1)."""


@dataclass(frozen=True, slots=True)
class DevicePsu:
    pdu_id: str
    outlet_id: str
    feed: str
    phase: str
    branch: str
    current_a: float | None
    share: float | None
    on: bool | None


@dataclass(frozen=True, slots=True)
class DeviceView:
    name: str
    model: str
    tenant: str | None
    psus: list[DevicePsu]


def device_views(config: RackConfig, snap: RackSnapshot) -> list[DeviceView]:
    """Every configured device with its PSUs and their live current and share."""
    out = []
    for d in config.devices:
        rows = []
        currents = []
        for p in d.psus:
            pdu = config.pdu(p.pdu)
            o = next(x for x in pdu.outlets if x.id == p.outlet)
            line = next(b.line for b in pdu.branches if b.id == o.branch)
            live = snap.pdus.get(p.pdu)
            os_ = live.outlets.get(p.outlet) if live else None
            i = os_.reading.i_rms_a if os_ is not None else None
            i = i if i is not None and math.isfinite(i) else None
            currents.append(i or 0.0)
            rows.append((p, pdu.feed, line, o.branch, i, None if os_ is None else os_.relay_closed))
        total = sum(currents)
        psus = [
            DevicePsu(p.pdu, p.outlet, feed, line, branch, i,
                      (i or 0.0) / total if total > 0 else None, on)
            for (p, feed, line, branch, i, on) in rows
        ]  # fmt: skip
        out.append(DeviceView(d.name, d.model, d.tenant, psus))
    return out


@dataclass(frozen=True, slots=True)
class Headroom:
    ok: bool
    problems: list[str]
    evidence: dict[str, float | str]


def headroom(config: RackConfig, snap: RackSnapshot, device: DeviceConfig) -> Headroom:
    """Whether switching ``device`` on (all PSUs) fits its branches and phases; why not if not."""
    pf = PF_BY_KIND.get(device.load.kind, 0.95)
    steady: dict[tuple[str, str], float] = defaultdict(float)
    inrush: dict[tuple[str, str], float] = defaultdict(float)
    phase_add: dict[tuple[str, str], float] = defaultdict(float)
    own_by_branch: dict[tuple[str, str], float] = defaultdict(float)
    for p in device.psus:
        pdu = config.pdu(p.pdu)
        o = next(x for x in pdu.outlets if x.id == p.outlet)
        v = pdu.nominal_voltage_v
        share = p.share if len(device.psus) > 1 else 1.0
        amps = device.load.rated_power_w * device.load.load_fraction * share / (v * pf)
        live = snap.pdus[p.pdu].outlets[p.outlet]
        own = live.reading.i_rms_a if math.isfinite(live.reading.i_rms_a) else 0.0
        own_by_branch[(p.pdu, o.branch)] += own  # a cycle: the device's own load goes first
        steady[(p.pdu, o.branch)] += amps
        inrush[(p.pdu, o.branch)] += device.load.inrush_peak_a
        line = next(b.line for b in pdu.branches if b.id == o.branch)
        phase_add[(p.pdu, line)] += amps - own
    problems: list[str] = []
    evidence: dict[str, float | str] = {"device": device.name}
    for (pid, bid), amps in steady.items():
        pdu = config.pdu(pid)
        b = next(x for x in pdu.branches if x.id == bid)
        now = snap.pdus[pid].branches[bid].reading.i_rms_a
        now = max(0.0, (now if math.isfinite(now) else 0.0) - own_by_branch[(pid, bid)])
        limit = DERATE * b.breaker.rating_a
        key = f"{pid}/branch/{bid}"
        evidence[f"{key}/current_a"] = round(now, 3)
        evidence[f"{key}/added_a"] = round(amps, 3)
        if now + amps > limit:
            problems.append(f"{key}: {now:.1f} A + {amps:.1f} A > {limit:.1f} A (80 % of "
                            f"{b.breaker.rating_a:g} A)")  # fmt: skip
        magnetic = math.sqrt(2) * MAGNETIC_MIN_X.get(b.breaker.curve, 5.0) * b.breaker.rating_a
        peak = math.sqrt(2) * now + inrush[(pid, bid)]
        evidence[f"{key}/inrush_peak_a"] = round(peak, 2)
        evidence[f"{key}/magnetic_peak_a"] = round(magnetic, 2)
        if peak >= magnetic:
            problems.append(f"{key}: inrush {peak:.0f} A peak ≥ instantaneous release "
                            f"{magnetic:.0f} A (curve {b.breaker.curve})")  # fmt: skip
    for (pid, ln), amps in phase_add.items():
        inlet_rating = config.pdu(pid).inlet_rating_a
        r = snap.pdus[pid].inlet.phases.get(ln)
        now = r.i_rms_a if r is not None and math.isfinite(r.i_rms_a) else 0.0
        limit = DERATE * inlet_rating
        if now + amps > limit:
            problems.append(f"{pid}/inlet/{ln}: {now:.1f} A + {amps:.1f} A > {limit:.1f} A")
    return Headroom(not problems, problems, evidence)
