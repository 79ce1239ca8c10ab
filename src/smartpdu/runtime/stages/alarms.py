"""Alarm stage: the alarm engine on the tick, its state kept in the store, acknowledgements.

Runs in the derive phase after the snapshot: every ``alarms.evaluate_every_s`` of hardware time
it extracts the samples the rules read (:mod:`.alarm_inputs`), lets the pure
:class:`~smartpdu.alarms.AlarmEngine` evaluate them and drafts an event per change into the
frame. A configuration change (``frame.config.alarms``) re-binds the rules at the next tick.
Active alarms, the id counter and the recent history are saved (tables ``alarm_counter`` and
``alarm_records``, through the writer thread) whenever they change, and restored at start: an
alarm survives a restart.

Acknowledgements arrive from the event loop (REST, CLI); the engine is guarded by one lock and
the acknowledgement's events are appended to the log at once (audited with the user).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from datetime import datetime

from smartpdu.alarms import (
    Alarm,
    AlarmChange,
    AlarmEngine,
    Transition,
    alarm_event,
    effective_rules,
)
from smartpdu.config import RackConfig
from smartpdu.config.alarms import AlarmsConfig
from smartpdu.events import EventLog
from smartpdu.events.model import Event, format_timestamp
from smartpdu.model.runtime_state import AlarmStateRepository
from smartpdu.runtime.pipeline import Phase, StageBase, TickFrame
from smartpdu.runtime.stages.alarm_inputs import alarm_samples
from smartpdu.runtime.writer import StoreWriter

__all__ = ["AlarmStage"]

log = logging.getLogger(__name__)


class AlarmStage(StageBase):
    name = "alarms"
    phase = Phase.DERIVE

    def __init__(
        self,
        config: RackConfig,
        store: AlarmStateRepository,
        writer: StoreWriter | None,
        events: EventLog,
    ) -> None:
        self._store = store
        self._writer = writer
        self._events = events
        self._lock = threading.Lock()
        self._cfg: AlarmsConfig = config.alarms
        self._engine = AlarmEngine(effective_rules(config.alarms))
        self._pending: list[AlarmChange] = []
        self._last_eval_s: float | None = None
        self._load()

    # -- tick -------------------------------------------------------------------------------------
    def run(self, frame: TickFrame) -> None:
        cfg = frame.config.alarms
        now = format_timestamp(frame.now_utc)
        with self._lock:
            changes, self._pending = self._pending, []
            if cfg is not self._cfg and cfg != self._cfg:
                self._cfg = cfg
                changes += self._engine.set_rules(effective_rules(cfg), now)
                self._last_eval_s = None
            due = self._last_eval_s is None or frame.t_s - self._last_eval_s >= (
                cfg.evaluate_every_s - 1e-6
            )
            if due:
                self._last_eval_s = frame.t_s
                metered = {pid: pf.require_metered() for pid, pf in frame.pdus.items()}
                table = alarm_samples(frame.config, frame.require_snapshot(), metered,
                                      self._engine.metrics_needed())  # fmt: skip
                changes += self._engine.evaluate(table, frame.t_s, now)
            if changes:
                frame.events.extend(alarm_event(c) for c in changes)
                self._save()

    # -- people -----------------------------------------------------------------------------------
    def acknowledge(
        self, alarm_id: int, actor: str, comment: str, now_utc: datetime
    ) -> tuple[Alarm, list[Event]]:
        """Acknowledge alarm ``alarm_id`` (``AlarmError`` if it cannot be); log and save it."""
        with self._lock:
            changes = self._engine.acknowledge(alarm_id, actor, comment, format_timestamp(now_utc))
            sealed = self._events.append_many([alarm_event(c) for c in changes])
            self._save()
        return changes[0].alarm, sealed

    def active(self) -> list[Alarm]:
        with self._lock:
            return self._engine.active()

    def history(self) -> list[Alarm]:
        with self._lock:
            return self._engine.history()

    def get(self, alarm_id: int) -> Alarm | None:
        with self._lock:
            return self._engine.get(alarm_id)

    # -- persistence ------------------------------------------------------------------------------
    def _save(self) -> None:
        state = self._engine.dump()
        store = self._store
        if self._writer is None:
            store.save(state)
        else:
            self._writer.submit(lambda: store.save(state))

    def _load(self) -> None:
        state = self._store.load()
        if state is None:
            return
        try:
            orphans = self._engine.load(state)
        except (ValueError, TypeError, KeyError) as exc:
            log.error("stored alarm state unreadable (%s); starting without active alarms", exc)
            return
        for alarm in orphans:  # its rule is gone: log the end of the alarm at the first tick
            ended = replace(alarm, state="cleared")
            self._pending.append(AlarmChange(ended, Transition.CLEARED, reason="RULE_CHANGED"))

    def close(self) -> None:
        with self._lock:
            self._save()
