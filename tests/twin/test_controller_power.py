import itertools

import pytest

from smartpdu.hardware.samples import PowerSource
from smartpdu.twin.controller_power import select_power_source


@pytest.mark.parametrize(("a", "b", "poe"), list(itertools.product([True, False], repeat=3)))
def test_priority_feed_a_then_b_then_poe(a: bool, b: bool, poe: bool) -> None:
    got = select_power_source(a, b, poe)
    if a:
        assert got is PowerSource.FEED_A
    elif b:
        assert got is PowerSource.FEED_B
    elif poe:
        assert got is PowerSource.POE
    else:
        assert got is PowerSource.NONE
