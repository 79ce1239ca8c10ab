"""Rack analytics over configuration and measurements (pure, no I/O): A/B redundancy, ..."""

from smartpdu.analytics.redundancy import (
    DeviceShare,
    FailoverLoad,
    device_shares,
    failover_projection,
    miswired_devices,
)

__all__ = [
    "DeviceShare",
    "FailoverLoad",
    "device_shares",
    "failover_projection",
    "miswired_devices",
]
