"""The rack's risk score as a synthesized Percent sensor of the rack chassis."""

from __future__ import annotations

import httpx
from redfish_env import ADMIN_PW

ADMIN = ("admin", ADMIN_PW)
BASE = "/redfish/v1/Chassis/rack/Sensors"


async def test_risk_score_sensor_reads_the_snapshot(client: httpx.AsyncClient) -> None:
    members = (await client.get(BASE, auth=ADMIN)).json()["Members"]
    assert f"{BASE}/RiskScore" in {m["@odata.id"] for m in members}
    body = (await client.get(f"{BASE}/RiskScore", auth=ADMIN)).json()
    assert body["Reading"] == 20.0  # the fake snapshot's score
    assert (body["ReadingType"], body["ReadingUnits"], body["Implementation"]) == (
        "Percent", "%", "Synthesized")  # fmt: skip
    assert (body["ReadingRangeMin"], body["ReadingRangeMax"]) == (0, 100)
    assert "Thresholds" not in body
