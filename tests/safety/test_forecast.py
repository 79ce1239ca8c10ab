"""Capacity forecast from history (issue 13 item 11): the line fit against analytic values."""

from __future__ import annotations

import pytest

from smartpdu.analytics.forecast import linear_forecast

DAY = 86400.0


def test_a_rising_load_reaches_its_limit_when_the_line_says() -> None:
    pts = [(k * 3600.0, 6.0 + 0.25 * k / 24) for k in range(24 * 14)]  # +0.25 A per day
    fc = linear_forecast(pts, 12.8)
    assert fc is not None
    assert fc.slope_per_day == pytest.approx(0.25)
    last_v = pts[-1][1]
    assert fc.fitted_now == pytest.approx(last_v)
    assert fc.seconds_to_limit == pytest.approx((12.8 - last_v) / 0.25 * DAY)


def test_flat_falling_above_and_too_short() -> None:
    assert linear_forecast([(0, 5.0), (3600, 5.0), (7200, 5.0)], 12.8).seconds_to_limit is None  # type: ignore[union-attr]
    assert linear_forecast([(0, 9.0), (3600, 8.0), (7200, 7.0)], 12.8).seconds_to_limit is None  # type: ignore[union-attr]
    assert linear_forecast([(0, 13.0), (3600, 13.5), (7200, 14.0)], 12.8).seconds_to_limit == 0.0  # type: ignore[union-attr]
    assert linear_forecast([(0, 1.0), (3600, 2.0)], 12.8) is None
