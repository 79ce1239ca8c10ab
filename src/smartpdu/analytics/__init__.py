"""Rack analytics over configuration and measurements (pure, no I/O): A/B redundancy, ..."""

from smartpdu.analytics.capacity import CapacityRow, WhatIf, capacity, what_if
from smartpdu.analytics.devices import DevicePsu, DeviceView, Headroom, device_views, headroom
from smartpdu.analytics.redundancy import (
    SHARE_BAND,
    DeviceShare,
    FailoverLoad,
    device_shares,
    failover_projection,
    miswired_devices,
)
from smartpdu.analytics.risk import RiskFactor, RiskInputs, RiskScore, ramp, risk_score

__all__ = [
    "SHARE_BAND",
    "CapacityRow",
    "DevicePsu",
    "DeviceShare",
    "DeviceView",
    "FailoverLoad",
    "Headroom",
    "RiskFactor",
    "RiskInputs",
    "RiskScore",
    "WhatIf",
    "capacity",
    "device_shares",
    "device_views",
    "failover_projection",
    "headroom",
    "miswired_devices",
    "ramp",
    "risk_score",
    "what_if",
]
