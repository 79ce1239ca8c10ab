"""Arc stage: series-arc suspicion per outlet from the current samples (docs/safety.md).

Every window, half of the outlets carrying at least ``safety.arc.min_current_a`` (metered rms;
odd and even outlets alternate) go through a cheap screen — the HF feature alone on the window's
last ``SCREEN_CYCLES`` cycles, one vectorised call per PDU; an outlet that passes it is screened
every window for the detector's span, and gets the full features
(:func:`smartpdu.metering.arc.arc_features`) in the windows it passes. A window with all three
marks is arc-like (:func:`smartpdu.protection.arc.arc_like`)
and :class:`~smartpdu.protection.arc.ArcDetector` counts them over consecutive windows. A new
suspicion raises ``ARC_FAULT_SUSPECTED`` (critical) with the features, their limits and the
window; with ``safety.arc.action: outlet_off`` the outlet is also switched off through the control
plane (an ordinary audited command by ``system/arc-protection``). The suspicion clears
(``ALARM_CLEARED``) after ``clear_s`` without an arc-like window.

``arc_score`` (share of arc-like windows in the detector's span) is laid over the snapshot for the
outlets where it is not 0.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import numpy.typing as npt

from smartpdu.config import PduConfig, RackConfig
from smartpdu.config.surge_arc import ArcConfig
from smartpdu.control import ControlPlane
from smartpdu.events import NewEvent
from smartpdu.events.model import Action, JsonScalar
from smartpdu.metering.arc import ArcFeatures, arc_features, arc_hf, half_wave_asymmetry
from smartpdu.model.commands import OutletAction, OutletCommand
from smartpdu.model.snapshot import OutletSnapshot, RackSnapshot
from smartpdu.protection.arc import ArcDetector, arc_like
from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame
from smartpdu.runtime.stages.overlay import fast_replace

__all__ = ["ARC_ACTOR", "ArcStage"]

ARC_ACTOR = "system/arc-protection"
SCREEN_CYCLES = 4
"""The screen looks at the last 4 cycles of the window (3 cycle differences): 40 % of the work of
the whole window, and an arc's HF (≈ 3 × the limit) does not hide in 3 of 9 cycle differences."""
SCREEN_FACTOR = 0.5
"""The screen passes outlets down to half the HF limit (its estimate has fewer samples)."""
_Rows = tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp], slice | None]
_FEATURES = ("hf", "irregularity", "shoulder_s", "asymmetry", "rms_a", "peak_a")


