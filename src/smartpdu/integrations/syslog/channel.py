"""Syslog targets of the rack configuration (``delivery.syslog``) as outbox destinations.

Destination ``syslog-<id>`` per target, filtered by its ``min_severity``. A target seen for the
first time starts at the head of every chain (a new collector does not get years of history);
from then on its cursor is durable like any other destination's.
"""

from __future__ import annotations

from smartpdu.events.codes import Severity
from smartpdu.events.outbox import Destination
from smartpdu.events.outbox_plan import EventFilter
from smartpdu.integrations.core import DeliveryCore
from smartpdu.integrations.syslog.sender import SyslogSender

__all__ = ["SyslogChannel"]

_PREFIX = "syslog-"


class SyslogChannel:
    def __init__(self, core: DeliveryCore, *, hostname: str | None = None) -> None:
        self._core = core
        self._hostname = hostname
        self._senders: dict[str, SyslogSender] = {}

    async def start(self) -> None:
        for target in self._core.port.config.delivery.syslog:
            dest_id = f"{_PREFIX}{target.id}"
            if not await self._core.has_cursors(dest_id):
                await self._core.outbox.seed_at_head(dest_id)
            sender = SyslogSender(target, hostname=self._hostname)
            self._senders[dest_id] = sender
            accept = EventFilter(min_severity=Severity(target.min_severity))
            self._core.outbox.add(Destination(dest_id, sender, accept))

    async def aclose(self) -> None:
        for dest_id, sender in self._senders.items():
            await self._core.outbox.remove(dest_id, forget=False)
            await sender.aclose()
        self._senders.clear()
