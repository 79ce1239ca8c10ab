"""Dew point (Magnus) against its closed-form inverse and published table values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartpdu.safety import dew_point_c, rack_dew_point_c
from smartpdu.safety.dewpoint import MAGNUS_A, MAGNUS_B_C


def saturation_ratio(t_c: float) -> float:
    return math.exp(MAGNUS_A * t_c / (MAGNUS_B_C + t_c))


@given(st.floats(-20, 45), st.floats(5, 100))
def test_inverse_reproduces_humidity(t_c: float, rh: float) -> None:
    td = dew_point_c(t_c, rh)
    assert td <= t_c + 1e-9
    assert 100 * saturation_ratio(td) / saturation_ratio(t_c) == pytest.approx(rh, rel=1e-9)


@pytest.mark.parametrize(("t", "rh", "td"), [(20, 50, 9.3), (25, 60, 16.7), (30, 80, 26.2)])
def test_table_values(t: float, rh: float, td: float) -> None:
    assert dew_point_c(t, rh) == pytest.approx(td, abs=0.1)


def test_saturated_air_dew_point_is_air_temperature() -> None:
    assert dew_point_c(18.0, 100.0) == pytest.approx(18.0, abs=1e-12)


@pytest.mark.parametrize("rh", [0.0, -1.0, 100.5])
def test_rejects_impossible_humidity(rh: float) -> None:
    with pytest.raises(ValueError, match="relative humidity"):
        dew_point_c(20.0, rh)


def test_rack_dew_point_uses_coldest_temperature_and_first_humidity() -> None:
    assert rack_dew_point_c([25.0, 20.0], [50.0, 90.0]) == pytest.approx(dew_point_c(20.0, 50.0))


@pytest.mark.parametrize(
    ("temps", "hums"), [([], [50.0]), ([20.0], []), ([20.0], [0.0]), ([math.nan], [50.0])]
)
def test_rack_dew_point_is_none_when_not_computable(temps: list[float], hums: list[float]) -> None:
    assert rack_dew_point_c(temps, hums) is None
