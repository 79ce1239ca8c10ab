"""Which outlets feed which device: so shedding never cuts a device's last powered input.

The rack configuration maps every PSU of a device to a PDU outlet (``devices[].psus``). A device
with several inputs keeps running on any one of them; the outlet of its *last* powered input is
the one whose switch-off takes the device down. Pure lookup; "powered" is the caller's judgement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from smartpdu.config import RackConfig

__all__ = ["DeviceInputs", "Powered"]

Powered = Callable[[str, str], bool]
"""``powered(pdu_id, outlet_id)``: the outlet delivers power right now."""


@dataclass(frozen=True, slots=True)
class _Feeds:
    device: str
    others: tuple[tuple[str, str], ...]


class DeviceInputs:
    """Outlet → (device, its other inputs) for every device with more than one input."""

    def __init__(self, config: RackConfig) -> None:
        self._by_outlet: dict[tuple[str, str], list[_Feeds]] = {}
        for d in config.devices:
            inputs = [(p.pdu, p.outlet) for p in d.psus]
            if len(set(inputs)) < 2:
                continue
            for inp in set(inputs):
                others = tuple(sorted(x for x in set(inputs) if x != inp))
                self._by_outlet.setdefault(inp, []).append(_Feeds(d.name, others))

    def last_input_of(self, pdu_id: str, outlet_id: str, powered: Powered) -> str | None:
        """The device this outlet is the last powered input of (None: none, or not a
        several-input device)."""
        for feeds in self._by_outlet.get((pdu_id, outlet_id), []):
            if not any(powered(p, o) for p, o in feeds.others):
                return feeds.device
        return None
