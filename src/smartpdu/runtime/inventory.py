"""The inventory a change-management system asks a PDU for (seed 002 H2-9).

Per PDU its id, serial, hardware revision and calibration version, plus the rack's name: read
from the configuration and the stored calibrations, off the event loop (the port calls it).
"""

from __future__ import annotations

from typing import Any

from smartpdu.config import RackConfig
from smartpdu.storage import Store

__all__ = ["read_inventory"]


def read_inventory(store: Store, cfg: RackConfig) -> dict[str, Any]:
    """``{"rack_name", "pdus": [...]}`` with each PDU's identity and calibration version."""
    pdus = []
    for p in cfg.pdus:
        cal = store.calibrations.latest(p.id)
        pdus.append({
            "pdu_id": p.id, "name": p.name or p.id, "serial": p.serial or None,
            "hardware_revision": p.hardware_revision or None,
            "calibration_version": cal.version if cal else None,
            "calibration_utc": cal.timestamp_utc if cal else None,
            "calibration_crc32": cal.crc32 if cal else None,
        })  # fmt: skip
    return {"rack_name": cfg.rack.name, "pdus": pdus}
