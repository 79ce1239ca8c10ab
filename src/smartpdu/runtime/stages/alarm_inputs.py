"""The alarm engine's input: one :class:`~smartpdu.alarms.Sample` per entity and metric.

Channel metrics (inlet phases, branches, outlets) are read from the meter's output as it was
produced — NaN kept, quality flags attached — not from display values: a NaN, a clipped window or
a channel with degraded calibration gives ``value=None`` with the reason in ``quality``, so it
can neither raise nor clear an alarm. Inlet totals, residual currents, terminal temperatures and
sensors come from the snapshot (a sensor that is not ``ok`` has no value). Only the columns the
rules read are extracted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from functools import lru_cache

import numpy as np

from smartpdu.alarms import Sample
from smartpdu.config import RackConfig
from smartpdu.config.alarms import RuleLevel, metrics_of_level
from smartpdu.metering import BlockMetrics, QualityFlag, flag_names
from smartpdu.model.metrics import CATALOGUE
from smartpdu.model.snapshot import (
    BranchSnapshot,
    ChannelReading,
    InletSnapshot,
    OutletSnapshot,
    RackSnapshot,
)
from smartpdu.safety import DEW_POINT_KIND

__all__ = ["BAD_FLAGS", "alarm_samples"]

BAD_FLAGS = int(QualityFlag.CLIPPING | QualityFlag.CALIBRATION_DEGRADED)
"""Flags that make a window's value unusable for alarms (LOW_SIGNAL ratios are NaN already)."""

_RACK = "rack"
_INLET_POS = frozenset({"bottom", "front", "inlet"})
_EXHAUST_POS = frozenset({"top", "rear", "outlet"})
_CHANNEL_FIELD = {m.key: m.field for m in CATALOGUE if m.source is ChannelReading}
_ENTITY_FIELD: dict[tuple[type, str], str] = {
    (m.source, m.key): m.field
    for m in CATALOGUE
    if m.source in (InletSnapshot, BranchSnapshot, OutletSnapshot)
}
_PREFIX = {RuleLevel.PHASE: "inlet/L", RuleLevel.BRANCH: "branch/", RuleLevel.OUTLET: "outlet/"}


@lru_cache(maxsize=64)
def _quality(mask: int) -> str:
    return ",".join(flag_names(mask)) if mask else "ok"


