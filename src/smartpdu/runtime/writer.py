"""Background store writer: the tick never waits for the disk.

Readings are queued (bounded; when the store falls behind, the oldest batches are dropped and
counted). Energy register states are coalesced: only the newest state set is written, at most
once per call, so a slow disk delays persistence but never the measurement loop. With an
:class:`~smartpdu.runtime.energy_journal.EnergyJournal` the per-second banks go to the journal
(kill -9 safe, no flash write per second) and to the store only when a state set carries the
readable per-channel rows (once a minute), on reset and on stop; without one, every save goes
to the store.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from smartpdu.runtime.energy_journal import BANK_CHANNEL, EnergyJournal
from smartpdu.storage import EnergyRegisterState, Reading, Store

__all__ = ["StoreWriter", "WriterStats"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class WriterStats:
    batches_written: int = 0
    batches_dropped: int = 0
    energy_saves: int = 0
    energy_journal_writes: int = 0
    errors: int = 0


class StoreWriter:
    def __init__(
        self, store: Store, *, max_batches: int = 256, journal: EnergyJournal | None = None
    ) -> None:
        self._store = store
        self._journal = journal
        self._durable_due = False
        self._jobs: queue.Queue[Callable[[], object] | None] = queue.Queue(maxsize=max_batches)
        self._energy_lock = threading.Lock()
        self._energy: Sequence[EnergyRegisterState] | None = None
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats = WriterStats()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="smartpdu-store-writer", daemon=True)
        self._thread.start()

    def submit_readings(self, readings: Sequence[Reading]) -> None:
        self._put(lambda: self._store.write_readings(readings))

    def submit(self, job: Callable[[], object]) -> None:
        self._put(job)

    def submit_energy(self, states: Sequence[EnergyRegisterState]) -> None:
        with self._energy_lock:
            self._energy = states
            if any(s.channel != BANK_CHANNEL for s in states):
                self._durable_due = True
        self._wake.set()

    def _put(self, job: Callable[[], object]) -> None:
        while True:
            try:
                self._jobs.put_nowait(job)
                self._wake.set()
                return
            except queue.Full:
                try:
                    self._jobs.get_nowait()
                    self.stats.batches_dropped += 1
                except queue.Empty:
                    pass

    def _save_energy(self) -> None:
        with self._energy_lock:
            states, self._energy = self._energy, None
            durable, self._durable_due = self._durable_due, False
        if not states:
            return
        journal = self._journal
        if journal is not None:
            seq = journal.next_seq()
            journal.write(seq, {s.pdu_id: str(s.meta["bank_z"]) for s in _banks(states)})
            self.stats.energy_journal_writes += 1
            if not durable:
                return
            states = [_with_seq(s, seq) if s.channel == BANK_CHANNEL else s for s in states]
        self._store.save_energy(states)
        self.stats.energy_saves += 1

    def _drain(self) -> None:
        self._save_energy()
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if job is None:
                continue
            try:
                job()
                self.stats.batches_written += 1
            except Exception:  # a failing write is logged and counted; the loop goes on
                self.stats.errors += 1
                log.exception("store write failed")
            self._save_energy()

    def _run(self) -> None:
        while True:
            self._wake.wait(timeout=0.5)
            self._wake.clear()
            try:
                self._drain()
            except Exception:
                self.stats.errors += 1
                log.exception("store writer failed")
            if self._stop_requested:
                self._drain()
                return

    _stop_requested = False

    def flush_and_stop(self, timeout_s: float = 10.0) -> None:
        """Write everything pending, then stop the thread."""
        self._stop_requested = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        else:
            self._drain()
        if self._journal is not None:
            self._journal.close()

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Block until everything submitted so far is written (or the thread is not running)."""
        if self._thread is None or not self._thread.is_alive():
            self._drain()
            return True
        done = threading.Event()
        self._put(done.set)
        return done.wait(timeout_s)


def _banks(states: Sequence[EnergyRegisterState]) -> list[EnergyRegisterState]:
    return [s for s in states if s.channel == BANK_CHANNEL]


def _with_seq(state: EnergyRegisterState, seq: int) -> EnergyRegisterState:
    """The bank state marked with the journal's sequence number (restore takes the newest)."""
    return replace(state, meta=MappingProxyType({**state.meta, "seq": seq}))
