"""Act on protection: breaker trip risk and trips, outlet overload/thermal classes, holds.

The judgements are :mod:`smartpdu.protection`'s (``BreakerWatch``, ``classify_outlet``, the hold
lifecycle in ``lockout``); this module feeds them the snapshot, switches tripped outlets off,
keeps their holds (persisted), schedules the automatic retry and words the events.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np

from smartpdu.control.actuation import Actuator
from smartpdu.control.commands import OpPhase
from smartpdu.control.currents import OutletCurrents
from smartpdu.control.evidence import SYSTEM_ACTOR, action_event, measured_evidence
from smartpdu.control.holds import OutletMemory, hold_evidence
from smartpdu.control.settings import ControlSettings
from smartpdu.control.state import OutletState, PduState, TickWork
from smartpdu.events.codes import EventCode, Severity
from smartpdu.events.model import Action, NewEvent
from smartpdu.model.snapshot import OutletSnapshot, PduSnapshot
from smartpdu.protection.breaker_watch import BreakerTrip, BreakerWatch
from smartpdu.protection.classify import (
    ChannelSample,
    Finding,
    FindingKind,
    MeteredCurrent,
    classify_outlet,
)
from smartpdu.protection.classify_batch import QuietMask
from smartpdu.protection.lockout import acknowledge_hold, record_trip, retry_due
from smartpdu.protection.trip_cause import TripVerdict

__all__ = ["ProtectionActions"]

_E = EventCode
_KIND_TEXT = {
    "residual": "residual current",
    "overcurrent": "overcurrent",
    "unknown": "cause not evident",
}
_KIND_REASON = {
    "residual": "residual_current_trip",
    "overcurrent": "overcurrent_trip",
    "unknown": "breaker_tripped",
}


def _trip_detail(trip: BreakerTrip, v: TripVerdict) -> str:
    current = (
        f"peak {trip.peak_a:.1f} A, rms {trip.rms_a:.1f} A, "
        f"{trip.duration_s:.1f} s over {trip.rating_a:g} A"
    )
    if v.residual_limit_ma is None:
        return current
    return f"residual {v.residual_ma:.1f} mA of IΔn {v.residual_limit_ma:g} mA, {current}"


def _branch_members(pdu: PduState, branch_id: str) -> list[OutletState]:
    return [o for o in pdu.outlets.values() if o.cfg.branch == branch_id]


_THERMAL = (FindingKind.DERATE, FindingKind.DERATE_CLEARED, FindingKind.THERMAL_TRIP)


class ProtectionActions:
    """Breakers and outlet classes per tick; trips become persisted holds."""

    def __init__(self, settings: ControlSettings, memory: OutletMemory, actuator: Actuator) -> None:
        self.settings = settings
        self._memory = memory
        self._act = actuator

    def _save_hold(self, o: OutletState) -> None:
        self._memory.save_hold(o.pdu_id, o.cfg.id, o.hold)

    # ----------------------------------------------------------------- breakers
    def breakers(self, tk: TickWork, pdu: PduState, ps: PduSnapshot) -> None:
        """Update every branch breaker's watch, then the inlet's (worst phase)."""
        for bid, watch in pdu.branches.items():
            b = ps.branches.get(bid)
            if b is None:
                continue
            self._watch(
                tk,
                pdu,
                watch,
                f"branch/{bid}",
                b.breaker_state,
                b.reading.i_rms_a,
                b.reading.i_peak_a,
                b.residual_ma or 0.0,
                0.0,
                functools.partial(_branch_members, pdu, bid),
            )
        inl = ps.inlet
        phases = list(inl.phases.values())
        i_rms = max((r.i_rms_a for r in phases), default=0.0)
        i_peak = max((r.i_peak_a for r in phases), default=0.0)
        self._watch(
            tk,
            pdu,
            pdu.inlet,
            "inlet",
            inl.breaker_state,
            i_rms,
            i_peak,
            0.0,
            inl.neutral_a,
            lambda: list(pdu.outlets.values()),
        )

    def _watch(
        self,
        tk: TickWork,
        pdu: PduState,
        watch: BreakerWatch,
        source: str,
        state: str,
        i_rms: float,
        i_peak: float,
        residual: float,
        neutral: float,
        members: Callable[[], list[OutletState]],
    ) -> None:
        # the members' histories explain a trip; collected only then (this runs every tick)
        hist = {o.cfg.id: list(o.history) for o in members()} if state == "tripped" else None
        risk, trip, reclosed = watch.update(
            state=state,
            i_rms_a=i_rms,
            i_peak_a=i_peak,
            window_s=tk.dt_s,
            residual_ma=residual,
            neutral_a=neutral,
            outlet_history=hist,
        )
        pid = pdu.cfg.id
        if risk is not None and risk.raised:
            tk.events.append(
                action_event(
                    pid,
                    source,
                    _E.BREAKER_TRIP_RISK,
                    f"{source} breaker at {risk.position_pct:.0f} % of its trip curve "
                    f"({risk.level}), time to trip {risk.time_to_trip_s:.0f} s at this current",
                    action=Action.ALARM,
                    reason_code=f"trip_risk_{risk.level}",
                    severity=Severity.CRITICAL if risk.level == "critical" else Severity.WARNING,
                    evidence={
                        **measured_evidence(risk.evidence),
                        "position_pct": risk.position_pct,
                        "time_to_trip_s": risk.time_to_trip_s,
                        "band": risk.band,
                    },
                )
            )
        if reclosed:
            tk.events.append(
                action_event(
                    pid,
                    source,
                    _E.BREAKER_CLOSED,
                    f"{source} breaker seen closed again",
                    action=Action.NONE,
                    reason_code="breaker_reclosed",
                    evidence={"value": i_rms, "unit": "A"},
                )
            )
        if trip is None:
            return
        cause = trip.cause
        cause_o = None if cause is None else pdu.outlets.get(cause.outlet_id)
        v = trip.verdict
        text = f"{source} breaker tripped ({_KIND_TEXT[v.kind]}): " + _trip_detail(trip, v)
        if cause is not None:
            text += f"; likely cause outlet {cause.outlet_id} (+{cause.rise_a:.1f} A), held off"
        elif v.kind == "residual":
            text += "; no outlet held off: leakage is not an outlet's load current"
        else:
            text += "; no evidence of the release, no outlet held off"
        tk.events.append(
            action_event(
                pid,
                source,
                _E.BREAKER_TRIPPED,
                text,
                action=Action.LOCK if cause_o is not None else Action.NONE,
                reason_code=_KIND_REASON[v.kind],
                evidence={
                    "value": v.residual_ma if v.kind == "residual" else trip.rms_a,
                    "limit": v.residual_limit_ma if v.kind == "residual" else trip.rating_a,
                    "unit": "mA" if v.kind == "residual" else "A",
                    "window_s": trip.window_s,
                    "peak": trip.peak_a,
                    "rms": trip.rms_a,
                    "duration_s": trip.duration_s,
                    "position_pct": trip.position_pct,
                    "trip_kind": v.kind,
                    "residual_ma": v.residual_ma,
                    "residual_limit_ma": v.residual_limit_ma,
                    "overcurrent_evidence": ",".join(v.overcurrent) or None,
                    "cause_outlet": None if cause is None else cause.outlet_id,
                    "cause_rise_a": None if cause is None else cause.rise_a,
                },
            )
        )
        if cause_o is not None:
            self._trip_outlet(
                tk,
                pdu,
                cause_o,
                "breaker_trip_cause",
                True,
                {
                    "value": cause.rise_a if cause else 0.0,
                    "unit": "A",
                    "breaker": source,
                    "peak": cause.peak_a if cause else 0.0,
                    "window_s": trip.window_s,
                },
            )

    # ----------------------------------------------------------------- outlet classes
    def classify(
        self,
        tk: TickWork,
        pdu: PduState,
        ps: PduSnapshot,
        metered: Mapping[str, MeteredCurrent] | None = None,
    ) -> None:
        """Classify every outlet's window (inrush, overload, OCP, terminal heating).

        ``metered`` (by outlet id) gives the currents as measured, NaN and quality flags kept;
        without it the snapshot's display values are used. Outlets whose step would change
        nothing (:mod:`smartpdu.protection.classify_batch`, all outlets at once) are skipped;
        the others go through ``classify_outlet`` in outlet order, as before."""
        cs = self.settings.classifier
        outs = list(pdu.outlets.values())
        snaps = [ps.outlets.get(oid) for oid in pdu.outlets]
        busy = self._busy(pdu, outs, snaps, metered, tk.t_s)
        for k in busy:
            o, os_ = outs[k], snaps[k]
            if os_ is None:
                continue
            m = None if metered is None else metered.get(o.cfg.id)
            if m is None:
                r = os_.reading
                sample = ChannelSample(r.i_rms_a, r.i_peak_a, o.cfg.rating_a, os_.terminal_temp_c)
            else:
                sample = ChannelSample(
                    m.i_rms_a, m.i_peak_a, o.cfg.rating_a, os_.terminal_temp_c, m.flags
                )
            o.protection, findings = classify_outlet(
                cs, o.protection, sample, t_s=tk.t_s, dt_s=tk.dt_s
            )
            for f in findings:
                self._finding(tk, pdu, o, f, sample.flags)

    def _busy(
        self,
        pdu: PduState,
        outs: list[OutletState],
        snaps: list[OutletSnapshot | None],
        metered: Mapping[str, MeteredCurrent] | None,
        t_s: float,
    ) -> list[int]:
        """Positions of the outlets whose classification may change something, in order."""
        cs = self.settings.classifier
        n = len(outs)
        mirror = pdu.quiet
        if mirror is None or len(mirror.idle) != n:
            mirror = pdu.quiet = QuietMask(n)
        mirror.sync([o.protection for o in outs], len(cs.ocp_windows))
        nan = math.nan
        temps = np.array(
            [nan if s is None or s.terminal_temp_c is None else s.terminal_temp_c for s in snaps],
            dtype=np.float64,
        )
        rows = metered.rows(list(pdu.outlets)) if isinstance(metered, OutletCurrents) else None
        if rows is not None and isinstance(metered, OutletCurrents):
            i_rms = metered.i_rms_a[rows]
        else:
            i_rms = np.array(
                [
                    nan
                    if s is None
                    else (
                        m.i_rms_a
                        if metered is not None and (m := metered.get(o.cfg.id)) is not None
                        else s.reading.i_rms_a
                    )
                    for o, s in zip(outs, snaps, strict=True)
                ],
                dtype=np.float64,
            )
        rating = np.array([o.cfg.rating_a for o in outs], dtype=np.float64)
        quiet = mirror.quiet(cs, i_rms, rating, temps, t_s)
        result: list[int] = np.flatnonzero(~quiet).tolist()
        return result

    def _finding(
        self, tk: TickWork, pdu: PduState, o: OutletState, f: Finding, flags: tuple[str, ...]
    ) -> None:
        ev: dict[str, object] = {**measured_evidence(f), **f.extra}
        if flags:
            ev["quality"] = ",".join(flags)
        oid = o.cfg.id
        code = (
            _E.TEMPERATURE_HIGH
            if f.kind in _THERMAL
            else (_E.OUTLET_INRUSH if f.kind is FindingKind.INRUSH else _E.OUTLET_OVERLOAD)
        )
        if f.trips:
            msg = (
                f"outlet {oid}: {f.reason_code.replace('_', ' ')} ({f.value:.2f} {f.unit} "
                f"> {f.limit:.2f} {f.unit}); switched off"
            )
            tk.events.append(
                action_event(
                    o.pdu_id,
                    o.source,
                    code,
                    msg,
                    action=Action.TRIP,
                    reason_code=f.reason_code,
                    evidence=ev,
                    severity=Severity.CRITICAL,
                )
            )
            self._trip_outlet(tk, pdu, o, f.reason_code, f.latch, ev)
            return
        cs = self.settings.classifier
        action, msg, sev = {
            FindingKind.INRUSH: (Action.NONE, "switch-on inrush peak (allowed)", None),
            FindingKind.OVERLOAD_WARNING: (
                Action.NONE,
                f"current above rating; switched off if it lasts {cs.overload_window_s:g} s",
                Severity.WARNING,
            ),
            FindingKind.DERATE: (
                Action.DERATE,
                "terminal heating: current limit derated",
                Severity.WARNING,
            ),
            FindingKind.DERATE_CLEARED: (
                Action.CLEAR,
                "terminal temperature back to normal",
                Severity.INFO,
            ),
        }[f.kind]
        if f.kind is FindingKind.INRUSH:  # the limit is the logging threshold, not a violation
            detail = (
                f"outlet {oid}: switch-on inrush peak {f.value:.2f} {f.unit} within "
                f"{cs.inrush_window_s:g} s of energising (logged above {f.limit:.2f} {f.unit}); "
                "allowed, no action"
            )
        else:
            detail = f"outlet {oid}: {msg} ({f.value:.2f} {f.unit}, limit {f.limit:.2f} {f.unit})"
        tk.events.append(
            action_event(
                o.pdu_id,
                o.source,
                code,
                detail,
                action=action,
                reason_code=f.reason_code,
                evidence=ev,
                severity=sev,
            )
        )

    # ----------------------------------------------------------------- holds
    def _trip_outlet(
        self,
        tk: TickWork,
        pdu: PduState,
        o: OutletState,
        reason: str,
        latch: bool,
        ev: dict[str, object],
    ) -> None:
        o.hold = record_trip(
            o.hold, reason_code=reason, t_s=tk.t_s, latch=latch, policy=self.settings.retry
        )
        self._save_hold(o)
        pdu.sequencer.cancel(o.cfg.id)
        if o.owner is not None:
            self._act.finish_op(
                o, OpPhase.LOCKED_OUT, f"protection trip: {reason}", str(_E.OUTLET_LOCKED_OUT)
            )
        if o.relay_on is not False or o.actuation is not None:
            self._act.drive(tk, o, False, reason, None, SYSTEM_ACTOR)
        h = o.hold
        what = (
            "until acknowledged"
            if h.latched
            else (
                f"cooldown {self.settings.retry.cooldown_s:g} s then automatic retry "
                f"({len(h.trips_s)}/{self.settings.retry.max_retries + 1} trips)"
            )
        )
        tk.events.append(
            action_event(
                o.pdu_id,
                o.source,
                _E.OUTLET_LOCKED_OUT,
                f"outlet {o.cfg.id} held off ({reason}): {what}",
                action=Action.LOCK,
                reason_code=reason,
                evidence={**ev, **hold_evidence(h)},
            )
        )

    def retries(self, tk: TickWork, pdu: PduState) -> None:
        """Queue the single automatic retry of holds whose cooldown has run out."""
        for oid, o in pdu.outlets.items():
            if retry_due(o.hold, tk.t_s) and o.hold is not None:
                o.hold = replace(o.hold, retried=True)
                self._save_hold(o)
                if self._memory.last_commanded(o.pdu_id, oid) is not False:
                    pdu.sequencer.request(oid, tk.t_s, "protection_retry")

    def acknowledge(self, o: OutletState, actor: str) -> NewEvent:
        """Release a trip-cause latch (the outlet stays off until someone switches it on)."""
        h = o.hold
        if h is None:
            return action_event(
                o.pdu_id,
                o.source,
                _E.ALARM_ACKNOWLEDGED,
                f"outlet {o.cfg.id} had no hold",
                action=Action.ACK,
                reason_code="no_hold",
                evidence={"held": False},
                actor=actor,
            )
        o.hold = acknowledge_hold(h)
        self._save_hold(o)
        return action_event(
            o.pdu_id,
            o.source,
            _E.ALARM_ACKNOWLEDGED,
            f"trip hold of outlet {o.cfg.id} ({h.reason_code}) acknowledged by {actor}",
            action=Action.UNLOCK,
            reason_code=h.reason_code,
            evidence=hold_evidence(h, since_s=h.since_s),
            actor=actor,
        )
