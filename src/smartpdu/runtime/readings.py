"""Fold per-tick snapshot values into 1-second readings (min/avg/max) for storage.

Keys are the stable metric keys of DESIGN §8 (``outlet/7/power_w``, ``inlet/L1/current_a``,
``sensor/temp-top/value``); one place decides which snapshot values are stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from smartpdu.model.snapshot import ChannelReading, PduSnapshot, RackSnapshot
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
class SecondAggregator:
    """Accumulate tick values; :meth:`add` returns finished 1 s readings when a second completes.

    Values are folded as numpy arrays over a fixed key list; if the set of keys changes within a
    second (a sensor drops out), the partial second is emitted and a new one starts.
    """

    _second: int | None = None
    _ts: datetime | None = None
    _keys: tuple[tuple[str, str], ...] = ()
    _lo: np.ndarray = field(default_factory=lambda: np.zeros(0))
    _hi: np.ndarray = field(default_factory=lambda: np.zeros(0))
    _sum: np.ndarray = field(default_factory=lambda: np.zeros(0))
    _n: int = 0

    def add(self, ts: datetime, snapshot: RackSnapshot) -> list[Reading]:
        second = int(ts.timestamp())
        done: list[Reading] = []
        if self._second is not None and second != self._second:
            done = self.flush()
        items = list(snapshot_values(snapshot))
        keys = tuple((p, k) for p, k, _ in items)
        vals = np.fromiter((v for _, _, v in items), dtype=np.float64, count=len(items))
        if self._second is not None and keys != self._keys:
            done += self.flush()
        if self._second is None:
            self._second = second
            self._ts = ts.replace(microsecond=0)
            self._keys = keys
            self._lo, self._hi, self._sum = vals.copy(), vals.copy(), vals.copy()
            self._n = 1
        else:
            np.minimum(self._lo, vals, out=self._lo)
            np.maximum(self._hi, vals, out=self._hi)
            self._sum += vals
            self._n += 1
        return done

    def flush(self) -> list[Reading]:
        """Return the readings of the open second (if any) and start afresh."""
        if self._ts is None:
            return []
        ts, n = self._ts, self._n
        avg = (self._sum / n).tolist()
        lo, hi = self._lo.tolist(), self._hi.tolist()
        out = [
            Reading(pdu_id=p, key=k, ts=ts, avg=avg[j], min=lo[j], max=hi[j])
            for j, (p, k) in enumerate(self._keys)
        ]
        self._second = None
        self._ts = None
        self._keys = ()
        return out
