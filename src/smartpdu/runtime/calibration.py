"""Calibrating an outlet channel of a *running* rack: the one writer of the data directory does it.

The bench (reference source + the unit's front end) is not the runtime's: the composition root
injects a :class:`CalibrationBench` (on the twin, :class:`smartpdu.app.bench.TwinBench`). The
desk runs the bench off the event loop, stores the new set, hands it to the measure stage (the
next window is measured with it), lets the bench adapt the hardware, and appends the audited
``CALIBRATION_CHANGED`` event to the runtime's own chain — so ``smartpdu calibrate`` never has
to open the event log of a running instance (issue 11 item 5).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from smartpdu.config import RackConfig
from smartpdu.events import Action, NewEvent
from smartpdu.events.log import EventLog
from smartpdu.events.model import format_timestamp
from smartpdu.metering import CalibrationSet
from smartpdu.runtime.calibration_store import BENCH_SEED_KEY, load_calibration, save_calibration
from smartpdu.storage import Store

__all__ = [
    "BenchOutcome",
    "CalibrationBench",
    "CalibrationDesk",
    "CalibrationUnavailableError",
    "calibration_event",
]


class CalibrationUnavailableError(RuntimeError):
    """This runtime has no calibration bench (e.g. real hardware without a reference source)."""


@dataclass(frozen=True, slots=True)
class BenchOutcome:
    """A verified calibration and what to report and record about it."""

    calibration: CalibrationSet
    evidence: dict[str, Any]
    """Before/after errors at the verification point (the event's evidence)."""
    report: dict[str, Any] = field(default_factory=dict)
    """Coefficients and errors for the caller (CLI table, API response)."""


class CalibrationBench(Protocol):
    """Runs the factory procedure on one outlet channel (raises ``CalibrationError`` when the
    result fails verification)."""

    def calibrate(
        self,
        config: RackConfig,
        pdu_id: str,
        outlet_id: str,
        base: CalibrationSet,
        now: str,
        actor: str,
        bench_seed: int,
    ) -> BenchOutcome: ...

    def installed(self, pdu_id: str, calibration: CalibrationSet, bench_seed: int) -> None:
        """The set is stored and measured with from now on (the twin adopts the unit's errors)."""
        ...


def calibration_event(pdu_id: str, outlet_id: str, outcome: BenchOutcome, actor: str) -> NewEvent:
    """The audited record of a stored calibration (offline CLI and running instance alike)."""
    version = outcome.calibration.version
    return NewEvent(
        pdu_id=pdu_id,
        source=f"outlet/{outlet_id}",
        event_code="CALIBRATION_CHANGED",
        message=f"Calibration version {version} stored for outlet/{outlet_id}",
        action_taken=Action.CONFIG,
        reason_code="FACTORY_CALIBRATION",
        evidence={"version": version, **outcome.evidence},
        actor=actor,
    )


class CalibrationDesk:
    """One calibration at a time, through the runtime's store, measure stage and event log."""

    def __init__(
        self,
        bench: CalibrationBench | None,
        store: Store,
        events: EventLog,
        install: Callable[[str, CalibrationSet], None],
        now_utc: Callable[[], Any],
    ) -> None:
        self._bench = bench
        self._store = store
        self._events = events
        self._install = install
        self._now_utc = now_utc
        self._lock = asyncio.Lock()

    async def calibrate(
        self, config: RackConfig, pdu_id: str, outlet_id: str, bench_seed: int, actor: str
    ) -> dict[str, Any]:
        """Calibrate ``pdu_id``/``outlet_id``; return the report. KeyError for an unknown one."""
        bench = self._bench
        if bench is None:
            raise CalibrationUnavailableError("this controller has no calibration bench")
        pdu = config.pdu(pdu_id)
        if not any(o.id == outlet_id for o in pdu.outlets):
            raise KeyError(f"PDU {pdu_id!r} has no outlet {outlet_id!r}")
        async with self._lock:
            now = format_timestamp(self._now_utc())
            stored = await asyncio.to_thread(load_calibration, self._store, pdu_id)
            base = stored or CalibrationSet.create(0, now, "identity", {})
            outcome = await asyncio.to_thread(
                bench.calibrate, config, pdu_id, outlet_id, base, now, actor, bench_seed
            )
            cal = outcome.calibration
            await asyncio.to_thread(save_calibration, self._store, pdu_id, cal)
            key = BENCH_SEED_KEY.format(pdu=pdu_id)
            await asyncio.to_thread(self._store.kv_set, key, str(bench_seed))
            self._install(pdu_id, cal)
            bench.installed(pdu_id, cal, bench_seed)
            event = calibration_event(pdu_id, outlet_id, outcome, actor)
            await asyncio.to_thread(self._events.append, event)
        return {"pdu_id": pdu_id, "outlet_id": outlet_id, "version": cal.version, **outcome.report}
