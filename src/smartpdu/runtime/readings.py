"""Fold per-tick snapshot values into 1-second readings (min/avg/max) for storage.

Keys are ``<entity>/<metric>`` with the one entity id of :mod:`smartpdu.model.ids`
(``outlet/7/power_w``, ``inlet/L1/current_a``, ``inlet/power_w``, ``sensor/temp-top/value``);
what is stored at each level is the ``stored`` column of the metric catalogue, nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from smartpdu.model.ids import branch_id, inlet_id, outlet_id, phase_id, sensor_id
from smartpdu.model.metrics import Level, Metric, stored_metrics
from smartpdu.model.snapshot import ChannelReading, PduSnapshot, RackSnapshot
from smartpdu.storage import Reading

__all__ = ["SecondAggregator", "snapshot_values"]

_INLET = stored_metrics(Level.INLET)
_PHASE = stored_metrics(Level.PHASE)
_BRANCH = stored_metrics(Level.BRANCH)
_OUTLET = stored_metrics(Level.OUTLET)
_SENSOR = stored_metrics(Level.SENSOR)


def _values(
    prefix: str, rows: tuple[Metric, ...], reading: ChannelReading | None, entity: object
) -> Iterator[tuple[str, float]]:
    """``(key, value)`` of the stored rows of one entity; "no value" (None) is not stored."""
    for m in rows:
        v = getattr(reading if m.source is ChannelReading else entity, m.field)
        if v is not None:
            yield f"{prefix}/{m.key}", float(v)


def _pdu_values(pdu: PduSnapshot) -> Iterator[tuple[str, float]]:
    yield from _values(inlet_id().local, _INLET, None, pdu.inlet)
    for line, r in pdu.inlet.phases.items():
        yield from _values(phase_id(line).local, _PHASE, r, None)
    for b in pdu.branches.values():
        yield from _values(branch_id(b.id).local, _BRANCH, b.reading, b)
    for o in pdu.outlets.values():
        yield from _values(outlet_id(o.id).local, _OUTLET, o.reading, o)


def snapshot_values(snapshot: RackSnapshot) -> Iterator[tuple[str, str, float]]:
    """Yield ``(pdu_id, key, value)`` for every stored metric of a snapshot (NaN included)."""
    for pdu in snapshot.pdus.values():
        for key, value in _pdu_values(pdu):
            yield pdu.id, key, value
    for s in snapshot.sensors.values():
        for key, value in _values(sensor_id(s.id).local, _SENSOR, None, s):
            yield (s.pdu or "rack"), key, value


@dataclass(slots=True)
class SecondAggregator:
    """Accumulate tick values; :meth:`add` returns finished 1 s readings when a second completes.

    Values are folded as numpy arrays over a fixed key list; if the set of keys changes within a
    second (a sensor drops out), the partial second is emitted and a new one starts. NaN ("no
    value", e.g. THD of an idle phase) is skipped per key; a key with no value all second is not
    written.
    """

    _second: int | None = None
    _ts: datetime | None = None
    _keys: tuple[tuple[str, str], ...] = ()
    _lo: np.ndarray = field(default_factory=lambda: np.zeros(0))
    _hi: np.ndarray = field(default_factory=lambda: np.zeros(0))
    _sum: np.ndarray = field(default_factory=lambda: np.zeros(0))
    _n: np.ndarray = field(default_factory=lambda: np.zeros(0))

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
            ok = ~np.isnan(vals)
            self._lo, self._hi = vals.copy(), vals.copy()
            self._sum = np.where(ok, vals, 0.0)
            self._n = ok.astype(np.float64)
        else:
            ok = ~np.isnan(vals)
            np.fmin(self._lo, vals, out=self._lo)
            np.fmax(self._hi, vals, out=self._hi)
            self._sum += np.where(ok, vals, 0.0)
            self._n += ok
        return done

    def flush(self) -> list[Reading]:
        """Return the readings of the open second (if any) and start afresh."""
        if self._ts is None:
            return []
        ts, n = self._ts, self._n
        with np.errstate(invalid="ignore", divide="ignore"):
            avg = (self._sum / n).tolist()
        lo, hi = self._lo.tolist(), self._hi.tolist()
        out = [
            Reading(pdu_id=p, key=k, ts=ts, avg=avg[j], min=lo[j], max=hi[j])
            for j, (p, k) in enumerate(self._keys)
            if not math.isnan(avg[j])
        ]
        self._second = None
        self._ts = None
        self._keys = ()
        return out
