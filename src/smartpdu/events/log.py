"""The single writer of every PDU's event chain: seal, persist (committed), then publish.

Usage::

    log = EventLog(store, load_or_create_device_key(data_dir), clock=clock.now_utc, bus=bus)
    event = log.append(NewEvent(pdu_id="pdu-a", source="outlet/7",
                                event_code=EventCode.OUTLET_ON, message="Outlet 7 on",
                                action_taken=Action.SWITCH, actor="alice"))
    ...
    log.close()   # writes the final signed checkpoints

Thread-safe: the tick thread and API handlers may append concurrently; one lock orders
sequence assignment, the store commit and publishing, so subscribers see events in
``sequence_id`` order. Only one ``EventLog`` (one process) may write a given PDU's chain.
``append`` commits synchronously (≈2 ms with SQLite ``synchronous=FULL``): from async code
call it through ``asyncio.to_thread``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from smartpdu.events.bus import EventBus, LagReport
from smartpdu.events.chain import GENESIS_HASH, Checkpoint, seal
from smartpdu.events.codes import EventCode
from smartpdu.events.model import Action, Event, NewEvent, format_timestamp
from smartpdu.events.signing import DeviceKey

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
"""Returns the current time as an aware UTC datetime (wall or simulated)."""

DEFAULT_CHECKPOINT_EVERY = 100


class EventStore(Protocol):
    """The part of :class:`smartpdu.storage.Store` the log needs."""

    def append_events(self, events: Sequence[Event]) -> None: ...
    def last_event(self, pdu_id: str) -> Event | None: ...
    def append_checkpoint(self, checkpoint: Checkpoint) -> None: ...
    def checkpoints(self, pdu_id: str) -> list[Checkpoint]: ...


@dataclass(slots=True)
class _Head:
    sequence_id: int
    hash: str
    last: Event | None
    since_checkpoint: int


class EventLog:
    """Assigns ``sequence_id``/time/hashes, commits to the store, signs checkpoints, publishes."""

    def __init__(
        self,
        store: EventStore,
        key: DeviceKey,
        clock: Clock,
        *,
        bus: EventBus | None = None,
        checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
        lag_pdu_id: str | None = None,
    ) -> None:
        """``lag_pdu_id`` names the chain that records SUBSCRIBER_LAGGING (default: every PDU
        this log has written)."""
        if checkpoint_every < 1:
            raise ValueError(f"checkpoint_every must be >= 1, got {checkpoint_every}")
        self._store = store
        self._key = key
        self._clock = clock
        self._bus = bus
        self._every = checkpoint_every
        self._lag_pdu_id = lag_pdu_id
        self._heads: dict[str, _Head] = {}
        self._lock = threading.RLock()
        self._closed = False
        if bus is not None:
            bus.on_lagging = self._report_lagging

    @property
    def key(self) -> DeviceKey:
        return self._key

    def _now(self) -> str:
        return format_timestamp(self._clock())

    def _head(self, pdu_id: str) -> _Head:
        head = self._heads.get(pdu_id)
        if head is None:
            last = self._store.last_event(pdu_id)
            if last is None:
                head = _Head(0, GENESIS_HASH, None, 0)
            else:
                cps = self._store.checkpoints(pdu_id)
                covered = cps[-1].sequence_id if cps else 0
                head = _Head(last.sequence_id, last.hash, last, last.sequence_id - covered)
            self._heads[pdu_id] = head
        return head

    def head(self, pdu_id: str) -> tuple[int, str]:
        """Return ``(last sequence_id, last hash)`` of ``pdu_id``; ``(0, GENESIS_HASH)`` if none."""
        with self._lock:
            h = self._head(pdu_id)
            return h.sequence_id, h.hash

    def append(self, draft: NewEvent) -> Event:
        """Seal, commit and publish one event; return it. Raises if the store write fails."""
        return self.append_many([draft])[0]

    def append_many(self, drafts: Sequence[NewEvent]) -> list[Event]:
        """Seal and commit several events in one transaction (all or none), then publish."""
        if not drafts:
            return []
        with self._lock:
            if self._closed:
                raise RuntimeError("EventLog is closed")
            ts = self._now()
            pending: dict[str, tuple[int, str]] = {}
            sealed: list[Event] = []
            for draft in drafts:
                head = self._head(draft.pdu_id)
                seq, prev = pending.get(draft.pdu_id, (head.sequence_id, head.hash))
                ev = seal(draft, seq + 1, ts, prev)
                pending[draft.pdu_id] = (ev.sequence_id, ev.hash)
                sealed.append(ev)
            self._store.append_events(sealed)  # committed before anyone sees the events
            for ev in sealed:
                head = self._heads[ev.pdu_id]
                head.sequence_id, head.hash, head.last = ev.sequence_id, ev.hash, ev
                head.since_checkpoint += 1
            for pdu_id in pending:
                if self._heads[pdu_id].since_checkpoint >= self._every:
                    self._write_checkpoint(pdu_id, ts)
            if self._bus is not None:
                for ev in sealed:
                    self._bus.publish(ev)
            return sealed

    def _write_checkpoint(self, pdu_id: str, ts: str) -> Checkpoint | None:
        head = self._heads[pdu_id]
        if head.last is None or head.since_checkpoint == 0:
            return None
        cp = Checkpoint.create(self._key, head.last, ts)
        self._store.append_checkpoint(cp)
        head.since_checkpoint = 0
        return cp

    def checkpoint(self, pdu_id: str | None = None) -> list[Checkpoint]:
        """Sign a checkpoint now for ``pdu_id`` (or every PDU) with uncovered events."""
        with self._lock:
            ts = self._now()
            ids = [pdu_id] if pdu_id is not None else list(self._heads)
            out = []
            for pid in ids:
                self._head(pid)
                cp = self._write_checkpoint(pid, ts)
                if cp is not None:
                    out.append(cp)
            return out

    def close(self) -> None:
        """Write final checkpoints and stop accepting events (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self.checkpoint()
            self._closed = True
            if self._bus is not None and self._bus.on_lagging == self._report_lagging:
                self._bus.on_lagging = None

    def _report_lagging(self, report: LagReport) -> None:
        """Turn a bus lag report into SUBSCRIBER_LAGGING events (never raises into the loop)."""
        with self._lock:
            if self._closed:
                return
            targets = [self._lag_pdu_id] if self._lag_pdu_id else list(self._heads)
        drafts = [
            NewEvent(
                pdu_id=pid,
                source=f"subscriber/{report.subscriber}",
                event_code=EventCode.SUBSCRIBER_LAGGING,
                message=(
                    f"Event subscriber {report.subscriber!r} fell behind (queue of "
                    f"{report.maxsize}); events are being dropped for it"
                ),
                action_taken=Action.NONE,
                evidence={"queue_size": report.maxsize, "dropped": report.dropped},
            )
            for pid in targets
        ]
        try:
            self.append_many(drafts)
        except Exception:
            log.exception("could not record SUBSCRIBER_LAGGING for %s", report.subscriber)
