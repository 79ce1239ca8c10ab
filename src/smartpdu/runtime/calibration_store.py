"""Calibration sets in the store's ``calibration_sets`` table: versioned, CRC-sealed, per PDU."""

from __future__ import annotations

import json
import logging

from smartpdu.metering import CalibrationSet
from smartpdu.storage import CalibrationRecord, Store

__all__ = ["BENCH_SEED_KEY", "load_calibration", "save_calibration"]

log = logging.getLogger(__name__)

BENCH_SEED_KEY = "calibration/{pdu}/bench_seed"
"""Key/value row of the twin bench's error seed (a property of the simulated unit, not a set)."""


def load_calibration(store: Store, pdu_id: str) -> CalibrationSet | None:
    """The newest stored set, as stored (a corrupted one stays detectable through its CRCs)."""
    record = store.calibrations.latest(pdu_id)
    if record is None:
        return None
    try:
        return CalibrationSet.from_dict(json.loads(record.body))
    except (ValueError, KeyError, TypeError) as exc:
        log.error("calibration of %s is unreadable (%s); measuring uncalibrated", pdu_id, exc)
        return None


def save_calibration(store: Store, pdu_id: str, calibration: CalibrationSet) -> None:
    """Store ``calibration`` as version ``calibration.version`` of ``pdu_id`` (earlier kept)."""
    body = json.dumps(calibration.to_dict(), separators=(",", ":"))
    store.calibrations.save(
        CalibrationRecord(
            pdu_id,
            calibration.version,
            calibration.timestamp,
            calibration.source,
            calibration.crc32,
            body,
        )
    )
