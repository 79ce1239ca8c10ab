"""Typed rows the :class:`~smartpdu.storage.base.Store` reads and writes (plain frozen data).

The account rows and the store errors are defined in :mod:`smartpdu.model` (so ``access/`` needs
no ``storage/``) and re-exported here as the same class objects: ``except ConflictError`` works
whichever module it was imported from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from smartpdu.events.model import JsonScalar
from smartpdu.model.accounts import SessionRecord, UserRecord
from smartpdu.model.errors import ConflictError, NotFoundError, StoreError

__all__ = [
    "ConfigVersion",
    "ConfigVersionInfo",
    "ConflictError",
    "EnergyRegisterState",
    "HistoryPoint",
    "NotFoundError",
    "Reading",
    "Resolution",
    "RetentionPolicy",
    "SessionRecord",
    "StoreError",
    "UserRecord",
    "from_epoch_s",
    "to_epoch_s",
]


class Resolution(StrEnum):
    """Stored reading resolutions (table per resolution)."""

    S1 = "1s"
    M1 = "1min"
    H1 = "1h"

    @property
    def seconds(self) -> int:
        return {"1s": 1, "1min": 60, "1h": 3600}[self.value]


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long each resolution is kept (defaults of issue 4: 48 h, 1 y, 10 y)."""

    s1: timedelta = timedelta(hours=48)
    m1: timedelta = timedelta(days=365)
    h1: timedelta = timedelta(days=3650)

    def for_resolution(self, res: Resolution) -> timedelta:
        return {Resolution.S1: self.s1, Resolution.M1: self.m1, Resolution.H1: self.h1}[res]


def to_epoch_s(ts: datetime) -> int:
    """Aware datetime → whole epoch seconds (floored)."""
    if ts.tzinfo is None:
        raise ValueError(f"timestamp {ts!r} is naive; pass a timezone-aware UTC datetime")
    return int(ts.timestamp() // 1)


def from_epoch_s(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True)
class Reading:
    """One 1-second reading of a metric key (``outlet/7/power_w``) with its min/avg/max.

    ``min``/``max`` default to ``avg`` when the producer only has one value.
    """

    pdu_id: str
    key: str
    ts: datetime
    avg: float
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """One bucket of history: start time, min/avg/max over the bucket and the 1 s sample count."""

    ts: datetime
    min: float
    avg: float
    max: float
    count: int


@dataclass(frozen=True, slots=True)
class EnergyRegisterState:
    """Full register state of one metering channel, replaced as a whole on every save.

    ``registers`` holds named values (``active_import_wh``, ``reactive_varh``, …); ``meta`` holds
    scalars such as who reset a trip register and when.
    """

    pdu_id: str
    channel: str
    registers: Mapping[str, float]
    updated_utc: datetime
    meta: Mapping[str, JsonScalar] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class ConfigVersionInfo:
    """A configuration version without its YAML text (for listings)."""

    version: int
    created_utc: datetime
    author: str
    comment: str


@dataclass(frozen=True, slots=True)
class ConfigVersion:
    """A stored configuration version with its YAML text."""

    version: int
    created_utc: datetime
    author: str
    comment: str
    yaml_text: str
