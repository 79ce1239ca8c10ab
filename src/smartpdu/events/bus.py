"""In-process event bus: bounded per-subscriber queues; publishing never blocks or awaits.

A slow consumer loses events (oldest first by default) instead of delaying the tick; it is
marked lagging and reported once through the ``on_lagging`` callback (the
:class:`~smartpdu.events.log.EventLog` turns that into a ``SUBSCRIBER_LAGGING`` event). Durable
consumers (webhooks, exports) must read from the store, not rely on the bus.

Usage::

    bus = EventBus()
    async with bus.subscribe(maxsize=256, name="sse") as sub:
        async for event in sub:
            ...

``publish`` may be called from any thread: off the loop thread it hands over with
``loop.call_soon_threadsafe`` (asyncio queues are not thread-safe).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Final

from smartpdu.events.model import Event

DEFAULT_QUEUE_SIZE: Final = 1024


class OverflowPolicy(StrEnum):
    """Which event a full subscriber queue loses."""

    DROP_OLDEST = "drop_oldest"
    DROP_NEWEST = "drop_newest"


class SubscriptionClosed(Exception):
    """Raised by :meth:`Subscription.get` once the subscription (or bus) is closed."""


@dataclass(frozen=True, slots=True)
class LagReport:
    """Handed to ``on_lagging`` the first time a subscriber drops an event."""

    subscriber: str
    maxsize: int
    dropped: int


_CLOSED: Final = object()


class Subscription:
    """One consumer's bounded queue; iterate it, ``await get()``, and close it when done."""

    def __init__(
        self,
        bus: EventBus,
        name: str,
        maxsize: int,
        policy: OverflowPolicy,
        accept: Callable[[Event], bool] | None,
    ) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be >= 1, got {maxsize}")
        self.name = name
        self.maxsize = maxsize
        self.policy = policy
        self._accept = accept
        self._bus = bus
        self._queue: asyncio.Queue[object] = asyncio.Queue(maxsize + 1)  # +1 for the sentinel
        self._closed = False
        self.dropped = 0
        self.lagging = False

    @property
    def closed(self) -> bool:
        return self._closed

    def qsize(self) -> int:
        """Number of events waiting."""
        return self._queue.qsize() - (1 if self._closed and not self._queue.empty() else 0)

    def _offer(self, event: Event) -> bool:
        """Enqueue without blocking; return True if this drop made the subscriber lagging."""
        if self._closed or (self._accept is not None and not self._accept(event)):
            return False
        if self._queue.qsize() < self.maxsize:
            self._queue.put_nowait(event)
            return False
        self.dropped += 1
        if self.policy is OverflowPolicy.DROP_OLDEST:
            self._queue.get_nowait()
            self._queue.put_nowait(event)
        first = not self.lagging
        self.lagging = True
        return first

    async def get(self) -> Event:
        """Wait for the next event; raise :class:`SubscriptionClosed` after close."""
        if self._closed and self._queue.empty():
            raise SubscriptionClosed(self.name)
        item = await self._queue.get()
        if item is _CLOSED:
            self._queue.put_nowait(_CLOSED)  # keep other waiters/iterations ending too
            raise SubscriptionClosed(self.name)
        assert isinstance(item, Event)
        return item

    def get_nowait(self) -> Event | None:
        """Return the next queued event or None when none is waiting."""
        if self._queue.empty():
            return None
        item = self._queue.get_nowait()
        if item is _CLOSED:
            self._queue.put_nowait(_CLOSED)
            return None
        assert isinstance(item, Event)
        return item

    def close(self) -> None:
        """Stop receiving; pending events can still be drained, then iteration ends."""
        if self._closed:
            return
        self._closed = True
        self._bus._remove(self)
        self._queue.put_nowait(_CLOSED)  # room guaranteed by the +1 slot

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        try:
            return await self.get()
        except SubscriptionClosed:
            raise StopAsyncIteration from None

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class EventBus:
    """Fan events out to subscribers; bound to the asyncio loop it is first used on."""

    def __init__(self, on_lagging: Callable[[LagReport], None] | None = None) -> None:
        self._subs: list[Subscription] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._lock = threading.Lock()
        self.on_lagging = on_lagging
        self._closed = False

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Bind to ``loop`` explicitly (otherwise the first ``subscribe`` binds)."""
        with self._lock:
            if self._loop is not None and self._loop is not loop:
                raise RuntimeError("EventBus is already bound to another event loop")
            self._loop = loop

    def subscribe(
        self,
        *,
        name: str = "subscriber",
        maxsize: int = DEFAULT_QUEUE_SIZE,
        policy: OverflowPolicy = OverflowPolicy.DROP_OLDEST,
        accept: Callable[[Event], bool] | None = None,
    ) -> Subscription:
        """Register a consumer (call inside the running loop); use as ``async with``."""
        if self._closed:
            raise RuntimeError("EventBus is closed")
        loop = asyncio.get_running_loop()
        self.bind(loop)
        self._loop_thread = threading.get_ident()
        sub = Subscription(self, name, maxsize, policy, accept)
        with self._lock:
            self._subs = [*self._subs, sub]
        return sub

    @property
    def subscribers(self) -> tuple[Subscription, ...]:
        return tuple(self._subs)

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            self._subs = [s for s in self._subs if s is not sub]

    def publish(self, event: Event) -> None:
        """Deliver ``event`` to every subscriber without blocking; safe from any thread."""
        loop = self._loop
        if loop is None or self._closed:
            return  # nobody ever subscribed: nothing to deliver
        if threading.get_ident() == self._loop_thread:
            self._deliver(event)
        elif not loop.is_closed():
            # The loop may close between the check and the call.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._deliver, event)

    def _deliver(self, event: Event) -> None:
        for sub in self._subs:
            if sub._offer(event) and self.on_lagging is not None and self._loop is not None:
                report = LagReport(sub.name, sub.maxsize, sub.dropped)
                # Deferred so a report that publishes again never re-enters this loop.
                self._loop.call_soon(self.on_lagging, report)

    def close(self) -> None:
        """Close every subscription; further publishes are ignored."""
        self._closed = True
        for sub in list(self._subs):
            sub.close()
