"""Rack analytics over configuration and measurements (pure, no I/O): A/B redundancy, ..."""

from smartpdu.analytics.capacity import CapacityRow, WhatIf, capacity, what_if
from smartpdu.analytics.redundancy import (
    DeviceShare,
    FailoverLoad,
    device_shares,
    failover_projection,
    miswired_devices,
)
from smartpdu.analytics.risk import RiskFactor, RiskInputs, RiskScore, ramp, risk_score

__all__ = [
    "CapacityRow",
    "DeviceShare",
    "FailoverLoad",
    "RiskFactor",
    "RiskInputs",
    "RiskScore",
    "WhatIf",
    "capacity",
    "device_shares",
    "failover_projection",
    "miswired_devices",
    "ramp",
    "risk_score",
    "what_if",
]
