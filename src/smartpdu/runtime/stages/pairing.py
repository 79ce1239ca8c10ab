"""PSU-pair discovery stage: 1-s outlet currents in a sliding window, pairs proposed every minute.

Keeps the last ``WINDOW_S`` seconds of every outlet's current (one sample per second of hardware
time), proposes PSU pairs with :func:`smartpdu.analytics.pairing.propose_pairs` every
``EVERY_S`` seconds and logs ``PSU_PAIR_MISMATCH`` once for each confident proposal (≥
``EVENT_CONFIDENCE``) that the configuration does not have as one device's PSUs.
"""

from __future__ import annotations

import numpy as np

from smartpdu.analytics.pairing import PairProposal, configured_pairs, propose_pairs
from smartpdu.config import RackConfig
from smartpdu.events import NewEvent
from smartpdu.events.model import Action
from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame

__all__ = ["EVENT_CONFIDENCE", "EVERY_S", "MIN_SAMPLES", "WINDOW_S", "PairingStage"]

WINDOW_S = 900
EVERY_S = 60.0
MIN_SAMPLES = 60
THRESHOLD = 0.5
EVENT_CONFIDENCE = 0.8


class PairingStage(StageBase):
    name = "psu-pairing"
    phase = Phase.DERIVE

    def __init__(self) -> None:
        self._config: RackConfig | None = None
        self._last_sample_s: float | None = None
        self._last_eval_s: float | None = None
        self.latest: list[PairProposal] = []
        """The latest proposals (replaced whole: safe to read from another thread)."""
        self.samples = 0

    def _reset(self, config: RackConfig) -> None:
        self._config = config
        self._outlets = [(p.id, o.id) for p in config.pdus for o in p.outlets]
        self._feed_of = {p.id: p.feed for p in config.pdus}
        self._buf = np.zeros((WINDOW_S, len(self._outlets)))
        self.samples = 0
        self._reported: set[frozenset[tuple[str, str]]] = set()
        self._configured = configured_pairs(config.devices)

    def run(self, frame: TickFrame) -> None:
        if frame.config is not self._config:
            if self._config is None or frame.config.pdus != self._config.pdus:
                self._reset(frame.config)
            else:
                self._config = frame.config
                self._configured = configured_pairs(frame.config.devices)
        if self._last_sample_s is not None and frame.t_s - self._last_sample_s < 1.0 - 1e-6:
            return
        self._last_sample_s = frame.t_s
        snap = frame.require_snapshot()
        row = [snap.pdus[p].outlets[o].reading.i_rms_a if p in snap.pdus else 0.0
               for p, o in self._outlets]  # fmt: skip
        self._buf[self.samples % WINDOW_S] = row
        self.samples += 1
        if self.samples < MIN_SAMPLES:
            return
        if self._last_eval_s is not None and frame.t_s - self._last_eval_s < EVERY_S - 1e-6:
            return
        self._last_eval_s = frame.t_s
        n = min(self.samples, WINDOW_S)
        order = np.roll(self._buf, -(self.samples % WINDOW_S), axis=0)[-n:]
        self.latest = propose_pairs(order, self._outlets, self._feed_of, threshold=THRESHOLD)
        for p in self.latest:
            key = frozenset((p.a, p.b))
            if key in self._configured or key in self._reported:
                continue
            if p.confidence < EVENT_CONFIDENCE:
                continue
            self._reported.add(key)
            frame.events.append(_mismatch(p, n, self._config))

    def configured(self, p: PairProposal) -> bool:
        return frozenset((p.a, p.b)) in self._configured


def _mismatch(p: PairProposal, samples: int, config: RackConfig | None) -> NewEvent:
    owner: dict[tuple[str, str], str] = {}
    for d in config.devices if config else ():
        for psu in d.psus:
            owner[(psu.pdu, psu.outlet)] = d.name
    a, b = f"{p.a[0]}/{p.a[1]}", f"{p.b[0]}/{p.b[1]}"
    said = f"configured: {a} → {owner.get(p.a, 'no device')}, {b} → {owner.get(p.b, 'no device')}"
    return NewEvent(
        pdu_id=p.a[0],
        source=f"outlet/{p.a[1]}",
        event_code="PSU_PAIR_MISMATCH",
        message=f"outlets {a} and {b} behave like the two PSUs of one device "
        f"(confidence {p.confidence:.2f}); {said}",
        action_taken=Action.NOTIFY,
        reason_code="LOAD_CORRELATION",
        evidence={"a": a, "b": b, "confidence": round(p.confidence, 3),
                  "correlation": round(p.correlation, 3), "window_s": samples,
                  "device_a": owner.get(p.a), "device_b": owner.get(p.b)},
    )  # fmt: skip
