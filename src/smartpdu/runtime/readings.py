"""Fold per-tick snapshot values into 1-second readings (min/avg/max) for storage.

Keys are ``<entity>/<metric>`` with the one entity id of :mod:`smartpdu.model.ids`
(``outlet/7/power_w``, ``inlet/L1/current_a``, ``inlet/power_w``, ``sensor/temp-top/value``);
what is stored at each level is the ``stored`` column of the metric catalogue, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from operator import attrgetter
from typing import Any

import numpy as np

from smartpdu.model.ids import branch_id, inlet_id, outlet_id, phase_id, sensor_id
from smartpdu.model.metrics import Level, Metric, stored_metrics
from smartpdu.model.snapshot import ChannelReading, RackSnapshot
from smartpdu.storage import ReadingBatch

__all__ = ["SecondAggregator", "snapshot_values"]

Getter = Callable[[Any], tuple[Any, ...]]


def _getter(rows: tuple[Metric, ...], reading_path: str | None) -> Getter:
    """The stored values of one entity as a tuple, in catalogue order, in one C call.

    ``reading_path`` is where the entity keeps its ChannelReading (``"reading."`` on a branch or
    outlet, ``""`` when the object *is* the reading, ``None`` when it has none).
    """
    paths = []
    for m in rows:
        if m.source is ChannelReading:
            if reading_path is None:
                raise ValueError(f"{m.key}: this level has no channel reading")
            paths.append(reading_path + m.field)
        else:
            if reading_path == "":
                raise ValueError(f"{m.key}: a phase is only its channel reading")
            paths.append(m.field)
    if not paths:
        return lambda _: ()
    if len(paths) == 1:
        one = attrgetter(paths[0])
        return lambda x: (one(x),)
    return attrgetter(*paths)  # type: ignore[return-value]


_LEVELS = {
    Level.INLET: (stored_metrics(Level.INLET), None),
    Level.PHASE: (stored_metrics(Level.PHASE), ""),
    Level.BRANCH: (stored_metrics(Level.BRANCH), "reading."),
    Level.OUTLET: (stored_metrics(Level.OUTLET), "reading."),
    Level.SENSOR: (stored_metrics(Level.SENSOR), None),
}
_GET = {level: _getter(rows, path) for level, (rows, path) in _LEVELS.items()}
_ROWS = {level: rows for level, (rows, _) in _LEVELS.items()}


def _keys(prefix: str, level: Level) -> tuple[str, ...]:
    return tuple(f"{prefix}/{m.key}" for m in _ROWS[level])


def _layout_keys(snapshot: RackSnapshot) -> tuple[tuple[str, str], ...]:
    """``(pdu_id, key)`` of every stored value of a snapshot's layout, "no value" included."""
    out: list[tuple[str, str]] = []
    for pdu in snapshot.pdus.values():
        keys = [*_keys(inlet_id().local, Level.INLET)]
        for line in pdu.inlet.phases:
            keys += _keys(phase_id(line).local, Level.PHASE)
        for bid in pdu.branches:
            keys += _keys(branch_id(bid).local, Level.BRANCH)
        for oid in pdu.outlets:
            keys += _keys(outlet_id(oid).local, Level.OUTLET)
        out += [(pdu.id, k) for k in keys]
    for s in snapshot.sensors.values():
        out += [(s.pdu or "rack", k) for k in _keys(sensor_id(s.id).local, Level.SENSOR)]
    return tuple(out)


_LAYOUTS: dict[object, tuple[tuple[str, str], ...]] = {}
_MAX_LAYOUTS = 64


def _flat(snapshot: RackSnapshot) -> tuple[tuple[tuple[str, str], ...], list[Any]]:
    """Keys and values of every stored metric of a snapshot; "no value" (None) is left out.

    The keys depend only on the snapshot's layout (which PDUs, phases, branches, outlets and
    sensors it has), so they are built once per layout; each tick only reads the values.
    """
    signature = (
        tuple(
            (p.id, tuple(p.inlet.phases), tuple(p.branches), tuple(p.outlets))
            for p in snapshot.pdus.values()
        ),
        tuple((s.id, s.pdu) for s in snapshot.sensors.values()),
    )
    keys = _LAYOUTS.get(signature)
    if keys is None:
        if len(_LAYOUTS) >= _MAX_LAYOUTS:
            _LAYOUTS.clear()
        keys = _LAYOUTS[signature] = _layout_keys(snapshot)
    inlet, phase, branch = _GET[Level.INLET], _GET[Level.PHASE], _GET[Level.BRANCH]
    outlet, sensor = _GET[Level.OUTLET], _GET[Level.SENSOR]
    values: list[Any] = []
    for pdu in snapshot.pdus.values():
        values += inlet(pdu.inlet)
        values += chain.from_iterable(map(phase, pdu.inlet.phases.values()))
        values += chain.from_iterable(map(branch, pdu.branches.values()))
        values += chain.from_iterable(map(outlet, pdu.outlets.values()))
    values += chain.from_iterable(map(sensor, snapshot.sensors.values()))
    if None in values:
        kept = [(k, v) for k, v in zip(keys, values, strict=True) if v is not None]
        return tuple(k for k, _ in kept), [v for _, v in kept]
    return keys, values


def snapshot_values(snapshot: RackSnapshot) -> Iterator[tuple[str, str, float]]:
    """Yield ``(pdu_id, key, value)`` for every stored metric of a snapshot (NaN included)."""
    keys, values = _flat(snapshot)
    for (pdu_id, key), v in zip(keys, values, strict=True):
        yield pdu_id, key, float(v)


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

    def add(self, ts: datetime, snapshot: RackSnapshot) -> ReadingBatch:
        second = int(ts.timestamp())
        done = ReadingBatch()
        if self._second is not None and second != self._second:
            done = self.flush()
        keys, values = _flat(snapshot)
        vals = np.array(values, dtype=np.float64)
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

    def flush(self) -> ReadingBatch:
        """Return the readings of the open second (if any) and start afresh.

        As columns (:class:`~smartpdu.storage.ReadingBatch`), not a ``Reading`` per key: the
        persist stage holds a minute of them, which as objects would lengthen every full
        garbage collection (a pause of the event loop too) until the minute is written."""
        if self._ts is None:
            return ReadingBatch()
        with np.errstate(invalid="ignore", divide="ignore"):
            avg = self._sum / self._n
        out = ReadingBatch.of_second(self._ts, self._keys, self._lo, avg, self._hi)
        self._second = None
        self._ts = None
        self._keys = ()
        return out
