"""MQTT telemetry, events, LWT and Home Assistant discovery from the metric catalogue."""

from smartpdu.integrations.mqtt.channel import DEST_ID, MqttChannel
from smartpdu.integrations.mqtt.discovery import discovery_configs
from smartpdu.integrations.mqtt.topics import TelemetryWindow, state_topic, value_topic

__all__ = ["DEST_ID", "MqttChannel", "TelemetryWindow", "discovery_configs", "state_topic",
           "value_topic"]  # fmt: skip
