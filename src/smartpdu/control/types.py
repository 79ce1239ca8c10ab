"""Plain data crossing the control-plane hook (runtime ⇄ ControlPlane)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from smartpdu.events.model import NewEvent
from smartpdu.model.commands import CommandResult

__all__ = ["CommandTicket", "KeyValue", "MemoryKv", "RelayCommand", "TickOutput", "as_kv"]


@dataclass(frozen=True, slots=True)
class RelayCommand:
    """Drive one outlet relay; the runtime applies it to the hardware for the next window."""

    pdu_id: str
    outlet_id: str
    on: bool


@dataclass(frozen=True, slots=True)
class TickOutput:
    relay_commands: list[RelayCommand] = field(default_factory=list)
    events: list[NewEvent] = field(default_factory=list)
    completed: list[CommandResult] = field(default_factory=list)
    journal_events: list[NewEvent] = field(default_factory=list)
    """Command intents and command-driven relay steps: commit these durably before applying
    ``relay_commands`` (a crash then never leaves a relay move without its record)."""


@dataclass(frozen=True, slots=True)
class CommandTicket:
    """``result`` is set at once for duplicates, rejections, denials and lockouts; otherwise the
    runtime waits for ``command_id`` in :attr:`TickOutput.completed`."""

    command_id: str
    result: CommandResult | None
    key: str = ""
    """The ledger key (actor + client id): what the waiter of this command is matched by."""


class KeyValue(Protocol):
    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> None: ...


class MemoryKv:
    """In-memory :class:`KeyValue` for tests and benchmarks."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.data.get(key)

    def set(self, key: str, value: str) -> None:
        self.data[key] = value

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


class _StoreKv:
    def __init__(self, store: Any) -> None:
        self._store = store

    def get(self, key: str) -> str | None:
        value: str | None = self._store.kv_get(key)
        return value

    def set(self, key: str, value: str) -> None:
        self._store.kv_set(key, value)

    def delete(self, key: str) -> None:
        self._store.kv_delete(key)


def as_kv(obj: Any) -> KeyValue:
    """Accept a get/set object or a Store (kv_get/kv_set); ``None`` gives an in-memory one."""
    if obj is None:
        return MemoryKv()
    if hasattr(obj, "kv_get") and hasattr(obj, "kv_set"):
        return _StoreKv(obj)
    if hasattr(obj, "get") and hasattr(obj, "set") and hasattr(obj, "delete"):
        kv: KeyValue = obj
        return kv
    raise TypeError(f"kv must offer get/set or kv_get/kv_set, got {type(obj).__name__}")
