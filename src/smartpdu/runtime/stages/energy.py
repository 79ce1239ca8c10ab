"""Energy stage: add each PDU's window to its registers and put the totals on the frame."""

from __future__ import annotations

from smartpdu.runtime.energy import EnergyBook
from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame

__all__ = ["EnergyStage"]


class EnergyStage(StageBase):
    name = "energy"
    phase = Phase.DERIVE

    def __init__(self, book: EnergyBook) -> None:
        self._book = book

    def run(self, frame: TickFrame) -> None:
        for pdu_id, pf in frame.pdus.items():
            self._book.add(pdu_id, pf.require_metered(), pf.block.duration_s)
            pf.energy = self._book.totals(pdu_id)
