"""Calibration sets in the store: one versioned, CRC-sealed set per PDU (key ``calibration/<pdu>``)."""

from __future__ import annotations

import json
import logging

from smartpdu.metering import CalibrationSet
from smartpdu.storage import Store

__all__ = ["BENCH_SEED_KEY", "load_calibration", "save_calibration"]

log = logging.getLogger(__name__)

BENCH_SEED_KEY = "calibration/{pdu}/bench_seed"


def _key(pdu_id: str) -> str:
    return f"calibration/{pdu_id}"


def load_calibration(store: Store, pdu_id: str) -> CalibrationSet | None:
    """The stored set, as stored (a corrupted one stays detectable through its CRCs)."""
    text = store.kv_get(_key(pdu_id))
    if text is None:
        return None
    try:
        return CalibrationSet.from_dict(json.loads(text))
    except (ValueError, KeyError, TypeError) as exc:
        log.error("calibration of %s is unreadable (%s); measuring uncalibrated", pdu_id, exc)
        return None


def save_calibration(store: Store, pdu_id: str, calibration: CalibrationSet) -> None:
    store.kv_set(_key(pdu_id), json.dumps(calibration.to_dict(), separators=(",", ":")))
