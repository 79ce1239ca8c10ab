"""Live configuration changes: validate, version, apply to the control plane, audit, roll back.

Live changes keep the topology (PDUs, branches, outlets); anything else needs a restart.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import datetime

from smartpdu.config import ConfigError, ConfigIssue, RackConfig, dump_config, parse_config
from smartpdu.control import ControlPlane
from smartpdu.events import EventLog
from smartpdu.runtime.audit import config_changed
from smartpdu.storage import Store

__all__ = ["ConfigKeeper", "check_same_topology"]


class ConfigKeeper:
    """Holds the running configuration; the tick reads :attr:`config` at the start of a window."""

    def __init__(
        self,
        config: RackConfig,
        store: Store,
        events: EventLog,
        control: ControlPlane,
        lock: threading.RLock,
        now_utc: Callable[[], datetime],
    ) -> None:
        self.config = config
        self._store = store
        self._events = events
        self._control = control
        self._lock = lock
        self._now_utc = now_utc

    def record_initial(self) -> None:
        """Store the start-up configuration as version 1 of a fresh database."""
        if self._store.get_config_version() is None:
            self._store.add_config_version(
                dump_config(self.config), "system", "initial configuration", self._now_utc()
            )

    async def apply(self, yaml_text: str, actor: str, comment: str = "") -> int:
        new = parse_config(yaml_text, "submitted configuration")
        check_same_topology(self.config, new)
        version = await asyncio.to_thread(
            self._store.add_config_version, dump_config(new), actor, comment, self._now_utc()
        )
        with self._lock:
            self.config = new
            self._control.update_config(new)
        for pdu in new.pdus:
            self._events.append(config_changed(pdu.id, version, actor, comment))
        return version

    async def rollback(self, version: int, actor: str) -> int:
        old = await asyncio.to_thread(self._store.get_config_version, version)
        if old is None:
            raise KeyError(f"configuration version {version} does not exist")
        return await self.apply(old.yaml_text, actor, f"rollback to version {version}")


def check_same_topology(old: RackConfig, new: RackConfig) -> None:
    """Live changes may not add/remove PDUs, branches or outlets (that needs a restart)."""
    issues = []
    if [p.id for p in old.pdus] != [p.id for p in new.pdus]:
        issues.append(ConfigIssue("pdus", "the set of PDUs cannot change while running"))
    else:
        for i, (a, b) in enumerate(zip(old.pdus, new.pdus, strict=True)):
            if [o.id for o in a.outlets] != [o.id for o in b.outlets]:
                issues.append(ConfigIssue(f"pdus[{i}].outlets", "outlet ids cannot change live"))
            if [x.id for x in a.branches] != [x.id for x in b.branches]:
                issues.append(ConfigIssue(f"pdus[{i}].branches", "branch ids cannot change live"))
    if issues:
        raise ConfigError(issues, "submitted configuration")