class ArcStage(StageBase):
    name = "arc"
    phase = Phase.DERIVE

    def __init__(
        self,
        config: RackConfig,
        control: ControlPlane | None = None,
        control_lock: threading.RLock | None = None,
    ) -> None:
        self._control = control
        self._lock = control_lock or threading.RLock()
        self._setup(config, config.safety.arc)

    def _setup(self, config: RackConfig, cfg: ArcConfig) -> None:
        self._cfg = cfg
        self._pdus = tuple(p.id for p in config.pdus)
        self._keys = [(p.id, o.id) for p in config.pdus for o in p.outlets]
        self._offset = {}
        off = 0
        for p in config.pdus:
            self._offset[p.id] = off
            off += len(p.outlets)
        self._det = ArcDetector(len(self._keys), cfg)
        self._parity = np.arange(len(self._keys)) % 2
        self._attention = np.zeros(len(self._keys), dtype=np.int64)
        self._attention_until = 0
        self._turn: dict[tuple[str, int], npt.NDArray[np.bool_]] = {}
        """Per PDU and tick parity: which of its outlet rows the screen looks at."""
        """Tick until which an outlet is screened every window (it passed the screen lately)."""
        self._last = np.full((len(_FEATURES), len(self._keys)), np.nan)
        """Features of each outlet's last arc-like window (the evidence)."""
        self._rows: dict[tuple[str, tuple[str, ...], tuple[str, ...]], _Rows] = {}

    def run(self, frame: TickFrame) -> None:
        cfg = frame.config.safety.arc
        pdus = tuple(p.id for p in frame.config.pdus)
        if (cfg is not self._cfg and cfg != self._cfg) or pdus != self._pdus:
            self._setup(frame.config, cfg)
        if not cfg.enabled:
            return
        like = np.zeros(len(self._keys), dtype=bool)
        for pdu in frame.config.pdus:
            pf = frame.pdus[pdu.id]
            m = pf.require_metered()
            block = pf.block
            dst, src, met, span = self._layout(pdu, block.channels, m.channels)
            if not dst.size:
                continue
            rms = np.asarray(m.metrics.i_rms_a)[met]
            spc = round(block.sample_rate_hz / block.nominal_hz)
            hot = rms >= cfg.min_current_a  # NaN compares False
            if block.n_samples < 2 * spc or not hot.any():
                continue
            # screen: the cheap HF feature on the last cycles of half of the loaded outlets (by
            # parity, alternating) plus those that passed it lately; full features where it fires
            rows = block.current_a[span] if span is not None else block.current_a[src]
            turn = self._turn.get((pdu.id, frame.tick % 2))
            if turn is None or turn.shape != hot.shape:
                turn = self._turn[pdu.id, frame.tick % 2] = self._parity[dst] == frame.tick % 2
            due = hot & turn
            if self._attention_until > frame.tick:  # some outlet passed the screen lately
                due |= hot & (self._attention[dst] > frame.tick)
            look = np.flatnonzero(due)
            if not look.size:
                continue
            tail = min(rows.shape[1], SCREEN_CYCLES * spc)
            hf = arc_hf(rows[look, -tail:], spc, rms[look])
            passed = look[hf >= SCREEN_FACTOR * cfg.hf_limit]
            if passed.size:
                self._attention[dst[passed]] = self._attention_until = frame.tick + cfg.windows
            cand = passed
            if not cand.size:
                continue
            peak = np.asarray(m.metrics.i_peak_a)[met]
            f = arc_features(rows[cand], spc, block.sample_rate_hz, rms_a=rms[cand],
                             peak_a=peak[cand])  # fmt: skip
            hit = arc_like(f.hf, f.irregularity, f.shoulder_s, f.rms_a, cfg)
            if hit.any():
                where = dst[cand][hit]
                like[where] = True
                feats = _stack(f)[:, hit]
                feats[_FEATURES.index("asymmetry")] = half_wave_asymmetry(rows[cand[hit]])
                self._last[:, where] = feats
        raised, cleared = self._det.update(frame.t_s, like)
        for k in raised:
            frame.events.extend(self._raise(frame, k, cfg))
        for k in cleared:
            pdu_id, oid = self._keys[k]
            frame.events.append(NewEvent(
                pdu_id=pdu_id, source=f"outlet/{oid}", event_code="ALARM_CLEARED",
                message=f"outlet {oid}: no series-arc signature for {cfg.clear_s:g} s",
                action_taken=Action.CLEAR, reason_code="ARC_SIGNATURE_GONE",
                evidence={"window_s": cfg.clear_s},
            ))  # fmt: skip
        if frame.snapshot is not None and self._det.count.any():
            frame.snapshot = _overlay(frame.snapshot, self._keys, self._det.score())

    def _layout(self, pdu: PduConfig, channels: tuple[str, ...], metered: tuple[str, ...]) -> _Rows:
        """(global outlet index, sample row, metered row, sample rows as a slice or None) of each
        measured outlet (cached per channel layout)."""
        key = (pdu.id, channels, metered)
        hit = self._rows.get(key)
        if hit is None:
            self._turn.clear()
            rows = {ch: k for k, ch in enumerate(channels)}
            mrows = {ch: k for k, ch in enumerate(metered)}
            off = self._offset[pdu.id]
            found = [(off + j, rows[f"outlet/{o.id}"], mrows[f"outlet/{o.id}"])
                     for j, o in enumerate(pdu.outlets)
                     if f"outlet/{o.id}" in rows and f"outlet/{o.id}" in mrows]  # fmt: skip
            src = [b for _, b, _ in found]
            hit = self._rows[key] = (np.array([a for a, _, _ in found], dtype=np.intp),
                                     np.array(src, dtype=np.intp),
                                     np.array([c for _, _, c in found], dtype=np.intp),
                                     _span(src))  # fmt: skip
        return hit

    def _raise(self, frame: TickFrame, k: int, cfg: ArcConfig) -> list[NewEvent]:
        pdu_id, oid = self._keys[k]
        hf, irr, shoulder, asym, rms, peak = self._last[:, k].tolist()
        count = int(self._det.count[k])
        off = cfg.action == "outlet_off" and self._control is not None
        command_id = f"arc-{frame.tick}-{pdu_id}-{oid}" if off else None
        status = "not switched (policy: alarm only)"
        if off and self._control is not None:
            command = OutletCommand(pdu_id, (oid,), OutletAction.OFF, ARC_ACTOR, command_id,
                                    interface="safety")  # fmt: skip
            with self._lock:
                ticket = self._control.submit(command, frame.t_s)
            status = f"switched off ({ticket.result.status if ticket.result else 'accepted'})"

        def rnd(x: float, d: int = 4) -> float | None:
            return round(x, d) if math.isfinite(x) else None

        evidence: dict[str, JsonScalar] = {
            "value": rnd(hf),
            "limit": cfg.hf_limit,
            "unit": "1",
            "hf": rnd(hf),
            "hf_limit": cfg.hf_limit,
            "irregularity": rnd(irr),
            "irregularity_limit": cfg.irregularity_limit,
            "shoulder_ms": rnd(shoulder * 1e3, 3),
            "shoulder_limit_ms": cfg.shoulder_limit_ms,
            "asymmetry": rnd(asym),
            "current_a": rnd(rms, 3),
            "peak": rnd(peak, 3),
            "arcing_windows": count,
            "windows": cfg.windows,
            "window_s": round(cfg.windows * frame.window_s, 3),
            "action": cfg.action,
        }
        return [NewEvent(
            pdu_id=pdu_id,
            source=f"outlet/{oid}",
            event_code="ARC_FAULT_SUSPECTED",
            message=(f"outlet {oid}: series-arc signature in {count} of the last {cfg.windows} "
                     f"windows (HF {hf:.3f} ≥ {cfg.hf_limit:g}, irregularity {irr:.2f} ≥ "
                     f"{cfg.irregularity_limit:g}, shoulders {shoulder * 1e3:.2f} ms ≥ "
                     f"{cfg.shoulder_limit_ms:g} ms at {rms:.2f} A) — check the terminal and "
                     f"plug; outlet {status}"),
            action_taken=Action.SWITCH if off else Action.ALARM,
            reason_code="ARC_SIGNATURE",
            evidence=evidence,
            actor=ARC_ACTOR if off else None,
            command_id=command_id,
        )]  # fmt: skip


