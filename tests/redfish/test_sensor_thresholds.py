"""Redfish rack sensors carry the thresholds of the effective alarm rules (issue 13 item 2)."""

from __future__ import annotations

import httpx
from redfish_env import ADMIN_PW

ADMIN = ("admin", ADMIN_PW)
BASE = "/redfish/v1/Chassis/rack/Sensors"


async def test_rack_sensors_carry_the_alarm_rule_thresholds(client: httpx.AsyncClient) -> None:
    inlet = (await client.get(f"{BASE}/temp-bottom", auth=ADMIN)).json()
    assert inlet["Thresholds"] == {  # ASHRAE A1 recommended / allowable (inlet air)
        "UpperCaution": {"Reading": 27.0},
        "UpperCritical": {"Reading": 32.0},
        "LowerCaution": {"Reading": 18.0},
        "LowerCritical": {"Reading": 15.0},
    }
    exhaust = (await client.get(f"{BASE}/temp-top", auth=ADMIN)).json()
    assert exhaust["Thresholds"] == {
        "UpperCaution": {"Reading": 40.0},
        "UpperCritical": {"Reading": 45.0},
    }
    humidity = (await client.get(f"{BASE}/hum-1", auth=ADMIN)).json()
    assert humidity["Thresholds"]["UpperCritical"] == {"Reading": 80.0}
    assert humidity["Thresholds"]["LowerCritical"] == {"Reading": 8.0}
    vibration = await client.get(f"{BASE}/vib-1", auth=ADMIN)
    assert vibration.status_code == 200 and "Thresholds" not in vibration.json()  # no rule


async def test_residual_current_sensors_where_measured_with_rule_thresholds(
    client: httpx.AsyncClient,
) -> None:
    """Inlet and RCBO branches of both PDUs, outlets of PDU B only (``residual_per_outlet``);
    Current sensors in A (DMTF's unit of ReadingType Current) with the residual alarm rules'
    levels as thresholds."""
    ch = "/redfish/v1/Chassis"
    ids = {
        pdu: {m["@odata.id"].rsplit("/", 1)[1]
              for m in (await client.get(f"{ch}/{pdu}/Sensors", auth=ADMIN)).json()["Members"]}
        for pdu in ("pdu-a", "pdu-b")
    }  # fmt: skip
    residual = {p: {i for i in v if i.endswith("ResidualCurrent")} for p, v in ids.items()}
    assert residual["pdu-a"] == {"MainsResidualCurrent", "BranchB6ResidualCurrent"}
    assert {"MainsResidualCurrent", "BranchB6ResidualCurrent", "Outlet21ResidualCurrent"} <= (
        residual["pdu-b"]
    )
    assert len(residual["pdu-b"]) == 2 + 24
    assert "BranchB1ResidualCurrent" not in ids["pdu-a"]  # an MCB branch has no monitor

    mains = (await client.get(f"{ch}/pdu-a/Sensors/MainsResidualCurrent", auth=ADMIN)).json()
    assert (mains["ReadingType"], mains["ReadingUnits"], mains["Reading"]) == (
        "Current", "A", 0.0012)  # fmt: skip
    assert mains["Thresholds"] == {
        "UpperCaution": {"Reading": 0.01},
        "UpperCritical": {"Reading": 0.015},
    }
    b6 = (await client.get(f"{ch}/pdu-b/Sensors/BranchB6ResidualCurrent", auth=ADMIN)).json()
    assert b6["Reading"] == 0.0025 and b6["Thresholds"]["UpperCritical"] == {"Reading": 0.015}
    o21 = (await client.get(f"{ch}/pdu-b/Sensors/Outlet21ResidualCurrent", auth=ADMIN)).json()
    assert o21["PhysicalContext"] == "PowerOutlet" and o21["Reading"] == 0.0004
    assert o21["Thresholds"] == {
        "UpperCaution": {"Reading": 0.0035},
        "UpperCritical": {"Reading": 0.01},
    }
    missing = await client.get(f"{ch}/pdu-a/Sensors/Outlet21ResidualCurrent", auth=ADMIN)
    assert missing.status_code == 404
    current = (await client.get(f"{ch}/pdu-a/Sensors/Outlet21Current", auth=ADMIN)).json()
    assert "Thresholds" not in current  # no alarm rule watches an outlet's current in A
