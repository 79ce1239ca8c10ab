"""MQTT topic names and telemetry windows, generated from the metric catalogue (pure).

Topics (``<p>`` = ``delivery.mqtt.topic_prefix``, default ``smartpdu``)::

    <p>/status                               online | offline (retained; the LWT says offline)
    <p>/<pdu>/<entity>/<metric>              telemetry JSON {"avg","min","max","last","unit","n","ts"}
    <p>/<pdu>/outlet/<id>/state              on | off (retained, on change)
    <p>/<pdu>/events                         every event, JSON, QoS 1, from the outbox

``<entity>`` is ``inlet``, ``phase/L1``, ``branch/B1``, ``outlet/7`` or ``sensor/<id>`` (rack
sensors use ``rack`` as ``<pdu>``); ``<metric>`` is the catalogue key (``power_w``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from smartpdu.model.metrics import Level, display
from smartpdu.model.snapshot import RackSnapshot
from smartpdu.model.walk import MetricValue, catalogue_values, entity_key

__all__ = ["RACK", "TelemetryWindow", "node_of", "state_topic", "value_topic"]

RACK: Final = "rack"


def node_of(v: MetricValue) -> str:
    """The topic's ``<pdu>`` level: the PDU, or ``rack`` for rack-level sensors."""
    return v.pdu_id or RACK


def value_topic(prefix: str, v: MetricValue) -> str:
    return f"{prefix}/{node_of(v)}/{entity_key(v.level, v.entity_id)}/{v.metric.key}"


def state_topic(prefix: str, pdu_id: str, outlet_id: str) -> str:
    return f"{prefix}/{pdu_id}/outlet/{outlet_id}/state"


@dataclass(slots=True)
class _Acc:
    value: MetricValue
    n: int = 0
    total: float = 0.0
    lo: float = math.inf
    hi: float = -math.inf
    last: float | None = None


@dataclass(slots=True)
class TelemetryWindow:
    """Min/avg/max of every catalogue value over the snapshots of one publishing period."""

    devices: Mapping[tuple[str, str], str] = field(default_factory=dict)
    _acc: dict[tuple[str, str, str, str], _Acc] = field(default_factory=dict)
    _ts: str = ""

    def add(self, snap: RackSnapshot) -> None:
        self._ts = snap.timestamp_utc
        for v in catalogue_values(snap, self.devices):
            key = (v.pdu_id, v.level.value, v.entity_id, v.metric.key)
            acc = self._acc.get(key)
            if acc is None:
                acc = self._acc[key] = _Acc(v)
            acc.value = v
            x = v.value
            if x is None or not math.isfinite(x):
                acc.last = None
                continue
            acc.n += 1
            acc.total += x
            acc.lo = min(acc.lo, x)
            acc.hi = max(acc.hi, x)
            acc.last = x

    def flush(self, prefix: str) -> list[tuple[str, dict[str, Any]]]:
        """(topic, payload) per value seen since the last flush; the window starts over."""
        out: list[tuple[str, dict[str, Any]]] = []
        for acc in self._acc.values():
            m, v = acc.value.metric, acc.value
            have = acc.n > 0
            payload = {
                "avg": display(m, acc.total / acc.n) if have else None,
                "min": display(m, acc.lo) if have else None,
                "max": display(m, acc.hi) if have else None,
                "last": display(m, acc.last),
                "unit": v.unit,
                "n": acc.n,
                "ts": self._ts,
            }
            if v.level is Level.OUTLET and v.device:
                payload["device"] = v.device
            out.append((value_topic(prefix, v), payload))
        self._acc.clear()
        return out
