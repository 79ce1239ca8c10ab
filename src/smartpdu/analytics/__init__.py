"""Rack analytics over configuration and measurements (pure, no I/O): A/B redundancy, ..."""

from smartpdu.analytics.redundancy import (
    DeviceShare,
    FailoverLoad,
    device_shares,
    failover_projection,
    miswired_devices,
)
from smartpdu.analytics.risk import RiskFactor, RiskInputs, RiskScore, ramp, risk_score

__all__ = [
    "DeviceShare",
    "FailoverLoad",
    "RiskFactor",
    "RiskInputs",
    "RiskScore",
    "device_shares",
    "failover_projection",
    "miswired_devices",
    "ramp",
    "risk_score",
]
