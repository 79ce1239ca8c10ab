"""The energy registers of every PDU of the rack: accumulate, show, reset, persist, restore.

Each PDU has one :class:`~smartpdu.metering.EnergyRegisters` bank over its outlets, branches,
inlet phases and the inlet total. The exact compensated bank is persisted as one row per PDU
(``channel = "__bank__"``) so a restart continues bit-for-bit; readable per-channel rows are
written alongside for SQL consumers. With an energy journal (every second, kill -9 safe) the
restore takes whichever of the journal and the store holds the newer bank.
Thread-safe: the tick thread adds, the API resets.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

import numpy as np

from smartpdu.config import RackConfig
from smartpdu.events import EventLog
from smartpdu.events.model import format_timestamp
from smartpdu.metering import EnergyRegisters
from smartpdu.metering.registers import RegisterReset
from smartpdu.runtime.assemble import EnergyColumns
from smartpdu.runtime.audit import energy_reset
from smartpdu.runtime.energy_journal import (
    BANK_CHANNEL,
    EnergyJournal,
    JournalEntry,
    pack_bank,
    unpack_bank,
)
from smartpdu.runtime.writer import StoreWriter
from smartpdu.storage import EnergyRegisterState, Store

__all__ = ["BANK_CHANNEL", "EnergyBook", "reset_audited"]

log = logging.getLogger(__name__)


def register_channels(config: RackConfig, pdu_id: str) -> list[str]:
    pdu = config.pdu(pdu_id)
    lines = ["L1"] if pdu.phases == 1 else ["L1", "L2", "L3"]
    return [
        *(f"outlet/{o.id}" for o in pdu.outlets),
        *(f"branch/{b.id}" for b in pdu.branches),
        *(f"inlet/{ln}" for ln in lines),
        "inlet",
    ]


class EnergyBook:
    def __init__(
        self, config: RackConfig, store: Store, journal: EnergyJournal | None = None
    ) -> None:
        self._lock = threading.Lock()
        entry = journal.read() if journal is not None else None
        self._banks = {
            p.id: _restore(store, p.id, register_channels(config, p.id), entry, journal)
            for p in config.pdus
        }
        self._rows: dict[Any, tuple[np.ndarray, np.ndarray]] = {}

    def channels(self, pdu_id: str) -> tuple[str, ...]:
        return self._bank(pdu_id).channels

    def _bank(self, pdu_id: str) -> EnergyRegisters:
        try:
            return self._banks[pdu_id]
        except KeyError:
            raise KeyError(f"unknown PDU {pdu_id!r}") from None

    def add(self, pdu_id: str, metrics: Any, duration_s: float) -> None:
        """Add one window of a PDU's BlockMetrics: each channel, plus the inlet total."""
        bank = self._bank(pdu_id)
        key = (pdu_id, metrics.channels)
        rows = self._rows.get(key)
        if rows is None:
            rows = self._rows[key] = (
                np.array([metrics.index(ch) for ch in bank.channels[:-1]]),
                np.array([metrics.index(c) for c in metrics.channels if c.startswith("inlet/L")]),
            )
        idx, phases = rows
        m = metrics.metrics
        values = np.array((m.p_w, m.q1_var, m.s_va), dtype=np.float64)
        np.nan_to_num(values, copy=False)
        both = np.empty((3, idx.size + 1))
        np.take(values, idx, axis=1, out=both[:, :-1])
        values[:, phases].sum(axis=1, out=both[:, -1])
        with self._lock:
            bank.add(both[0], both[1], both[2], duration_s)

    def totals(self, pdu_id: str) -> EnergyColumns:
        """Non-resettable totals by channel (and the resettable active import), as shown next to
        live readings: a mapping of ``EnergyTotals`` kept as columns."""
        bank = self._bank(pdu_id)
        with self._lock:
            t = bank.totals_array()  # rows: QUANTITIES order
            r = bank.resettable_array()
        return EnergyColumns(bank.channels, np.vstack([t[0], t[1], t[2] + t[3], t[4], r[0]]))

    def reset(self, pdu_id: str, channel: str | None, actor: str, at: str) -> RegisterReset:
        """Zero the resettable registers (one channel or all); totals never reset."""
        bank = self._bank(pdu_id)
        if channel is not None and channel not in bank.channels:
            raise KeyError(f"PDU {pdu_id!r} has no metering channel {channel!r}")
        with self._lock:
            return bank.reset(actor, at, None if channel is None else [channel])

    def states(self, now: datetime, *, per_channel: bool = True) -> list[EnergyRegisterState]:
        """The exact bank of each PDU and, when ``per_channel``, one readable row per channel."""
        states = []
        with self._lock:
            for pdu_id, bank in self._banks.items():
                # the full per-channel dict only when its rows are written (once a minute)
                totals = bank.totals() if per_channel else {}
                inlet_wh = float(bank.totals_array()[0, bank.channels.index("inlet")])
                states.append(
                    EnergyRegisterState(
                        pdu_id=pdu_id,
                        channel=BANK_CHANNEL,
                        registers={"inlet_active_import_wh": inlet_wh},
                        updated_utc=now,
                        meta={"bank_z": pack_bank(bank.to_dict(arrays=True))},
                    )
                )
                for channel, values in totals.items():
                    states.append(
                        EnergyRegisterState(
                            pdu_id=pdu_id, channel=channel, registers=values, updated_utc=now
                        )
                    )
        return states


