"""The single writer of every PDU's event chain: seal, persist (group commit), then publish.

Usage::

    log = EventLog(store, load_or_create_device_key(data_dir), clock=clock.now_utc, bus=bus,
                   head_file=data_dir / AUDIT_HEAD_FILENAME)
    event = log.append(NewEvent(...))   # returns once the event is committed
    log.submit([draft, ...])            # the tick: sealed now, committed by the writer thread
    log.flush()                         # everything sealed so far is committed (sync)
    await log.flushed()                 # the same from async code
    log.close()                         # final signed checkpoints, writer stopped

Sealing (``sequence_id``, time, hash chain) happens at once under one lock, so sequence ids
are monotonic and gap-free and the chain is intact whatever thread appends. A dedicated writer
thread commits everything sealed since its last round in ONE transaction (group commit), then
signs checkpoints when due and publishes, so subscribers see only committed events, in order.
``append``/``append_many`` wait for their commit (durable against ``kill -9`` on return);
``submit`` does not wait — call :meth:`flush` before returning a result that cites its events.
A failed commit fails every event sealed after the last good commit: their waiters get the
error and their sequence ids are reused, so the stored chain never has a gap.

Checkpoints (Ed25519-signed heads) are written every ``checkpoint_every`` events, when
``checkpoint_interval_s`` of clock time has passed since the last one, and on close; the
latest one per PDU is also kept outside the database in ``head_file`` (see
:mod:`smartpdu.events.audit`). Only one ``EventLog`` (one process) may write a PDU's chain.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

from smartpdu.events.audit import write_head_file
from smartpdu.events.bus import EventBus, LagReport
from smartpdu.events.chain import GENESIS_HASH, Checkpoint, seal
from smartpdu.events.codes import EventCode
from smartpdu.events.model import Action, Event, NewEvent, format_timestamp, parse_timestamp
from smartpdu.events.ratelimit import StormGuard
from smartpdu.events.signing import DeviceKey

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
"""Returns the current time as an aware UTC datetime (wall or simulated)."""

DEFAULT_CHECKPOINT_EVERY = 100
DEFAULT_CHECKPOINT_INTERVAL_S = 10.0


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
    uncovered_ts: str | None = None
    """Timestamp of the oldest committed event no checkpoint covers yet (None: all covered)."""
    uncovered_mono: float = field(default_factory=time.monotonic)


@dataclass(slots=True)
class _Batch:
    events: list[Event]
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class EventLog:
    """Assigns ``sequence_id``/time/hashes, commits in a writer thread, signs, publishes."""

    def __init__(
        self,
        store: EventStore,
        key: DeviceKey,
        clock: Clock,
        *,
        bus: EventBus | None = None,
        checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
        checkpoint_interval_s: float = DEFAULT_CHECKPOINT_INTERVAL_S,
        lag_pdu_id: str | None = None,
        head_file: Path | None = None,
        storm_guard: StormGuard | None = None,
    ) -> None:
        """``lag_pdu_id`` names the chain that records SUBSCRIBER_LAGGING (default: every PDU
        this log has written); ``storm_guard`` limits what :meth:`submit` logs."""
        if checkpoint_every < 1:
            raise ValueError(f"checkpoint_every must be >= 1, got {checkpoint_every}")
        if checkpoint_interval_s <= 0:
            raise ValueError(f"checkpoint_interval_s must be > 0, got {checkpoint_interval_s}")
        self._store = store
        self._key = key
        self._clock = clock
        self._bus = bus
        self._every = checkpoint_every
        self._interval_s = checkpoint_interval_s
        self._lag_pdu_id = lag_pdu_id
        self._head_file = head_file
        self._guard = storm_guard if storm_guard is not None else StormGuard()
        self._heads: dict[str, _Head] = {}  # sealed (may be ahead of the store)
        self._durable: dict[str, _Head] = {}  # committed
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._queue: list[_Batch] = []
        self._cp_lock = threading.Lock()
        self._closed = False
        self._stopping = False
        self._writer = threading.Thread(target=self._run, name="smartpdu-event-writer", daemon=True)
        self._writer.start()
        if bus is not None:
            bus.on_lagging = self._report_lagging

    @property
    def key(self) -> DeviceKey:
        return self._key

    @property
    def head_file(self) -> Path | None:
        return self._head_file

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
                if head.since_checkpoint:
                    head.uncovered_ts = last.timestamp_utc  # left unsigned by a crash
            self._heads[pdu_id] = head
            self._durable[pdu_id] = replace(head)
        return head

    def head(self, pdu_id: str) -> tuple[int, str]:
        """Return ``(last sequence_id, last hash)`` of ``pdu_id``; ``(0, GENESIS_HASH)`` if none."""
        with self._lock:
            h = self._head(pdu_id)
            return h.sequence_id, h.hash

    # -- appending ------------------------------------------------------------------------------
    def append(self, draft: NewEvent) -> Event:
        """Seal and commit one event, then return it. Raises if the store write fails."""
        return self.append_many([draft])[0]

    def append_many(self, drafts: Sequence[NewEvent]) -> list[Event]:
        """Seal and commit several events in one transaction (all or none); return them."""
        if not drafts:
            return []
        batch = self._enqueue(drafts, limited=False)
        batch.done.wait()
        if batch.error is not None:
            raise batch.error
        return batch.events

    def submit(self, drafts: Sequence[NewEvent]) -> list[Event]:
        """Seal now, commit in the writer thread; never waits for the disk (the tick's path).

        Repeats beyond the storm guard's limit are counted instead of logged; the returned list
        holds the events that will be stored (with their sequence ids), possibly fewer.
        """
        return self._enqueue(drafts, limited=True).events

    def _enqueue(self, drafts: Sequence[NewEvent], *, limited: bool) -> _Batch:
        with self._lock:
            if self._closed:
                raise RuntimeError("EventLog is closed")
            now = self._clock()
            ts = format_timestamp(now)
            now_s = now.timestamp()
            todo = list(self._guard.due_summaries(now_s))
            todo += [d for d in drafts if not limited or self._guard.admit(d, now_s)]
            sealed: list[Event] = []
            for draft in todo:
                head = self._head(draft.pdu_id)
                ev = seal(draft, head.sequence_id + 1, ts, head.hash)
                head.sequence_id, head.hash, head.last = ev.sequence_id, ev.hash, ev
                sealed.append(ev)
            batch = _Batch(sealed)
            if not sealed:
                batch.done.set()  # nothing to commit (empty, or everything suppressed)
                return batch
            self._queue.append(batch)
            self._wake.notify_all()
            return batch

    def flush(self, timeout_s: float | None = 30.0) -> bool:
        """Block until every event sealed so far is committed; False on timeout.

        Raises the store's error if a commit failed (those events were not stored)."""
        with self._lock:
            if not self._writer.is_alive():
                return not self._queue
            marker = _Batch([])
            self._queue.append(marker)
            self._wake.notify_all()
        if not marker.done.wait(timeout_s):
            return False
        if marker.error is not None:
            raise marker.error
        return True

    async def flushed(self, timeout_s: float | None = 30.0) -> bool:
        """Async :meth:`flush`: await durability of every event sealed so far."""
        return await asyncio.to_thread(self.flush, timeout_s)

    # -- the writer thread ----------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._stopping:
                    self._wake.wait(timeout=1.0)
                    if not self._queue:
                        break  # idle tick: time-based checkpoints below
                batches, self._queue = self._queue, []
                stopping = self._stopping
            if batches:
                self._commit(batches)
            else:
                self._checkpoints_due()  # idle: the time-based ones
            if stopping and not batches:
                return

    def _commit(self, batches: list[_Batch]) -> None:
        events = [ev for b in batches for ev in b.events]
        try:
            if events:
                self._store.append_events(events)  # one transaction for the whole round
        except BaseException as exc:
            log.error("event commit failed (%s); %d events not stored", exc, len(events))
            with self._lock:
                failed = batches + self._queue  # later batches chain on the failed events
                self._queue = []
                for pid, durable in self._durable.items():
                    self._heads[pid] = replace(durable)
            for b in failed:
                b.error = exc
                b.done.set()
            return
        with self._lock:
            for ev in events:
                d = self._durable[ev.pdu_id]
                d.sequence_id, d.hash, d.last = ev.sequence_id, ev.hash, ev
                if d.since_checkpoint == 0:
                    d.uncovered_ts, d.uncovered_mono = ev.timestamp_utc, time.monotonic()
                d.since_checkpoint += 1
        self._checkpoints_due()
        if self._bus is not None:
            for ev in events:
                self._bus.publish(ev)
        for b in batches:
            b.done.set()

    def _checkpoints_due(self) -> None:
        now = time.monotonic()
        with self._lock:
            due = []
            for pid, d in self._durable.items():
                if d.last is None or d.since_checkpoint == 0:
                    continue
                by_count = d.since_checkpoint >= self._every
                by_time = now - d.uncovered_mono >= self._interval_s  # idle wall time
                if d.uncovered_ts is not None and not by_time:  # clock time (wall or sim)
                    elapsed = _seconds_between(d.uncovered_ts, d.last.timestamp_utc)
                    by_time = elapsed >= self._interval_s
                if by_count or by_time:
                    due.append(pid)
        if due:
            try:
                self._write_checkpoints(due)
            except Exception as exc:  # retried at the next round; the chain itself is stored
                log.warning("could not write audit checkpoints for %s: %s", due, exc)

    def _write_checkpoints(self, pdu_ids: Sequence[str]) -> list[Checkpoint]:
        """Sign the committed head of each PDU with uncovered events; keep it outside too."""
        out = []
        with self._cp_lock:
            ts = format_timestamp(self._clock())
            for pid in pdu_ids:
                with self._lock:
                    d = self._durable.get(pid)
                    if d is None or d.last is None or d.since_checkpoint == 0:
                        continue
                    last, covered = d.last, d.since_checkpoint
                cp = Checkpoint.create(self._key, last, ts)
                self._store.append_checkpoint(cp)
                with self._lock:
                    d.since_checkpoint -= covered
                    if d.since_checkpoint == 0:
                        d.uncovered_ts = None
                    else:  # committed while signing: their clock starts now
                        d.uncovered_ts, d.uncovered_mono = (
                            d.last.timestamp_utc if d.last else None,
                            time.monotonic(),
                        )
                out.append(cp)
            if out and self._head_file is not None:
                write_head_file(self._head_file, out)
        return out

    def checkpoint(self, pdu_id: str | None = None) -> list[Checkpoint]:
        """Commit what is pending, then sign a checkpoint for ``pdu_id`` (or every PDU)."""
        self.flush()
        with self._lock:
            ids = [pdu_id] if pdu_id is not None else list(self._heads)
            for pid in ids:
                self._head(pid)
        return self._write_checkpoints(ids)

    def close(self) -> None:
        """Log pending storm summaries, commit everything, write final checkpoints, stop."""
        with self._lock:
            if self._closed:
                return
        try:  # whatever fails here (clock, store), the writer thread is stopped below
            with self._lock:
                summaries = self._guard.due_summaries(self._clock().timestamp(), all_open=True)
            if summaries:
                with contextlib.suppress(Exception):
                    self.append_many(summaries)
            self.checkpoint()
        finally:
            with self._lock:
                self._closed = True
                self._stopping = True
                self._wake.notify_all()
            self._writer.join(timeout=30.0)
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
            self._enqueue(drafts, limited=False)  # never waits on the event loop
        except Exception:
            log.exception("could not record SUBSCRIBER_LAGGING for %s", report.subscriber)


def _seconds_between(a: str, b: str) -> float:
    return (parse_timestamp(b) - parse_timestamp(a)).total_seconds()
