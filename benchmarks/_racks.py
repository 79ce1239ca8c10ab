"""Racks larger than the demo rack, for "linear in channels" and "no overrun at ×10" figures.

:func:`scaled_rack` keeps the demo rack's PDU settings, sensors and levers and builds ``pdus``
PDUs (A/B pairs) of ``outlets`` outlets each on C16 branches spread over the three phases, with
one dual-PSU server per outlet pair so every outlet carries current (a quiet outlet would be
cheaper to classify than a loaded one). ``scaled_rack(8, 60)`` is the issue's ×10 rack (480
outlets against the demo's 48).
"""

from __future__ import annotations

from typing import Any

from smartpdu.app.factory import demo_config_path
from smartpdu.config import RackConfig, load_config
from smartpdu.config.loader import validate_data

__all__ = ["scaled_rack"]

OUTLETS_PER_BRANCH = 6


def scaled_rack(pdus: int = 8, outlets: int = 60) -> RackConfig:
    """A valid rack of ``pdus`` (even, ≤ 8) PDUs with ``outlets`` loaded outlets each."""
    if pdus % 2 or not 2 <= pdus <= 8:
        raise ValueError(f"pdus must be an even number from 2 to 8 (A/B pairs), got {pdus}")
    demo = load_config(demo_config_path()).model_dump(mode="json")
    template = demo["pdus"][0]
    n_branches = -(-outlets // OUTLETS_PER_BRANCH)
    branches = [
        {
            "id": f"B{b + 1}",
            "name": f"Branch {b + 1}",
            "line": f"L{b % 3 + 1}",
            "breaker": {"kind": "MCB", "curve": "C", "rating_a": 16},
        }
        for b in range(n_branches)
    ]
    outlet_rows = [
        {
            "id": str(j + 1),
            "name": f"Outlet {j + 1}",
            "branch": f"B{j // OUTLETS_PER_BRANCH + 1}",
            "connector": "C13",
            "rating_a": 10,
            "priority": "normal",
            "group": "compute",
            "power_on_delay_s": 0.0,
            "power_up_state": "last",
        }
        for j in range(outlets)
    ]
    pdu_rows: list[dict[str, Any]] = []
    devices: list[dict[str, Any]] = []
    for pair in range(pdus // 2):
        ids = (f"pdu-a{pair + 1}", f"pdu-b{pair + 1}")
        for pdu_id, feed in zip(ids, ("A", "B"), strict=True):
            pdu_rows.append(
                {
                    **template,
                    "id": pdu_id,
                    "name": f"PDU {pdu_id}",
                    "feed": feed,
                    "branches": branches,
                    "outlets": outlet_rows,
                }
            )
        for j in range(outlets):
            devices.append(
                {
                    "name": f"srv-{pair + 1}-{j + 1}",
                    "u_position": j % 40 + 1,
                    "load": {"kind": "active_pfc", "rated_power_w": 400, "load_fraction": 0.5},
                    "psus": [
                        {"pdu": ids[0], "outlet": str(j + 1), "share": 0.5},
                        {"pdu": ids[1], "outlet": str(j + 1), "share": 0.5},
                    ],
                }
            )
    rename = {"pdu-a": "pdu-a1", "pdu-b": "pdu-b1"}
    sensors = [{**s, "pdu": rename.get(s.get("pdu"), s.get("pdu"))} for s in demo["sensors"]]
    data = {
        **demo,
        "rack": {
            **demo["rack"],
            "name": f"rack-x{pdus * outlets / 48:g}",
            "cooling_capacity_w": 1e5,
        },
        "pdus": pdu_rows,
        "devices": devices,
        "sensors": sensors,
    }
    return validate_data(data, f"scaled rack {pdus}x{outlets}")