def _restore(
    store: Store,
    pdu_id: str,
    channels: list[str],
    entry: JournalEntry | None = None,
    journal: EnergyJournal | None = None,
) -> EnergyRegisters:
    """The newest bank of the store's copy and the journal's (by sequence number)."""
    fresh = EnergyRegisters(channels)
    stored = [s for s in store.load_energy(pdu_id) if s.channel == BANK_CHANNEL]
    meta = dict(stored[0].meta) if stored else {}
    seq = int(meta.get("seq") or 0)  # type: ignore[arg-type]
    if entry is not None and entry[0] > seq and pdu_id in entry[1]:
        seq, meta = entry[0], {"bank_z": entry[1][pdu_id]}  # newer than the store: a kill -9
    if journal is not None:
        journal.seq = max(journal.seq, seq)
    try:
        data = unpack_bank(meta)
        if data is None:
            return fresh
        restored = EnergyRegisters.from_dict(data)
    except (KeyError, ValueError, TypeError) as exc:
        log.error("stored energy registers of %s unreadable (%s); starting from zero", pdu_id, exc)
        return fresh
    if restored.channels == fresh.channels:
        return restored
    log.warning("stored energy registers of %s have another layout; carrying over", pdu_id)
    return _merge(fresh, restored)


def _merge(fresh: EnergyRegisters, old: EnergyRegisters) -> EnergyRegisters:
    """Carry totals of channels that still exist into a new register layout."""
    data = fresh.to_dict()
    old_data = old.to_dict()
    for ci, ch in enumerate(fresh.channels):
        if ch in old.channels:
            oi = old.channels.index(ch)
            for r in range(2):
                for q in range(len(data["sum"][r])):
                    data["sum"][r][q][ci] = old_data["sum"][r][q][oi]
                    data["comp"][r][q][ci] = old_data["comp"][r][q][oi]
    return EnergyRegisters.from_dict(data)


def reset_audited(
    book: EnergyBook,
    writer: StoreWriter,
    events: EventLog,
    pdu_id: str,
    channel: str | None,
    actor: str,
    now: datetime,
) -> int:
    """Zero resettable registers, persist the bank at once and audit who did it; returns count."""
    record = book.reset(pdu_id, channel, actor, format_timestamp(now))
    writer.submit_energy(book.states(now))
    before = sum(v.get("active_import_wh", 0.0) for v in record.values_before.values())
    events.append(energy_reset(pdu_id, channel, len(record.channels), before, actor))
    return len(record.channels)
