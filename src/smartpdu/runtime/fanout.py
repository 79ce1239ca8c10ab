"""Fan the latest snapshot out to every reader: one slot per reader, a slow reader skips.

Readers iterate :meth:`SnapshotHub.stream`; a reader that has not taken the previous snapshot
when a new one arrives gets the new one instead (it never blocks the tick, never piles up).
Event-loop thread only.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from smartpdu.model.snapshot import RackSnapshot

__all__ = ["SnapshotHub"]


class SnapshotHub:
    def __init__(self) -> None:
        self.latest: RackSnapshot | None = None
        self._queues: set[asyncio.Queue[RackSnapshot]] = set()

    def publish(self, snapshot: RackSnapshot) -> None:
        self.latest = snapshot
        for queue in list(self._queues):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(snapshot)

    async def stream(self) -> AsyncIterator[RackSnapshot]:
        queue: asyncio.Queue[RackSnapshot] = asyncio.Queue(maxsize=1)
        self._queues.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.discard(queue)
