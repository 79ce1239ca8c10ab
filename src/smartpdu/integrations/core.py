"""The one delivery core: a single durable outbox shared by every push channel.

Redfish EventService subscriptions (``redfish-<id>``), webhooks (``webhook-<id>``), syslog
targets (``syslog-<id>``) and MQTT events (``mqtt``) are destinations of the same
:class:`~smartpdu.events.outbox.Outbox`: one place for cursors, order, backoff with jitter,
stable delivery ids, the delivery log and queue depths. Built and owned by the composition
root (it reads the runtime's store and bus, which interfaces never see).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

from smartpdu.events.outbox import Outbox
from smartpdu.events.outbox_plan import RetryPolicy
from smartpdu.events.outbox_store import OutboxRepository
from smartpdu.integrations.prometheus import QueueSample
from smartpdu.runtime.port import RuntimeBackend

__all__ = ["DeliveryCore"]


class DeliveryCore:
    """``async with DeliveryCore(runtime) as core:`` → ``core.outbox`` for every channel."""

    def __init__(
        self,
        runtime: RuntimeBackend,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] | None = None,
        poll_s: float = 5.0,
    ) -> None:
        s = runtime.config.delivery.webhooks
        self.runtime = runtime
        self.repo = OutboxRepository(runtime.store)
        self.outbox = Outbox(
            runtime.store,
            self.repo,
            bus=runtime.bus,
            policy=RetryPolicy(s.base_backoff_s, s.max_backoff_s, s.jitter),
            rng=rng,
            clock=clock,
            utc=runtime.now_utc,
            poll_s=poll_s,
            send_timeout_s=2 * s.timeout_s,
            name="delivery",
        )
        self.disabled: Callable[[], set[str]] = set
        """Destination ids known but disabled (webhooks set it), shown in queue stats."""

    async def start(self) -> None:
        await self.outbox.start()

    async def aclose(self) -> None:
        await self.outbox.aclose()

    async def __aenter__(self) -> DeliveryCore:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def has_cursors(self, dest_id: str) -> bool:
        """Whether ``dest_id`` ever delivered or was seeded (else: a new destination)."""
        return bool(await asyncio.to_thread(self.repo.cursors, dest_id))

    async def queue_stats(self) -> list[QueueSample]:
        """Depth and failures per live destination (for ``/metrics``)."""
        out: list[QueueSample] = []
        for dest_id in self.outbox.destinations:
            try:
                depth = await self.outbox.backlog(dest_id)
                failures = self.outbox.status(dest_id).failures
            except KeyError:  # removed meanwhile
                continue
            out.append(QueueSample(dest_id, depth, failures, True))
        out += [QueueSample(d, 0, 0, False) for d in sorted(self.disabled())]
        return out
