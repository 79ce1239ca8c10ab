"""Lever stage: what each lever did this window, attributed, audited and in the access log.

Runs in the decide phase, after fire and tamper detection of the same window, so it can react
to them: emergency unlock at ``FIRE_ALARM`` (``access.emergency_unlock_on_fire``), lock-down at
``TAMPER_SUSPECTED``/``ACCESS_FORCED`` (``access.lockdown_on_tamper``). It also takes the
window's keypad/card entries to the :class:`~smartpdu.runtime.lever_desk.LeverDesk`.

Events from the lever readings (:class:`~smartpdu.access.lever_watch.LeverWatch`):
``LEVER_UNLOCKED`` (who, how), ``DOOR_OPEN``, ``DOOR_CLOSED`` (with ``open_s``), ``LEVER_LOCKED``
(by whom or by the relock timer), ``DOOR_OPEN_TOO_LONG``, and ``ACCESS_FORCED`` only when tamper
detection is off (otherwise the tamper stage reports it: one event per forced opening).
"""

from __future__ import annotations

from smartpdu.access.lever_watch import WatchFinding, WatchKind
from smartpdu.events.model import Action, NewEvent, format_timestamp
from smartpdu.model.access import AccessEntry, AccessMethod, AccessResult
from smartpdu.model.states import LeverState
from smartpdu.runtime.lever_desk import EMERGENCY_ACTOR, LeverDesk
from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame

__all__ = ["LeverStage"]

_TAMPER = ("TAMPER_SUSPECTED", "ACCESS_FORCED")


class LeverStage(StageBase):
    name = "levers"
    phase = Phase.DECIDE

    def __init__(self, desk: LeverDesk) -> None:
        self.desk = desk

    def run(self, frame: TickFrame) -> None:
        desk = self.desk
        if frame.config is not desk.config:
            desk.reconfigure(frame.config)
        snap = frame.require_snapshot()
        t_s, now = frame.t_s, frame.now_utc
        for entry in frame.acquisition.reader_entries:
            desk.present(entry, t_s, now)
        findings = desk.watch.update(t_s, ((lv.id, lv.state) for lv in snap.levers.values()))
        for f in findings:
            frame.events.extend(self._finding(frame, f))
        self._react(frame)

    # -- fire and tamper ----------------------------------------------------------------------
    def _react(self, frame: TickFrame) -> None:
        desk, policy = self.desk, self.desk.policy
        codes = {e.event_code for e in frame.events}
        for e in frame.events:  # the fire plan unlocked a lever itself: attribute it
            if e.event_code == "FIRE_RESPONSE" and e.action_taken == Action.UNLOCK:
                lever_id = e.source.removeprefix("lever/")
                if lever_id in {lv.id for lv in frame.config.levers}:
                    desk.grant(lever_id, EMERGENCY_ACTOR, AccessMethod.EMERGENCY,
                               policy.max_unlock_s, None, frame.t_s, frame.now_utc,
                               reason="FIRE_ALARM", drive=False)  # fmt: skip
        if policy.emergency_unlock_on_fire and "FIRE_ALARM" in codes:
            for lv in frame.config.levers:
                desk.grant(lv.id, EMERGENCY_ACTOR, AccessMethod.EMERGENCY, policy.max_unlock_s,
                           None, frame.t_s, frame.now_utc, reason="FIRE_ALARM")  # fmt: skip
        if policy.lockdown_on_tamper and codes & set(_TAMPER) and "FIRE_ALARM" not in codes:
            cause = next(c for c in _TAMPER if c in codes)
            frame.events.extend(desk.start_lockdown(cause, frame.now_utc))

    # -- findings -----------------------------------------------------------------------------
    def _finding(self, frame: TickFrame, f: WatchFinding) -> list[NewEvent]:
        desk, g, lever = self.desk, f.grant, f.lever_id
        ts = format_timestamp(frame.now_utc)
        actor = g.actor if g else None
        cid = g.command_id if g else None
        method = str(g.method) if g else "unknown"
        if f.kind is WatchKind.UNLOCKED:
            if g is not None and g.method is AccessMethod.LOCAL:
                entry = desk.log_entry(AccessEntry(ts, lever, "local", AccessMethod.LOCAL,
                                                   AccessResult.GRANTED, "UNLOCKED_AT_LEVER"))  # fmt: skip
                desk.watch.retarget(lever, entry)
            return [desk.event(
                "LEVER_UNLOCKED", lever, f"{lever} unlocked ({method}, {actor})", actor=actor,
                action=Action.UNLOCK, reason="UNLOCKED_AT_LEVER" if method == "local" else
                method.upper(), evidence={"method": method,
                                          "authorised": bool(g and g.authorised)},
                command_id=cid,
            )]  # fmt: skip
        if f.kind is WatchKind.OPENED or f.kind is WatchKind.FORCED:
            if f.kind is WatchKind.FORCED:
                entry = desk.log_entry(AccessEntry(ts, lever, "unknown", AccessMethod.FORCED,
                                                   AccessResult.FORCED, "HANDLE_FORCED",
                                                   opened_utc=ts))  # fmt: skip
                desk.watch.retarget(lever, entry)
            elif g is not None and g.entry_id is not None:
                desk.update_visit(g.entry_id, opened_utc=ts)
            out = [desk.event("DOOR_OPEN", lever, f"{lever}: door opened ({method}, {actor})",
                              actor=actor, reason=f.kind.upper(),
                              evidence={"method": method}, command_id=cid)]  # fmt: skip
            if f.kind is WatchKind.FORCED and not frame.config.safety.tamper.enabled:
                out.append(desk.event(
                    "ACCESS_FORCED", lever, f"{lever}: handle opened while the lever is locked",
                    actor=None, action=Action.NOTIFY, reason="ACCESS_FORCED",
                    evidence={"lever": lever, "locked": True, "handle_open": True},
                ))  # fmt: skip
            return out
        if f.kind is WatchKind.CLOSED:
            if g is not None and g.entry_id is not None:
                desk.update_visit(g.entry_id, closed_utc=ts, open_s=round(f.open_s or 0.0, 3))
            unlocked = desk.watch.state(lever) is LeverState.UNLOCKED
            if desk.policy.relock_on_close and unlocked and g is not None:
                desk.lock(lever, "system/relock-on-close", "DOOR_CLOSED")
            return [desk.event(
                "DOOR_CLOSED", lever, f"{lever}: door closed after {f.open_s or 0.0:.1f} s "
                f"({method}, {actor})", actor=actor, reason="DOOR_CLOSED",
                evidence={"method": method, "open_s": round(f.open_s or 0.0, 3)},
                command_id=cid,
            )]  # fmt: skip
        if f.kind is WatchKind.LOCKED:
            by = f.locked_by
            who, lock_cid, why = by if by else ("system/auto-relock", None, "RELOCK_TIMER")
            return [desk.event(
                "LEVER_LOCKED", lever, f"{lever} locked ({why}, {who})", actor=who,
                action=Action.LOCK, reason=why, command_id=lock_cid,
                evidence={"visit_method": method},
            )]  # fmt: skip
        limit = desk.policy.door_open_too_long_s
        return [desk.event(
            "DOOR_OPEN_TOO_LONG", lever, f"{lever}: door open for {f.open_s or 0.0:.0f} s "
            f"(limit {limit:g} s; {method}, {actor})", actor=actor, action=Action.NOTIFY,
            reason="DOOR_OPEN_TOO_LONG", command_id=cid,
            evidence={"value": round(f.open_s or 0.0, 3), "limit": limit, "unit": "s",
                      "method": method},
        )]  # fmt: skip
