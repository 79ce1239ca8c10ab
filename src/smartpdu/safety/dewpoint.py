"""Dew point of the rack air from temperature and relative humidity (Magnus, Alduchov & Eskridge).

Condensation starts where a surface is colder than the dew point, so the rack-level value uses the
coldest temperature sensor: the worst case for the equipment in the rack.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Final

from smartpdu.model.snapshot import SensorSnapshot

__all__ = [
    "DEW_POINT_KIND",
    "DEW_POINT_SENSOR_ID",
    "MAGNUS_A",
    "MAGNUS_B_C",
    "dew_point_c",
    "dew_point_sensor",
    "rack_dew_point_c",
]

MAGNUS_A: Final = 17.625
MAGNUS_B_C: Final = 243.04
"""Magnus coefficients over water, valid about -40..50 °C (error < 0.4 K)."""
DEW_POINT_SENSOR_ID: Final = "dew-point"
"""Id of the derived rack-level sensor row in the snapshot (``rack/sensor/dew-point``)."""
DEW_POINT_KIND: Final = "dew_point"


def dew_point_c(temp_c: float, rh_pct: float) -> float:
    """Return the dew point in °C; ``rh_pct`` must be in (0, 100]."""
    if not 0.0 < rh_pct <= 100.0:
        raise ValueError(f"relative humidity must be in (0, 100] %, got {rh_pct}")
    gamma = math.log(rh_pct / 100.0) + MAGNUS_A * temp_c / (MAGNUS_B_C + temp_c)
    return MAGNUS_B_C * gamma / (MAGNUS_A - gamma)


def rack_dew_point_c(temps_c: Iterable[float], rh_pct: Iterable[float]) -> float | None:
    """Dew point from the coldest temperature and the first humidity; None if not computable."""
    temps = [t for t in temps_c if math.isfinite(t)]
    hums = [h for h in rh_pct if math.isfinite(h)]
    if not temps or not hums or not 0.0 < hums[0] <= 100.0:
        return None
    return dew_point_c(min(temps), hums[0])


def dew_point_sensor(sensors: Mapping[str, SensorSnapshot]) -> SensorSnapshot | None:
    """The rack air's dew point as a derived, sensor-like snapshot row (None if not computable)."""

    def values(kind: str) -> list[float]:
        return [s.value for s in sensors.values() if s.kind == kind and s.value is not None]

    dp = rack_dew_point_c(values("temperature"), values("humidity"))
    if dp is None:
        return None
    return SensorSnapshot(
        id=DEW_POINT_SENSOR_ID,
        kind=DEW_POINT_KIND,
        name="Rack air dew point",
        value=dp,
        unit="degC",
        status="ok",
    )
