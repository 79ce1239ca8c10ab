"""Fold per-tick snapshot values into 1-second readings (min/avg/max) for storage.

Keys are the stable metric keys of DESIGN §8 (``outlet/7/power_w``, ``inlet/L1/current_a``,
``sensor/temp-top/value``); one place decides which snapshot values are stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from smartpdu.runtime.snapshot import ChannelReading, PduSnapshot, RackSnapshot
from smartpdu.storage import Reading

__all__ = ["SecondAggregator", "snapshot_values"]


def _channel(prefix: str, r: ChannelReading) -> Iterator[tuple[str, float]]:
    yield f"{prefix}/current_a", r.i_rms_a
    yield f"{prefix}/power_w", r.p_w
    yield f"{prefix}/energy_wh", r.energy_wh


def _pdu_values(pdu: PduSnapshot) -> Iterator[tuple[str, float]]:
    inlet = pdu.inlet
    yield "inlet/power_w", inlet.power_w
    yield "inlet/apparent_va", inlet.apparent_va
    yield "inlet/energy_wh", inlet.energy_wh
    yield "inlet/frequency_hz", inlet.frequency_hz
    yield "inlet/neutral_a", inlet.neutral_a
    yield "inlet/demand_power_w", inlet.demand_power_w
    if inlet.residual_ma is not None:
        yield "inlet/residual_ma", inlet.residual_ma
    for line, r in inlet.phases.items():
        yield from _channel(f"phase/{line}", r)
        yield f"phase/{line}/voltage_v", r.v_rms_v
        yield f"phase/{line}/thd_u_pct", r.thd_u_pct
        yield f"phase/{line}/thd_i_pct", r.thd_i_pct
    for b in pdu.branches.values():
        yield from _channel(f"branch/{b.id}", b.reading)
    for o in pdu.outlets.values():
        yield from _channel(f"outlet/{o.id}", o.reading)
        if o.terminal_temp_c is not None:
            yield f"outlet/{o.id}/terminal_temp_c", o.terminal_temp_c


def snapshot_values(snapshot: RackSnapshot) -> Iterator[tuple[str, str, float]]:
    """Yield ``(pdu_id, key, value)`` for every stored metric of a snapshot."""
    for pdu in snapshot.pdus.values():
        for key, value in _pdu_values(pdu):
            yield pdu.id, key, value
    for s in snapshot.sensors.values():
        if s.value is not None:
            yield (s.pdu or "rack"), f"sensor/{s.id}/value", float(s.value)


@dataclass(slots=True)
class _Acc:
    lo: float
    hi: float
    total: float
    n: int = 1


@dataclass(slots=True)
class SecondAggregator:
    """Accumulate tick values; :meth:`add` returns finished 1 s readings when a second completes."""

    _second: int | None = None
    _ts: datetime | None = None
    _acc: dict[tuple[str, str], _Acc] = field(default_factory=dict)

    def add(self, ts: datetime, snapshot: RackSnapshot) -> list[Reading]:
        second = int(ts.timestamp())
        done: list[Reading] = []
        if self._second is not None and second != self._second:
            done = self.flush()
        if self._second is None:
            self._second = second
            self._ts = ts.replace(microsecond=0)
        acc = self._acc
        for pdu_id, key, value in snapshot_values(snapshot):
            a = acc.get((pdu_id, key))
            if a is None:
                acc[(pdu_id, key)] = _Acc(value, value, value)
            else:
                a.lo = min(a.lo, value)
                a.hi = max(a.hi, value)
                a.total += value
                a.n += 1
        return done

    def flush(self) -> list[Reading]:
        """Return the readings of the open second (if any) and start afresh."""
        if self._ts is None:
            return []
        ts = self._ts
        out = [
            Reading(pdu_id=p, key=k, ts=ts, avg=a.total / a.n, min=a.lo, max=a.hi)
            for (p, k), a in self._acc.items()
        ]
        self._acc = {}
        self._second = None
        self._ts = None
        return out
