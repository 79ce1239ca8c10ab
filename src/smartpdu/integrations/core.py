"""The one delivery core: a single durable outbox shared by every push channel.

Redfish EventService subscriptions (``redfish-<id>``), webhooks (``webhook-<id>``), syslog
targets (``syslog-<id>``) and MQTT events (``mqtt``) are destinations of the same
:class:`~smartpdu.events.outbox.Outbox`: one place for cursors, order, backoff with jitter,
stable delivery ids, the delivery log and queue depths. Built and owned by the composition
root from ``port.outbox(...)``.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from smartpdu.events.outbox_plan import RetryPolicy
from smartpdu.integrations.prometheus import QueueSample
from smartpdu.runtime.port import RackPort, RuntimeBackend

__all__ = ["DeliveryCore"]


class DeliveryCore:
    """``async with DeliveryCore(port) as core:`` → ``core.outbox`` for every channel."""

    def __init__(
        self,
        port: RackPort | RuntimeBackend,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] | None = None,
        poll_s: float = 5.0,
    ) -> None:
        self.port = port = RackPort.wrap(port)
        s = port.config.delivery.webhooks
        self.outbox = port.outbox(
            "delivery",
            policy=RetryPolicy(s.base_backoff_s, s.max_backoff_s, s.jitter),
            rng=rng,
            clock=clock,
            poll_s=poll_s,
            send_timeout_s=2 * s.timeout_s,
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
        return await self.outbox.has_cursors(dest_id)

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
