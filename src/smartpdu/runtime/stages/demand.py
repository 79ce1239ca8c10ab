"""Demand stage: 15-min sliding demand of the inlet phase currents and power, with the maximum
demand persisted in the store (table ``max_demand``) so it survives a restart (like energy).

The maximum is saved through the writer thread at most once per ``save_interval_s`` of hardware
time, and only when it rose; a restart resumes from the saved maximum (the sliding window itself
restarts empty: a demand value needs a full window of fresh measurements).
"""

from __future__ import annotations

import logging

import numpy as np

from smartpdu.config import RackConfig
from smartpdu.metering import BlockMetrics, DemandMeter
from smartpdu.model.runtime_state import MaxDemandRepository
from smartpdu.runtime.assemble import Demand
from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame
from smartpdu.runtime.writer import StoreWriter

__all__ = ["DemandStage", "demand_channels"]

log = logging.getLogger(__name__)


def demand_channels(phases: int) -> list[str]:
    """The stored channel names of one PDU's demand meter, in meter order: phases, then power."""
    return [f"L{i + 1}" for i in range(phases)] + ["power"]


class DemandStage(StageBase):
    name = "demand"
    phase = Phase.DERIVE

    def __init__(
        self,
        config: RackConfig,
        store: MaxDemandRepository,
        writer: StoreWriter | None,
        *,
        window_s: float = 900.0,
        save_interval_s: float = 1.0,
    ) -> None:
        self._store = store
        self._writer = writer
        self._save_interval_s = save_interval_s
        self._meters: dict[str, DemandMeter] = {}
        self._saved: dict[str, list[float]] = {}
        self._saved_at: dict[str, float] = {}
        self._layouts: dict[tuple[str, ...], tuple[list[int], list[str]]] = {}
        self._channels: dict[str, list[str]] = {}
        for p in config.pdus:
            meter = DemandMeter(p.phases + 1, window_s=window_s)
            self._channels[p.id] = demand_channels(p.phases)
            stored = _load(store, p.id, self._channels[p.id])
            if stored is not None:
                meter.max_demand = np.asarray(stored, dtype=np.float64)
                self._saved[p.id] = stored
            self._meters[p.id] = meter

    def run(self, frame: TickFrame) -> None:
        for pdu_id, pf in frame.pdus.items():
            pf.demand = self._update(
                pdu_id, pf.require_metered(), pf.block.t0_s, pf.block.duration_s
            )
            self._maybe_save(pdu_id, frame.t_s)

    def _update(self, pdu_id: str, metered: BlockMetrics, t0_s: float, dur_s: float) -> Demand:
        layout = self._layouts.get(metered.channels)
        if layout is None:  # the same every window: find the inlet phase rows once
            lines = [ch for ch in metered.channels if ch.startswith("inlet/L")]
            layout = self._layouts[metered.channels] = (
                [metered.index(ch) for ch in lines],
                [ch.removeprefix("inlet/") for ch in lines],
            )
        rows, names = layout
        m = metered.metrics
        values = np.nan_to_num(np.append(m.i_rms_a[rows], m.p_w[rows].sum()))
        reading = self._meters[pdu_id].add(t0_s, dur_s, values)
        dem, mx = reading.demand.tolist(), np.maximum(reading.max_demand, 0.0).tolist()
        return Demand(
            current_a=dict(zip(names, dem[:-1], strict=True)),
            max_current_a=dict(zip(names, mx[:-1], strict=True)),
            power_w=dem[-1],
            max_power_w=mx[-1],
        )

    def _maybe_save(self, pdu_id: str, t_s: float) -> None:
        if t_s - self._saved_at.get(pdu_id, -1e9) < self._save_interval_s:
            return
        self._saved_at[pdu_id] = t_s
        self.save(pdu_id)

    def save(self, pdu_id: str) -> None:
        """Hand the maximum demand to the writer if it rose since the last save."""
        mx = self._meters[pdu_id].max_demand
        if not np.isfinite(mx).any():
            return
        values = np.where(np.isfinite(mx), mx, 0.0).tolist()
        if values == self._saved.get(pdu_id):
            return
        self._saved[pdu_id] = values
        rows = dict(zip(self._channels[pdu_id], values, strict=True))
        store = self._store
        if self._writer is None:
            store.save(pdu_id, rows)
        else:
            self._writer.submit(lambda: store.save(pdu_id, rows))

    def close(self) -> None:
        for pdu_id in self._meters:
            self.save(pdu_id)


def _load(store: MaxDemandRepository, pdu_id: str, channels: list[str]) -> list[float] | None:
    stored = store.load(pdu_id)
    if not stored:
        return None
    if set(stored) != set(channels):
        log.warning("stored maximum demand of %s has another layout; starting from zero", pdu_id)
        return None
    return [stored[ch] for ch in channels]
