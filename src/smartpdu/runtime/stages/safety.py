"""Safety stages: early fire detection with its response plan, vibration and tamper detection.

Both run in the derive phase on the snapshot's sensors and levers, once a second of hardware
time (``EVALUATE_EVERY_S``), and adapt the frame to the pure detectors of ``safety/``. The fire
response plan (``safety.fire.response``) is executed at ``FIRE_ALARM``: outlet groups are switched
off through the control plane (an ordinary audited command by ``system/fire-response``, decided in
this very tick), levers are unlocked or locked, and a ``FIRE_RESPONSE`` notify event opens a
ticket; every step is an event with ``reason_code``, evidence and ``action_taken``.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping

from smartpdu.config import RackConfig
from smartpdu.config.safety import FireConfig, TamperConfig
from smartpdu.control import ControlPlane
from smartpdu.events import NewEvent
from smartpdu.events.codes import Severity
from smartpdu.events.model import Action, JsonScalar
from smartpdu.hardware import RackHardware
from smartpdu.hardware.interface import LeverAction
from smartpdu.model.commands import OutletAction, OutletCommand
from smartpdu.model.snapshot import RackSnapshot
from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame
from smartpdu.safety.fire import FireDetector, FireFinding, FireInputs, FireLevel
from smartpdu.safety.tamper import DoorState, LeverState, TamperDetector

__all__ = ["EVALUATE_EVERY_S", "FIRE_ACTOR", "FireStage", "TamperStage", "fire_inputs"]

log = logging.getLogger(__name__)

EVALUATE_EVERY_S = 1.0
FIRE_ACTOR = "system/fire-response"
_TOP = ("top", "rear", "outlet")
_INLET = ("bottom", "front", "inlet")


def _ok(value: float | None, status: str) -> float | None:
    return value if status == "ok" and value is not None and math.isfinite(value) else None


def fire_inputs(config: RackConfig, snap: RackSnapshot) -> tuple[FireInputs, str | None]:
    """VOC (highest), top/rear air (warmest), inlet air (coldest), and the VOC sensor's id."""
    position = {s.id: s.position for s in config.sensors}
    voc: list[tuple[float, str]] = []
    top: list[float] = []
    inlet: list[float] = []
    for s in snap.sensors.values():
        v = _ok(s.value, s.status)
        if s.kind == "voc":
            if v is None:  # one faulty VOC sensor: no decision on the others alone
                return FireInputs(snap.t_s, None, None, None), s.id
            voc.append((v, s.id))
        elif s.kind == "temperature" and v is not None:
            pos = position.get(s.id)
            if pos in _TOP:
                top.append(v)
            elif pos in _INLET:
                inlet.append(v)
    best = max(voc) if voc else None
    return FireInputs(
        snap.t_s,
        best[0] if best else None,
        max(top) if top else None,
        min(inlet) if inlet else None,
    ), (best[1] if best else None)


class FireStage(StageBase):
    name = "fire"
    phase = Phase.DERIVE

    def __init__(
        self,
        config: RackConfig,
        control: ControlPlane,
        hardware: RackHardware,
        control_lock: threading.RLock,
    ) -> None:
        self._control = control
        self._hw = hardware
        self._lock = control_lock
        self._cfg: FireConfig = config.safety.fire
        self._detector = FireDetector(self._cfg)
        self._last_s: float | None = None

    def run(self, frame: TickFrame) -> None:
        cfg = frame.config.safety.fire
        if cfg is not self._cfg and cfg != self._cfg:
            self._cfg, self._detector = cfg, FireDetector(cfg)
        if not cfg.enabled:
            return
        if self._last_s is not None and frame.t_s - self._last_s < EVALUATE_EVERY_S - 1e-6:
            return
        self._last_s = frame.t_s
        inputs, voc_id = fire_inputs(frame.config, frame.require_snapshot())
        finding = self._detector.update(inputs)
        if finding is None:
            return
        sensor = next((s for s in frame.config.sensors if s.id == voc_id), None)
        pdu_id = (sensor.pdu if sensor else None) or frame.config.pdus[0].id
        source = f"sensor/{voc_id}" if voc_id else "rack"
        frame.events.append(_fire_event(finding, pdu_id, source, cfg))
        if finding.level is FireLevel.ALARM and finding.previous is not FireLevel.ALARM:
            frame.events.extend(self._respond(frame, cfg, pdu_id, finding))

    @property
    def level(self) -> int:
        """0 normal, 1 pre-alarm, 2 alarm."""
        return int(self._detector.level)

    def _respond(
        self, frame: TickFrame, cfg: FireConfig, pdu_id: str, finding: FireFinding
    ) -> list[NewEvent]:
        plan = cfg.response
        base: dict[str, JsonScalar] = {
            "voc_excess_ppb": finding.evidence["voc_excess_ppb"],
            "delta_t_excess_c": finding.evidence["delta_t_excess_c"],
        }
        out: list[NewEvent] = []
        groups = set(plan.shed_groups)
        for pdu in frame.config.pdus if groups else ():
            outlets = tuple(o.id for o in pdu.outlets if o.group in groups)
            if not outlets:
                continue
            cid = f"fire-{frame.tick}-{pdu.id}"
            command = OutletCommand(pdu.id, outlets, OutletAction.OFF, FIRE_ACTOR, cid,
                                    interface="safety")  # fmt: skip
            with self._lock:
                ticket = self._control.submit(command, frame.t_s)
            status = ticket.result.status if ticket.result is not None else "accepted"
            out.append(_response(pdu.id, "outlet/group", Action.SHED,
                                 f"fire response: outlets {', '.join(outlets)} of groups "
                                 f"{', '.join(sorted(groups))} switched off ({status})",
                                 {**base, "outlets": ",".join(outlets), "command": str(status)},
                                 cid))  # fmt: skip
        if plan.levers != "none":
            action = LeverAction(plan.levers)
            for lever in frame.config.levers:
                try:
                    self._hw.operate_lever(lever.id, action)
                    done = "done"
                except Exception as exc:  # one stuck lever must not stop the plan
                    log.exception("fire response: lever %s %s failed", lever.id, action)
                    done = f"failed: {exc}"
                out.append(_response(pdu_id, f"lever/{lever.id}",
                                     Action.UNLOCK if action is LeverAction.UNLOCK else Action.LOCK,
                                     f"fire response: lever {lever.id} {action.value} ({done})",
                                     {**base, "lever": lever.id, "result": done}))  # fmt: skip
        if plan.ticket:
            out.append(_response(pdu_id, "rack", Action.NOTIFY,
                                 "fire response: incident ticket raised (webhook destinations "
                                 "receive this event)", {**base, "ticket": True}))  # fmt: skip
        return out


