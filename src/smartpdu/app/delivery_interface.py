"""The push channels as one interface: the shared outbox and every channel that feeds it.

Built by the composition root (:mod:`smartpdu.app.server`), which alone may hand the runtime
to the delivery core. Start order: channels register their destinations (Redfish
subscriptions, webhooks, syslog targets, MQTT), then the outbox starts one worker per
destination; stop in reverse, so no worker is cut off mid-way by its channel closing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

from smartpdu.access import AuthService
from smartpdu.integrations.core import DeliveryCore
from smartpdu.runtime.port import RackPort

__all__ = ["Channel", "DeliveryInterface"]


class Channel(Protocol):
    async def start(self) -> None: ...
    async def aclose(self) -> None: ...


class DeliveryInterface:
    """Redfish EventService, webhooks (and syslog/MQTT) on one delivery core."""

    name = "delivery"

    def __init__(self, core: DeliveryCore, channels: Sequence[Channel]) -> None:
        self.core = core
        self._channels = list(channels)
        self._started: list[Channel] = []
        self._stopped = asyncio.Event()

    async def start(self, port: RackPort, auth: AuthService) -> None:
        for ch in self._channels:
            await ch.start()
            self._started.append(ch)
        await self.core.start()

    async def wait(self) -> None:
        await self._stopped.wait()

    async def stop(self) -> None:
        await self.core.aclose()
        while self._started:
            await self._started.pop().aclose()
        self._stopped.set()
