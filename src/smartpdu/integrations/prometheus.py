"""Prometheus exposition of the metric catalogue, alarm states and delivery health.

Every catalogue row with a ``prometheus`` name becomes one metric family (rows of several levels
sharing a name share the family); each sample carries ``pdu``, ``level``, ``id``, ``name`` and
``device`` labels, so ``sum by (pdu) (smartpdu_power_watts{level="outlet"})`` never double
counts the inlet, phase and branch that carry the same watts. Energy registers are counters
(``_total``). "No value" (NaN in the snapshot) is exposed as ``NaN``, never as a fake 0.

Built per scrape from the latest snapshot (pure: :func:`collect_families` takes plain data), so
a scrape costs one walk of the snapshot and nothing runs between scrapes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from prometheus_client import CollectorRegistry
from prometheus_client import generate_latest as text_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST as OM_CONTENT_TYPE
from prometheus_client.openmetrics.exposition import generate_latest as om_latest
from prometheus_client.registry import Collector

from smartpdu.model.metrics import CATALOGUE, Kind, Level
from smartpdu.model.snapshot import RackSnapshot
from smartpdu.model.walk import catalogue_values

__all__ = [
    "BASE_LABELS",
    "TEXT_CONTENT_TYPE",
    "AlarmSample",
    "QueueSample",
    "ScrapeInput",
    "collect_families",
    "exposition",
    "family_names",
]

BASE_LABELS: Final = ("pdu", "level", "id", "name", "device")
TEXT_CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
_SEVERITIES: Final = ("warning", "critical")


@dataclass(frozen=True, slots=True)
class AlarmSample:
    """An active alarm as the exposition shows it."""

    pdu_id: str
    rule: str
    entity: str
    metric: str
    severity: str
    state: str


@dataclass(frozen=True, slots=True)
class QueueSample:
    """One outbox destination: events waiting, consecutive failures, enabled or not."""

    destination: str
    depth: int
    failures: int
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class ScrapeInput:
    snapshot: RackSnapshot
    devices: Mapping[tuple[str, str], str]
    alarms: Sequence[AlarmSample] | None
    """None when this controller runs no alarm engine (no alarm families then)."""
    queues: Sequence[QueueSample]
    tick_overruns: int


def _family_of(
    name: str, kind: Kind, doc: str, labels: Sequence[str]
) -> CounterMetricFamily | GaugeMetricFamily:
    if kind is Kind.COUNTER:
        return CounterMetricFamily(name.removesuffix("_total"), doc, labels=labels)
    return GaugeMetricFamily(name, doc, labels=labels)


def _catalogue_families() -> dict[str, tuple[Kind, str, tuple[str, ...]]]:
    """Prometheus name → (kind, help, labels), checked: one kind per name."""
    out: dict[str, tuple[Kind, str, tuple[str, ...]]] = {}
    for m in CATALOGUE:
        if m.prometheus is None:
            continue
        labels = BASE_LABELS + (("unit",) if Level.SENSOR in m.levels else ())
        doc = f"{m.description} [{m.unit}]"
        if m.prometheus in out:
            kind, _doc, first_labels = out[m.prometheus]
            if kind is not m.kind or first_labels != labels:
                raise ValueError(f"catalogue rows named {m.prometheus} disagree on kind/labels")
            continue
        out[m.prometheus] = (m.kind, doc, labels)
    return out


_FAMILIES: Final = _catalogue_families()


def family_names() -> list[str]:
    """Prometheus names of every catalogue metric (as written in the catalogue)."""
    return list(_FAMILIES)


def collect_families(scrape: ScrapeInput) -> list[Metric]:
    """Every metric family of one scrape (pure)."""
    fams = {n: _family_of(n, k, doc, labels) for n, (k, doc, labels) in _FAMILIES.items()}
    for v in catalogue_values(scrape.snapshot, scrape.devices):
        name = v.metric.prometheus
        if name is None:
            continue
        value = math.nan if v.value is None or not math.isfinite(v.value) else v.value
        labels = [v.pdu_id, v.level.value, v.entity_id, v.name, v.device]
        if v.level is Level.SENSOR:
            labels.append(v.unit)
        fams[name].add_metric(labels, value)
    out: list[Metric] = list(fams.values())
    out += _state_families(scrape)
    return out


def _state_families(scrape: ScrapeInput) -> Iterator[Metric]:
    snap = scrape.snapshot
    on = GaugeMetricFamily(
        "smartpdu_outlet_on", "Outlet relay closed (1) or open (0), as sensed", labels=BASE_LABELS
    )
    for pdu in snap.pdus.values():
        for oid, o in pdu.outlets.items():
            dev = scrape.devices.get((pdu.id, oid), "")
            on.add_metric([pdu.id, "outlet", oid, o.name, dev], 1.0 if o.relay_closed else 0.0)
    yield on
    feed = GaugeMetricFamily(
        "smartpdu_feed_present", "Supply present at the PDU inlet (1) or lost (0)",
        labels=("pdu", "feed"),
    )  # fmt: skip
    for pdu in snap.pdus.values():
        feed.add_metric([pdu.id, pdu.inlet.feed], 1.0 if pdu.inlet.feed_present else 0.0)
    yield feed
    overruns = CounterMetricFamily(
        "smartpdu_tick_overruns", "Times the measurement loop fell behind and resynchronised"
    )
    overruns.add_metric([], float(scrape.tick_overruns))
    yield overruns
    yield from _alarm_families(scrape.alarms)
    yield from _queue_families(scrape.queues)


def _alarm_families(alarms: Sequence[AlarmSample] | None) -> Iterator[Metric]:
    if alarms is None:
        return
    active = GaugeMetricFamily(
        "smartpdu_alarm_active",
        "1 per active alarm (raised or acknowledged, not yet cleared)",
        labels=("pdu", "rule", "entity", "metric", "severity", "state"),
    )
    counts = dict.fromkeys(_SEVERITIES, 0)
    for a in alarms:
        active.add_metric([a.pdu_id, a.rule, a.entity, a.metric, a.severity, a.state], 1.0)
        counts[a.severity] = counts.get(a.severity, 0) + 1
    yield active
    total = GaugeMetricFamily(
        "smartpdu_alarms_active", "Active alarms per severity", labels=("severity",)
    )
    for sev, n in sorted(counts.items()):
        total.add_metric([sev], float(n))
    yield total


def _queue_families(queues: Iterable[QueueSample]) -> Iterator[Metric]:
    depth = GaugeMetricFamily(
        "smartpdu_delivery_queue_depth",
        "Events waiting in the outbox for one push destination",
        labels=("destination",),
    )
    failures = GaugeMetricFamily(
        "smartpdu_delivery_consecutive_failures",
        "Consecutive failed delivery attempts of one push destination (0 = healthy)",
        labels=("destination",),
    )
    enabled = GaugeMetricFamily(
        "smartpdu_delivery_enabled",
        "Push destination enabled (1) or disabled after failing too long (0)",
        labels=("destination",),
    )
    for q in queues:
        depth.add_metric([q.destination], float(q.depth))
        failures.add_metric([q.destination], float(q.failures))
        enabled.add_metric([q.destination], 1.0 if q.enabled else 0.0)
    yield depth
    yield failures
    yield enabled


class _Once(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


def exposition(scrape: ScrapeInput, accept: str = "") -> tuple[bytes, str]:
    """(body, content type) of one scrape: OpenMetrics when the scraper asks for it."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Once(collect_families(scrape)))
    if "application/openmetrics-text" in accept:
        return om_latest(registry), OM_CONTENT_TYPE
    return text_latest(registry), TEXT_CONTENT_TYPE
