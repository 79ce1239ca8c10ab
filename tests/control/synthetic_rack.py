"""Hand-built snapshots of a configured rack for tests and benchmarks (no twin, no metering).

A test helper, not product code: control tests import it as ``synthetic_rack`` (pytest puts this
directory on the path); ``benchmarks/control.py`` adds the directory (and ``tests/``, for
``rack_snapshot``, the snapshot builder it shares with the Redfish tests' stand-in) itself.

``SyntheticRack`` keeps per-outlet currents and relay states, follows the relay commands of the
control plane like latching relays would (a welded relay ignores "off"), sums outlet currents
into branches and phases, and renders a :class:`RackSnapshot` per window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from rack_snapshot import pdu_snapshot
from smartpdu.config import RackConfig
from smartpdu.config.models import PduConfig
from smartpdu.control.types import RelayCommand
from smartpdu.model.snapshot import ChannelReading, PduSnapshot, RackSnapshot

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

    def _outlet(self, pdu_id: str, outlet_id: str, branch: str) -> tuple[bool, ChannelReading]:
        key, v = (pdu_id, outlet_id), self.voltage_v
        i = self.current(pdu_id, outlet_id, branch)
        pk = self.peak_a.pop(key, i * _SQRT2) if i > 0 else 0.0
        v_out = v if self.feed_present[pdu_id] else 0.0
        return self.relay[key], ChannelReading(
            v_rms_v=v_out, i_rms_a=i, p_w=i * v, s_va=i * v, i_peak_a=pk
        )

    def _combine(self, level: str, readings: Sequence[ChannelReading]) -> ChannelReading:
        """Currents add; a branch's peak is its outlets' peaks, a phase's √2 times its rms."""
        i = sum(r.i_rms_a for r in readings)
        pk = sum(r.i_peak_a for r in readings) if level == "branch" else i * _SQRT2
        return ChannelReading(i_rms_a=i, i_peak_a=pk, s_va=i * self.voltage_v)

    def _pdu(self, p: PduConfig) -> PduSnapshot:
        branch_of = {o.id: o.branch for o in p.outlets}
        pdu = pdu_snapshot(
            p,
            lambda oid: self._outlet(p.id, oid, branch_of[oid]),
            self._combine,
            outlet_line=False,
            feed_present=self.feed_present[p.id],
            tripped=lambda bid: (p.id, bid) in self.tripped,
            outlet_extra=lambda oid: {"terminal_temp_c": self.temp_c.get((p.id, oid))},
            nominal_frequency_hz=50.0,
        )
        total_va = pdu.inlet.apparent_va  # the synthetic load is resistive: P = S
        return replace(pdu, inlet=replace(pdu.inlet, power_w=total_va, energy_wh=0.0))

    def snapshot(self) -> RackSnapshot:
        pdus = {p.id: self._pdu(p) for p in self.config.pdus}
        snap = RackSnapshot(
            tick=self.tick,
            timestamp_utc="2026-01-01T00:00:00Z",
            t_s=self.tick * self.window_s,
            rack_name=self.config.rack.name,
            pdus=pdus,
        )
        self.tick += 1
        return snap
