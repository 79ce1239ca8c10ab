"""Home Assistant MQTT discovery configs, generated from the metric catalogue (pure).

One HA device per PDU (inlet, phases, branches and the outlets that feed no configured rack
device) and one per rack device (the outlets of its PSUs, ``via_device`` the PDU), plus one for
the rack's own sensors. Every catalogue row with a Home Assistant device class becomes a sensor
at each of its levels (sensor readings too, classed by unit); counters are
``state_class: total_increasing``, gauges ``measurement``. Topic::

    <discovery_prefix>/sensor/<node_id>/<object_id>/config    (retained)

Fields follow https://www.home-assistant.io/integrations/sensor.mqtt/ (name, unique_id,
state_topic, value_template, unit_of_measurement, device_class, state_class,
availability_topic, payload_available, payload_not_available, device{identifiers, name,
manufacturer, model, via_device}).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from smartpdu import __version__
from smartpdu.integrations.mqtt.topics import RACK, node_of, value_topic
from smartpdu.model.metrics import Kind, Level
from smartpdu.model.snapshot import RackSnapshot
from smartpdu.model.walk import MetricValue, catalogue_values, entity_key

__all__ = ["HA_UNITS", "discovery_configs"]

HA_UNITS: Final = {"Cel": "°C", "1": None, "sensor unit": None}
"""Catalogue (UCUM) units that Home Assistant spells differently (None: no unit)."""
_SENSOR_CLASS: Final = {"°C": "temperature", "Cel": "temperature", "%RH": "humidity",
                        "%": "humidity", "ppb": "volatile_organic_compounds_parts"}  # fmt: skip
_SAFE: Final = re.compile(r"[^A-Za-z0-9_-]")


def _ha_unit(unit: str) -> str | None:
    return HA_UNITS.get(unit, unit) if unit else None


def _device(v: MetricValue, rack_name: str, prefix: str) -> dict[str, Any]:
    if v.level is Level.SENSOR and not v.pdu_id:
        return {"identifiers": [f"{prefix}_{RACK}"], "name": f"{rack_name} sensors",
                "manufacturer": "SmartPDU", "model": "rack sensors"}  # fmt: skip
    pdu = {"identifiers": [f"{prefix}_{v.pdu_id}"], "name": v.pdu_id, "manufacturer": "SmartPDU",
           "model": "SmartPDU controller", "sw_version": __version__}  # fmt: skip
    if v.level is Level.OUTLET and v.device:
        return {"identifiers": [f"{prefix}_device_{v.device}"], "name": v.device,
                "manufacturer": "rack device", "via_device": f"{prefix}_{v.pdu_id}"}  # fmt: skip
    return pdu


def _class(v: MetricValue) -> str | None:
    if v.level is Level.SENSOR:
        return _SENSOR_CLASS.get(v.unit)
    return v.metric.ha_device_class


def discovery_configs(
    snap: RackSnapshot,
    devices: Mapping[tuple[str, str], str],
    *,
    prefix: str,
    discovery_prefix: str,
    rack_name: str,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(config topic, config payload) of every Home Assistant sensor."""
    for v in catalogue_values(snap, devices):
        cls = _class(v)
        if cls is None and v.level is not Level.SENSOR:
            continue
        node = _SAFE.sub("_", f"{prefix}_{node_of(v)}")
        obj = _SAFE.sub("_", f"{entity_key(v.level, v.entity_id)}_{v.metric.key}")
        label = v.name if v.level is not Level.INLET else "inlet"
        cfg: dict[str, Any] = {
            "name": f"{v.level.value} {label} {v.metric.key}",
            "unique_id": f"{node}_{obj}",
            "state_topic": value_topic(prefix, v),
            "value_template": "{{ value_json.avg }}",
            "json_attributes_topic": value_topic(prefix, v),
            "state_class": "total_increasing" if v.metric.kind is Kind.COUNTER else "measurement",
            "availability_topic": f"{prefix}/status",
            "payload_available": "online",
            "payload_not_available": "offline",
            "device": _device(v, rack_name, prefix),
        }
        unit = _ha_unit(v.unit)
        if unit is not None:
            cfg["unit_of_measurement"] = unit
        if cls is not None:
            cfg["device_class"] = cls
        yield f"{discovery_prefix}/sensor/{node}/{obj}/config", cfg
