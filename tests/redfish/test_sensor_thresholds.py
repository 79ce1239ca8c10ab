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
