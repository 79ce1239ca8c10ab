"""Which source keeps the rack controller alive: feed A, feed B, or PoE as the last resort."""

from __future__ import annotations

from smartpdu.hardware.samples import PowerSource

__all__ = ["select_power_source"]


def select_power_source(feed_a_ok: bool, feed_b_ok: bool, poe_present: bool) -> PowerSource:
    """Prefer feed A, then feed B, then PoE; ``NONE`` means the controller is down.

    With both feeds lost and PoE present the controller lives on, so it can still log the outage
    and report it.
    """
    if feed_a_ok:
        return PowerSource.FEED_A
    if feed_b_ok:
        return PowerSource.FEED_B
    if poe_present:
        return PowerSource.POE
    return PowerSource.NONE
