"""Environment and safety analytics: pure functions over sensor values (no I/O, no clock)."""

from smartpdu.safety.dewpoint import (
    DEW_POINT_KIND,
    DEW_POINT_SENSOR_ID,
    MAGNUS_A,
    MAGNUS_B_C,
    dew_point_c,
    dew_point_sensor,
    rack_dew_point_c,
)

__all__ = [
    "DEW_POINT_KIND",
    "DEW_POINT_SENSOR_ID",
    "MAGNUS_A",
    "MAGNUS_B_C",
    "dew_point_c",
    "dew_point_sensor",
    "rack_dew_point_c",
]
