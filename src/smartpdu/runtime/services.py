"""Deprecated names kept while other modules migrate to :mod:`smartpdu.runtime.port`.

``RuntimeServices`` is the runtime side of the port (:class:`~smartpdu.runtime.port.RuntimeBackend`);
interfaces use :class:`~smartpdu.runtime.port.RackPort`.
"""

from __future__ import annotations

from smartpdu.model.commands import (
    CommandResult,
    CommandStatus,
    OutletAction,
    OutletCommand,
    OutletOutcome,
)
from smartpdu.runtime.port import RuntimeBackend as RuntimeServices

__all__ = [
    "CommandResult",
    "CommandStatus",
    "OutletAction",
    "OutletCommand",
    "OutletOutcome",
    "RuntimeServices",
]