def _fire_event(f: FireFinding, pdu_id: str, source: str, cfg: FireConfig) -> NewEvent:
    ev: dict[str, JsonScalar] = {k: round(v, 4) for k, v in f.evidence.items()}
    if f.level is FireLevel.NORMAL:
        return NewEvent(pdu_id=pdu_id, source=source, event_code="ALARM_CLEARED",
                        message=f"fire {f.previous.name.lower().replace('_', '-')} cleared: VOC "
                        f"and temperature back near their baselines for {cfg.clear_after_s:g} s",
                        action_taken=Action.CLEAR, reason_code="FIRE_CONDITIONS_GONE",
                        evidence=ev)  # fmt: skip
    alarm = f.level is FireLevel.ALARM
    plan = cfg.response
    acting = alarm and (plan.shed_groups or plan.levers != "none" or plan.ticket)
    return NewEvent(
        pdu_id=pdu_id,
        source=source,
        event_code="FIRE_ALARM" if alarm else "FIRE_PRE_ALARM",
        message=(
            f"{'fire alarm' if alarm else 'fire pre-alarm'}: VOC {f.evidence['voc_ppb']:.0f} ppb "
            f"(+{f.evidence['voc_excess_ppb']:.0f} over baseline, limit "
            f"+{f.evidence['voc_limit_ppb']:.0f}) with the air near the outlets "
            f"+{f.evidence['delta_t_excess_c']:.1f} K (limit +{f.evidence['delta_t_limit_c']:g} K)"
            + ("; response plan started" if acting else "")
        ),
        severity=Severity.CRITICAL if alarm else Severity.WARNING,
        action_taken=Action.SHED if alarm and plan.shed_groups else Action.ALARM,
        reason_code="VOC_AND_PLUME",
        evidence=ev,
    )


def _response(
    pdu_id: str,
    source: str,
    action: Action,
    message: str,
    evidence: Mapping[str, JsonScalar],
    command_id: str | None = None,
) -> NewEvent:
    return NewEvent(pdu_id=pdu_id, source=source, event_code="FIRE_RESPONSE", message=message,
                    action_taken=action, reason_code="FIRE_ALARM", evidence=evidence,
                    actor=FIRE_ACTOR, command_id=command_id)  # fmt: skip


class TamperStage(StageBase):
    name = "tamper"
    phase = Phase.DERIVE

    def __init__(
        self,
        config: RackConfig,
        authorised: Callable[[], Mapping[str, bool]] | None = None,
    ) -> None:
        """``authorised``: per lever, whether its current unlock came through the controller
        (the lever desk's watch); without it every unlock counts as authorised."""
        self._authorised = authorised
        self._cfg: TamperConfig = config.safety.tamper
        self._detector = TamperDetector(self._cfg)
        self._last_s: float | None = None

    def run(self, frame: TickFrame) -> None:
        cfg = frame.config.safety.tamper
        if cfg is not self._cfg and cfg != self._cfg:
            self._cfg, self._detector = cfg, TamperDetector(cfg)
        if not cfg.enabled:
            return
        snap = frame.require_snapshot()
        position = {s.id: s.position for s in frame.config.sensors}
        vib = [
            (v, s.id, s.pdu)
            for s in snap.sensors.values()
            if s.kind == "vibration" and (v := _ok(s.value, s.status)) is not None
        ]
        levers = [LeverState(lv.id, lv.position, lv.locked, lv.handle_open)
                  for lv in snap.levers.values()]  # fmt: skip
        doors = [
            DoorState(s.id, position.get(s.id), None if (v := _ok(s.value, s.status)) is None
                      else v >= 0.5)
            for s in snap.sensors.values()
            if s.kind == "door"
        ]  # fmt: skip
        peak = max(vib) if vib else None
        by_us = self._authorised() if self._authorised is not None else None
        findings = self._detector.update(frame.t_s, peak[0] if peak else None, levers, doors, by_us)
        first = frame.config.pdus[0].id
        sensor_pdu = {s.id: s.pdu for s in frame.config.sensors}
        for f in findings:
            source = f.source or (f"sensor/{peak[1]}" if peak else "rack")
            sid = source.removeprefix("sensor/")
            pdu_id = (peak[2] if peak and not f.source else sensor_pdu.get(sid)) or first
            frame.events.append(NewEvent(
                pdu_id=pdu_id, source=source, event_code=str(f.kind), message=f.message,
                action_taken=Action.NOTIFY if f.kind != "VIBRATION_DETECTED" else Action.NONE,
                reason_code=str(f.kind), evidence=f.evidence,
            ))  # fmt: skip