def _span(rows: list[int]) -> slice | None:
    """``rows`` as a slice when they are consecutive (a view instead of a copy)."""
    if rows and rows[-1] - rows[0] == len(rows) - 1 and rows == sorted(rows):
        return slice(rows[0], rows[-1] + 1)
    return None


def _stack(f: ArcFeatures) -> np.ndarray:
    return np.stack([np.asarray(getattr(f, name), dtype=np.float64) for name in _FEATURES])


def _overlay(snap: RackSnapshot, keys: list[tuple[str, str]], score: np.ndarray) -> RackSnapshot:
    """``snap`` with the arc scores of the outlets that have one: each PDU's outlet map is
    copied once, however many of its outlets score."""
    outlets_of: dict[str, dict[str, OutletSnapshot]] = {}
    for k in np.flatnonzero(score > 0).tolist():
        pdu_id, oid = keys[k]
        ps = snap.pdus.get(pdu_id)
        if ps is None or oid not in ps.outlets:
            continue
        outlets = outlets_of.get(pdu_id)
        if outlets is None:
            outlets = outlets_of[pdu_id] = dict(ps.outlets)
        outlets[oid] = fast_replace(outlets[oid], arc_score=float(score[k]))
    changed = {p: fast_replace(snap.pdus[p], outlets=o) for p, o in outlets_of.items()}
    return fast_replace(snap, pdus={**snap.pdus, **changed}) if changed else snap
