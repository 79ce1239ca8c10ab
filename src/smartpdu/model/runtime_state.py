"""Small runtime state that must survive a restart, as repository protocols (migration 8).

The stages that own the state (alarms, maximum demand, residual-current trends) see these
protocols; the stores implement them over typed tables (``storage/state_repos.py``). All
methods are synchronous: the stages read at start and write through the runtime's writer
thread. On the bottom floor so that ``runtime/`` and ``storage/`` share them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

__all__ = ["AlarmStateRepository", "MaxDemandRepository", "ResidualTrendRepository"]


class AlarmStateRepository(Protocol):
    """The alarm engine's id counter, active alarms and recent history."""

    def load(self) -> dict[str, Any] | None:
        """The saved state in :meth:`smartpdu.alarms.AlarmEngine.dump`'s shape (``next_id``,
        ``active``: ``[{"alarm": {...}, "acknowledged": bool}]``, ``history``: ``[{...}]``
        oldest first), or None when nothing was ever saved."""
        ...

    def save(self, state: Mapping[str, Any]) -> None:
        """Replace the saved state with ``state`` (the same shape) in one transaction."""
        ...


class MaxDemandRepository(Protocol):
    """Maximum 15-min demand per PDU and channel (``L1``… phase currents, ``power``)."""

    def load(self, pdu_id: str) -> dict[str, float]:
        """Saved maxima of ``pdu_id`` by channel (empty when none)."""
        ...

    def save(self, pdu_id: str, values: Mapping[str, float]) -> None:
        """Upsert the maxima of ``pdu_id`` (channels not named keep their value)."""
        ...


class ResidualTrendRepository(Protocol):
    """Bucket means of every residual-current channel's trend (entity -> [(t_s, mean_ma)])."""

    def load(self) -> dict[str, list[tuple[float, float]]]: ...

    def save(self, trends: Mapping[str, Sequence[tuple[float, float]]]) -> None:
        """Replace every saved trend with ``trends`` in one transaction."""
        ...
