"""Event and telemetry delivery settings of a rack (``delivery:`` in the YAML).

Webhook subscriptions themselves (URL, secret, filters) are runtime objects managed over REST
(``/api/v1/webhooks``) and kept in the store: their secrets must never land in a configuration
version that is exported or rolled back. What is here is policy: how hard to retry, when to give
up on a dead receiver, who may scrape ``/metrics``, where syslog and MQTT go.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "DeliveryConfig",
    "MqttConfig",
    "PrometheusConfig",
    "SyslogTarget",
    "WebhookSettings",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PrometheusConfig(_Model):
    """``GET /metrics``: the Prometheus text exposition of the catalogue."""

    enabled: bool = True
    require_auth: bool = False
    """Demand a bearer token with the ``read`` permission (scrapers send ``authorization``)."""


class WebhookSettings(_Model):
    """Retry and give-up policy shared by every webhook."""

    timeout_s: float = Field(10.0, gt=0, le=120)
    base_backoff_s: float = Field(1.0, gt=0, le=600)
    max_backoff_s: float = Field(300.0, gt=0, le=86400)
    jitter: float = Field(0.2, ge=0, le=1)
    disable_after_s: float = Field(86400.0, ge=10, le=30 * 86400)
    """A webhook failing without a single success for this long is disabled (``WEBHOOK_DISABLED``)."""
    rotation_overlap_s: float = Field(86400.0, ge=0, le=30 * 86400)
    """After a secret rotation the old secret keeps signing (a second signature) this long."""
    max_webhooks: int = Field(32, ge=1, le=1000)

    @model_validator(mode="after")
    def _backoff_order(self) -> WebhookSettings:
        if self.base_backoff_s > self.max_backoff_s:
            raise ValueError("base_backoff_s must not exceed max_backoff_s")
        return self


class SyslogTarget(_Model):
    """One syslog collector: RFC 5424 over UDP, TCP (octet counting) or TLS (RFC 5425)."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    host: str = Field(min_length=1, max_length=253)
    port: int = Field(514, ge=1, le=65535)
    transport: Literal["udp", "tcp", "tls"] = "udp"
    format: Literal["rfc5424", "cef"] = "rfc5424"
    facility: int = Field(16, ge=0, le=23)
    """16 = local0."""
    ca_file: str | None = None
    """TLS: CA bundle that signed the collector's certificate (default: the system store)."""
    min_severity: Literal["info", "warning", "critical"] = "info"


class MqttConfig(_Model):
    """MQTT telemetry, events, availability and Home Assistant discovery."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    tls: bool = False
    ca_file: str | None = None
    username: str | None = None
    password: str | None = None
    topic_prefix: str = Field("smartpdu", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    cadence_s: float = Field(1.0, ge=0.2, le=3600)
    discovery: bool = True
    discovery_prefix: str = Field("homeassistant", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    command_topics: bool = False
    """Accept outlet switching over MQTT (off by default; the broker's ACLs must restrict it)."""


class DeliveryConfig(_Model):
    prometheus: PrometheusConfig = PrometheusConfig()
    webhooks: WebhookSettings = WebhookSettings()
    syslog: list[SyslogTarget] = Field(default_factory=list, max_length=8)
    mqtt: MqttConfig = MqttConfig()

    @model_validator(mode="after")
    def _unique_syslog(self) -> DeliveryConfig:
        ids = [t.id for t in self.syslog]
        if len(ids) != len(set(ids)):
            raise ValueError("syslog target ids must be unique")
        return self
