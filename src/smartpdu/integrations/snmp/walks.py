"""Keep a walk in progress on the index it started with, so no walk mixes two ticks in a row.

A walk is a chain of GETNEXT/GETBULK requests, each starting where the last response ended.
For each client (transport address + security name) the index of its walk is remembered with
the last OID served; a request that continues from there (its first OID is that last OID) is
served from the same index; anything else (a GET, a new walk from an earlier OID, a pause
longer than ``idle_s`` between two requests, a walk older than ``max_age_s``) starts from the
latest index. Pure: the caller passes the time.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["WalkPins"]

_I = TypeVar("_I")
Client = tuple[object, str]


@dataclass(slots=True)
class _Pin(Generic[_I]):
    index: _I
    last: tuple[int, ...]
    started: float
    seen: float


class WalkPins(Generic[_I]):
    """Per-client pinned indexes, bounded (oldest clients forgotten first)."""

    def __init__(
        self, idle_s: float = 5.0, max_age_s: float = 120.0, max_clients: int = 256
    ) -> None:
        self._idle_s = idle_s
        self._max_age_s = max_age_s
        self._max_clients = max_clients
        self._pins: OrderedDict[Client, _Pin[_I]] = OrderedDict()

    def index_for(self, client: Client, first_oid: tuple[int, ...], latest: _I, now: float) -> _I:
        """The index a next-walk request of ``client`` starting at ``first_oid`` reads."""
        pinned = self.pinned(client, first_oid, now)
        return latest if pinned is None else pinned

    def pinned(self, client: Client, first_oid: tuple[int, ...], now: float) -> _I | None:
        """The index of the walk this request continues, or None (read the latest)."""
        pin = self._pins.get(client)
        if (
            pin is not None
            and pin.last == first_oid
            and now - pin.seen <= self._idle_s
            and now - pin.started <= self._max_age_s
        ):
            return pin.index
        return None

    def served(self, client: Client, index: _I, last_oid: tuple[int, ...], now: float) -> None:
        """Remember where ``client``'s walk on ``index`` stopped."""
        pin = self._pins.get(client)
        if pin is not None and pin.index is index:
            pin.last, pin.seen = last_oid, now
            self._pins.move_to_end(client)
            return
        self._pins[client] = _Pin(index, last_oid, now, now)
        self._pins.move_to_end(client)
        while len(self._pins) > self._max_clients:
            self._pins.popitem(last=False)
