"""A/B redundancy audit: wiring, load share and the failover projection (pure, no I/O).

- **Miswired**: a device with two or more PSUs that all hang on one feed loses everything when
  that feed fails; found from the configuration alone (at start and on every change).
- **Share**: the fraction of a dual-fed device's load drawn on each feed, from the measured
  current of the outlets its PSUs are plugged into (sharing is rarely 50/50).
- **Failover projection**: if feed F fails, every PSU on F stops and its current moves to the
  same device's PSUs on the other feed (split evenly among them); devices fed only by F are lost
  and add nothing. The surviving PDUs' branches, phases and inlets then carry::

      projected = measured + Σ moved current on that branch / phase

  compared with the branch breaker rating and the inlet rating (80 % rule for the warning).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Final

from smartpdu.config import RackConfig
from smartpdu.model.snapshot import RackSnapshot

__all__ = [
    "SHARE_BAND",
    "DeviceShare",
    "FailoverLoad",
    "device_shares",
    "failover_projection",
    "miswired_devices",
]


SHARE_BAND: Final = (0.4, 0.6)
"""Share per feed of a dual-fed device considered normal (issue 13: 40–60 %)."""


def miswired_devices(config: RackConfig) -> list[tuple[str, str, int]]:
    """(device, the one feed, number of PSUs) for every multi-PSU device fed from one feed."""
    feed_of = {p.id: p.feed for p in config.pdus}
    out: list[tuple[str, str, int]] = []
    for d in config.devices:
        feeds = {feed_of[p.pdu] for p in d.psus if p.pdu in feed_of}
        if len(d.psus) >= 2 and len(feeds) == 1:
            out.append((d.name, next(iter(feeds)), len(d.psus)))
    return out


@dataclass(frozen=True, slots=True)
class DeviceShare:
    device: str
    current_a: dict[str, float]
    """Measured current per feed (sum of the device's outlets on that feed)."""
    share: dict[str, float]
    """Fraction per feed (NaN when the device draws nothing)."""

    @property
    def balanced(self) -> bool | None:
        """Every feed carries 40–60 % (:data:`SHARE_BAND`); None when the device draws nothing.

        Sharing is rarely 50/50, but a PSU far outside the band is a failing or misconfigured
        supply (or a firmware that parks one PSU): the other feed already carries most of the
        device, and its failover reserve is smaller than a 50/50 plan assumes."""
        values = list(self.share.values())
        if not values or any(math.isnan(v) for v in values):
            return None
        lo, hi = SHARE_BAND
        return all(lo <= v <= hi for v in values)


def _outlet_current(snap: RackSnapshot, pdu_id: str, outlet_id: str) -> float:
    pdu = snap.pdus.get(pdu_id)
    o = pdu.outlets.get(outlet_id) if pdu else None
    if o is None:
        return 0.0
    i = o.reading.i_rms_a
    return i if math.isfinite(i) and i > 0 else 0.0


def device_shares(config: RackConfig, snap: RackSnapshot) -> list[DeviceShare]:
    """Per dual-fed device: current and share per feed, from the measured outlet currents."""
    feed_of = {p.id: p.feed for p in config.pdus}
    out = []
    for d in config.devices:
        per_feed: dict[str, float] = defaultdict(float)
        for p in d.psus:
            if p.pdu in feed_of:
                per_feed[feed_of[p.pdu]] += _outlet_current(snap, p.pdu, p.outlet)
        if len(per_feed) < 2:
            continue
        total = sum(per_feed.values())
        share = {f: (i / total if total > 0 else math.nan) for f, i in sorted(per_feed.items())}
        out.append(DeviceShare(d.name, dict(sorted(per_feed.items())), share))
    return out


@dataclass(frozen=True, slots=True)
class FailoverLoad:
    failed_feed: str
    pdu_id: str
    entity: str
    """``branch/B6``, ``inlet/L3``."""
    measured_a: float
    moved_a: float
    limit_a: float

    @property
    def projected_a(self) -> float:
        return self.measured_a + self.moved_a

    @property
    def pct(self) -> float:
        return 100.0 * self.projected_a / self.limit_a if self.limit_a > 0 else math.inf


def failover_projection(
    config: RackConfig, snap: RackSnapshot, failed_feed: str
) -> list[FailoverLoad]:
    """Branch and phase loads of the surviving PDUs if ``failed_feed`` fails now."""
    feed_of = {p.id: p.feed for p in config.pdus}
    moved: dict[tuple[str, str], float] = defaultdict(float)  # (pdu, outlet) → added current
    for d in config.devices:
        lost = [p for p in d.psus if feed_of.get(p.pdu) == failed_feed]
        alive = [p for p in d.psus if p.pdu in feed_of and feed_of[p.pdu] != failed_feed]
        if not lost or not alive:
            continue
        amps = sum(_outlet_current(snap, p.pdu, p.outlet) for p in lost)
        for p in alive:
            moved[(p.pdu, p.outlet)] += amps / len(alive)
    out: list[FailoverLoad] = []
    for pdu in config.pdus:
        if pdu.feed == failed_feed or pdu.id not in snap.pdus:
            continue
        ps = snap.pdus[pdu.id]
        branch_of = {o.id: o.branch for o in pdu.outlets}
        line_of = {b.id: b.line for b in pdu.branches}
        add_branch: dict[str, float] = defaultdict(float)
        for (pid, oid), amps in moved.items():
            if pid == pdu.id:
                add_branch[branch_of[oid]] += amps
        add_line: dict[str, float] = defaultdict(float)
        for bid, amps in add_branch.items():
            add_line[line_of[bid]] += amps
        for b in pdu.branches:
            i = ps.branches[b.id].reading.i_rms_a if b.id in ps.branches else 0.0
            out.append(FailoverLoad(failed_feed, pdu.id, f"branch/{b.id}",
                                    i if math.isfinite(i) else 0.0, add_branch.get(b.id, 0.0),
                                    b.breaker.rating_a))  # fmt: skip
        for line, r in ps.inlet.phases.items():
            i = r.i_rms_a
            out.append(FailoverLoad(failed_feed, pdu.id, f"inlet/{line}",
                                    i if math.isfinite(i) else 0.0, add_line.get(line, 0.0),
                                    pdu.inlet_rating_a))  # fmt: skip
    return out
