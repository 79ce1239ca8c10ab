"""Dew point from air temperature and relative humidity (Magnus formula, Alduchov & Eskridge)."""

from __future__ import annotations

import math

__all__ = ["MAGNUS_A", "MAGNUS_B_C", "dew_point_c"]

MAGNUS_A = 17.625
MAGNUS_B_C = 243.04
"""Magnus coefficients over water, valid about -40..50 °C (error < 0.4 K)."""


def dew_point_c(temp_c: float, rh_pct: float) -> float:
    """Return the dew point in °C; ``rh_pct`` must be in (0, 100]."""
    if not 0.0 < rh_pct <= 100.0:
        raise ValueError(f"relative humidity must be in (0, 100] %, got {rh_pct}")
    gamma = math.log(rh_pct / 100.0) + MAGNUS_A * temp_c / (MAGNUS_B_C + temp_c)
    return MAGNUS_B_C * gamma / (MAGNUS_A - gamma)