def _value(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _ratings(config: RackConfig, pdu_id: str, level: RuleLevel) -> dict[str, float]:
    pdu = config.pdu(pdu_id)
    if level is RuleLevel.PHASE:
        return {ln: pdu.inlet_rating_a for ln in ("L1", "L2", "L3")}
    if level is RuleLevel.BRANCH:
        return {b.id: b.breaker.rating_a for b in pdu.branches}
    return {o.id: o.rating_a for o in pdu.outlets}


def _channel_samples(
    config: RackConfig, pdu_id: str, metered: BlockMetrics, level: RuleLevel, metric: str
) -> list[Sample]:
    idx, chans = _rows(metered.channels, _PREFIX[level])
    if not idx:
        return []
    m = metered.metrics
    if metric == "load_pct":
        values = np.asarray(m.i_rms_a)[idx]
        ratings = _ratings(config, pdu_id, level)
        unit = "%"
    else:
        column = getattr(m, _CHANNEL_FIELD[metric], None)
        if column is None:  # a register total, not a window value: nothing to watch per window
            return []
        values = np.asarray(column)[idx]
        ratings = {}
        unit = metrics_of_level(level)[metric]
    flags = np.asarray(m.flags)[idx].tolist()
    out = []
    isfinite = math.isfinite
    entities = _entities(pdu_id, chans)
    for ch, entity, v, f in zip(chans, entities, values.tolist(), flags, strict=True):
        if ratings:
            rating = ratings.get(ch.split("/", 1)[1])
            v = 100.0 * v / rating if rating else math.nan
        bad = f & BAD_FLAGS
        ok = isfinite(v) and not bad
        quality = _quality(f) if bad else ("ok" if ok else "no_value")
        out.append(Sample(entity, pdu_id, v if ok else None, unit, quality))
    return out


@lru_cache(maxsize=256)
def _entities(pdu_id: str, chans: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{pdu_id}/{ch}" for ch in chans)


@lru_cache(maxsize=256)
def _rows(channels: tuple[str, ...], prefix: str) -> tuple[list[int], tuple[str, ...]]:
    """Row indices and names of the channels starting with ``prefix`` (cached per layout)."""
    rows = [(k, ch) for k, ch in enumerate(channels) if ch.startswith(prefix)]
    return [k for k, _ in rows], tuple(ch for _, ch in rows)


def _entity_samples(snap: RackSnapshot, level: RuleLevel, metric: str) -> list[Sample]:
    out: list[Sample] = []
    unit = metrics_of_level(level)[metric]
    for pdu_id, ps in snap.pdus.items():
        if level is RuleLevel.INLET:
            field = _ENTITY_FIELD[(InletSnapshot, metric)]
            v = _value(getattr(ps.inlet, field))
            out.append(
                Sample(f"{pdu_id}/inlet", pdu_id, v, unit, "ok" if v is not None else "no_value")
            )
        elif level is RuleLevel.BRANCH:
            field = _ENTITY_FIELD[(BranchSnapshot, metric)]
            for bid, b in ps.branches.items():
                v = _value(getattr(b, field))
                out.append(Sample(f"{pdu_id}/branch/{bid}", pdu_id, v, unit,
                                  "ok" if v is not None else "no_value"))  # fmt: skip
        else:
            field = _ENTITY_FIELD[(OutletSnapshot, metric)]
            for oid, o in ps.outlets.items():
                v = _value(getattr(o, field))
                out.append(Sample(f"{pdu_id}/outlet/{oid}", pdu_id, v, unit,
                                  "ok" if v is not None else "no_value"))  # fmt: skip
    return out


def _sensor_samples(config: RackConfig, snap: RackSnapshot) -> list[Sample]:
    positions = {s.id: s.position for s in config.sensors}
    first = config.pdus[0].id
    out = []
    for s in snap.sensors.values():
        ok = s.status == "ok"
        v = _value(s.value) if ok else None
        out.append(Sample(f"{_RACK}/sensor/{s.id}", s.pdu or first, v, s.unit,
                          s.status if not ok else ("ok" if v is not None else "no_value"),
                          kind=s.kind, position=positions.get(s.id)))  # fmt: skip
    return out


def _rack_samples(config: RackConfig, sensors: Iterable[Sample], metric: str) -> list[Sample]:
    temps = [s for s in sensors if s.kind == "temperature"]
    good = [s for s in temps if s.value is not None]
    first = config.pdus[0].id
    v: float | None = None
    if metric == "dew_point_margin_c":
        dew = next((s for s in sensors if s.kind == DEW_POINT_KIND), None)
        if dew is not None and dew.value is not None and good and len(good) == len(temps):
            v = min(s.value for s in good if s.value is not None) - dew.value
    elif metric == "temp_gradient_c":
        hot = [s.value for s in good if s.position in _EXHAUST_POS and s.value is not None]
        cold = [s.value for s in good if s.position in _INLET_POS and s.value is not None]
        if hot and cold:
            v = max(hot) - min(cold)
    return [Sample(_RACK, first, v, "K", "ok" if v is not None else "no_value")]


def alarm_samples(
    config: RackConfig,
    snap: RackSnapshot,
    metered: Mapping[str, BlockMetrics],
    needed: Iterable[tuple[RuleLevel, str]],
) -> dict[tuple[RuleLevel, str], list[Sample]]:
    """The sample table for the (level, metric) columns in ``needed``."""
    table: dict[tuple[RuleLevel, str], list[Sample]] = {}
    sensors: list[Sample] | None = None
    for level, metric in needed:
        if level in (RuleLevel.SENSOR, RuleLevel.RACK):
            if sensors is None:
                sensors = _sensor_samples(config, snap)
            table[(level, metric)] = (
                sensors if level is RuleLevel.SENSOR else _rack_samples(config, sensors, metric)
            )
        elif level is RuleLevel.INLET:
            table[(level, metric)] = _entity_samples(snap, level, metric)
        elif metric == "load_pct" or metric in _CHANNEL_FIELD:
            table[(level, metric)] = [
                s
                for pdu_id, bm in metered.items()
                for s in _channel_samples(config, pdu_id, bm, level, metric)
            ]
        else:  # residual_ma, trip_risk_pct of branches; terminal_temp_c, relay_cycles of outlets
            table[(level, metric)] = _entity_samples(snap, level, metric)
    return table
