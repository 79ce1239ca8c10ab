"""Small rack configurations and plain-numpy power-quality references for the twin tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from smartpdu.config.models import RackConfig


def pdu(pdu_id: str, feed: str, *, power_up: str = "on", rcbo: bool = False) -> dict[str, Any]:
    """A 3-phase 230 V PDU: branches B1 (L1), B2 (L2), B3 (L3, RCBO if asked), 4 outlets each."""
    branches = [
        {"id": "B1", "line": "L1"},
        {"id": "B2", "line": "L2"},
        {"id": "B3", "line": "L3", "breaker": {"kind": "RCBO" if rcbo else "MCB"}},
    ]
    outlets = [
        {"id": str(k + 1), "branch": f"B{k // 4 + 1}", "power_up_state": power_up}
        for k in range(12)
    ]
    return {
        "id": pdu_id,
        "feed": feed,
        "inlet_breaker": {"ir_x": 1.0, "tr_s": 6, "isd_x": 6, "tsd_s": 0.3, "ii_x": 10},
        "branches": branches,
        "outlets": outlets,
    }


def device(name: str, kind: str, rated_w: float, psus: list[tuple[str, str, float]], **load: Any):
    spec = {"kind": kind, "rated_power_w": rated_w, **load}
    return {
        "name": name,
        "load": spec,
        "psus": [{"pdu": p, "outlet": o, "share": s} for p, o, s in psus],
    }


def rack(pdus: list[dict[str, Any]], devices: list[dict[str, Any]]) -> RackConfig:
    return RackConfig.model_validate({"rack": {"name": "t"}, "pdus": pdus, "devices": devices})


def channel(acq: Any, pdu_id: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(voltage of the channel's phase, current) of one channel."""
    block = acq.blocks[pdu_id]
    k = block.channel_index(name)
    return block.voltage_v[block.channel_phase[k]], block.current_a[k]


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x * x)))


def power(v: np.ndarray, i: np.ndarray) -> float:
    return float(np.mean(v * i))


def thd(x: np.ndarray, cycles: int) -> float:
    """THD from an FFT over exactly ``cycles`` periods (fundamental in bin ``cycles``)."""
    spec = np.abs(np.fft.rfft(x))
    fund = spec[cycles]
    harm = spec[2 * cycles :: cycles][:49]
    return float(np.sqrt(np.sum(harm**2)) / fund)
