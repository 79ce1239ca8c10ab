"""Resource shapes, auth, errors and actions through the ASGI app (no sockets)."""

from __future__ import annotations

import httpx
from redfish_env import ADMIN_PW, OPERATOR_PW, VIEWER_PW

ADMIN = ("admin", ADMIN_PW)
OUTLET = "/redfish/v1/PowerEquipment/RackPDUs/pdu-a/Outlets/7"


async def test_public_resources_need_no_auth(client: httpx.AsyncClient) -> None:
    for path in (
        "/redfish",
        "/redfish/v1",
        "/redfish/v1/",
        "/redfish/v1/odata",
        "/redfish/v1/$metadata",
    ):
        r = await client.get(path)
        assert r.status_code == 200, path
    root = (await client.get("/redfish/v1/")).json()
    assert root["PowerEquipment"] == {"@odata.id": "/redfish/v1/PowerEquipment"}
    meta = (await client.get("/redfish/v1/$metadata")).text
    assert 'Namespace="PowerDistribution.v1_6_0"' in meta


async def test_everything_else_needs_auth(client: httpx.AsyncClient) -> None:
    for path in (
        OUTLET,
        "/redfish/v1/Chassis",
        "/redfish/v1/SessionService/Sessions",
        "/redfish/v1/AccountService/Accounts",
        "/redfish/v1/nonexistent",
    ):
        r = await client.get(path)
        assert r.status_code == 401, path
        assert r.json()["error"]["@Message.ExtendedInfo"][0]["MessageId"].endswith("NoValidSession")
        assert "WWW-Authenticate" in r.headers
    r = await client.get(OUTLET, auth=("admin", "wrong-password-x"))
    assert r.status_code == 401


async def test_outlet_live_readings_and_links(client: httpx.AsyncClient, runtime) -> None:
    body = (await client.get(OUTLET, auth=ADMIN)).json()
    snap = runtime.snapshot.pdus["pdu-a"].outlets["7"]
    assert body["@odata.type"] == "#Outlet.v1_4_4.Outlet"
    assert body["PowerWatts"]["Reading"] == round(snap.reading.p_w, 1)
    # Reading: the resettable register (ResetMetrics); LifetimeReading: the total (issue 11/20)
    assert body["EnergykWh"]["Reading"] == round(snap.reading.energy_resettable_wh / 1000, 3)
    assert body["EnergykWh"]["LifetimeReading"] == round(snap.reading.energy_wh / 1000, 3)
    assert body["PowerState"] == "On"
    action = body["Actions"]["#Outlet.PowerControl"]
    assert action["PowerState@Redfish.AllowableValues"] == ["On", "Off", "PowerCycle"]
    sensor = (await client.get(body["PowerWatts"]["DataSourceUri"], auth=ADMIN)).json()
    assert sensor["Reading"] == round(snap.reading.p_w, 1)
    assert sensor["ReadingUnits"] == "W"
    info = (await client.get(action["@Redfish.ActionInfo"], auth=ADMIN)).json()
    assert info["Parameters"][0]["AllowableValues"] == ["On", "Off", "PowerCycle"]


async def test_cache_follows_snapshot(client: httpx.AsyncClient, runtime) -> None:
    r1 = await client.get(OUTLET, auth=ADMIN)
    r2 = await client.get(OUTLET, auth=ADMIN)
    assert r1.headers["ETag"] == r2.headers["ETag"]
    runtime.tick()
    r3 = await client.get(OUTLET, auth=ADMIN)
    assert r3.headers["ETag"] != r1.headers["ETag"]
    new = runtime.snapshot.pdus["pdu-a"].outlets["7"].reading.p_w
    assert r3.json()["PowerWatts"]["Reading"] == round(new, 1)
    head = await client.head(OUTLET, auth=ADMIN)
    assert head.status_code == 200 and head.headers["ETag"] == r3.headers["ETag"]
    assert int(head.headers["Content-Length"]) == len(r3.content)
    assert r3.headers["OData-Version"] == "4.0" and r3.headers["Allow"] == "GET, HEAD"
    r4 = await client.get(OUTLET, auth=ADMIN, headers={"If-None-Match": r3.headers["ETag"]})
    assert r4.status_code == 304


async def test_power_control_off(client: httpx.AsyncClient, runtime) -> None:
    target = f"{OUTLET}/Actions/Outlet.PowerControl"
    r = await client.post(target, json={"PowerState": "Off"}, auth=("oper", OPERATOR_PW))
    assert r.status_code == 200, r.text
    assert runtime.snapshot.pdus["pdu-a"].outlets["7"].state == "off"
    cmd = runtime.commands[-1]
    assert (cmd.actor, cmd.interface, cmd.outlet_ids) == ("redfish/oper", "redfish", ("7",))
    assert (await client.get(OUTLET, auth=ADMIN)).json()["PowerState"] == "Off"
    offs = [e for e in runtime.store.events_since("pdu-a") if e.event_code == "OUTLET_OFF"]
    assert [(e.source, e.actor) for e in offs] == [("outlet/7", "redfish/oper")]


async def test_power_control_errors(client: httpx.AsyncClient, runtime) -> None:
    target = f"{OUTLET}/Actions/Outlet.PowerControl"
    r = await client.post(target, json={"PowerState": "Sideways"}, auth=ADMIN)
    assert r.status_code == 400
    info = r.json()["error"]["@Message.ExtendedInfo"][0]
    assert info["MessageId"] == "Base.1.22.1.ActionParameterValueNotInList"
    assert info["RelatedProperties"] == ["#/PowerState"]
    r = await client.post(target, json={}, auth=ADMIN)
    assert r.status_code == 400 and "PowerState" in r.json()["error"]["message"]
    r = await client.post(target, content=b"{nope", auth=ADMIN)
    assert r.json()["error"]["@Message.ExtendedInfo"][0]["MessageId"].endswith("MalformedJSON")
    r = await client.post(target, json={"PowerState": "Off"}, auth=("view", VIEWER_PW))
    assert r.status_code == 403
    assert runtime.commands == []


async def test_405_with_allow_and_404(client: httpx.AsyncClient) -> None:
    r = await client.delete(OUTLET, auth=ADMIN)
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET, HEAD"
    r = await client.get("/redfish/v1/PowerEquipment/RackPDUs/pdu-a/Outlets/99", auth=ADMIN)
    assert r.status_code == 404
    assert r.json()["error"]["@Message.ExtendedInfo"][0]["MessageId"].endswith("ResourceNotFound")
    r = await client.get("/redfish/v1/Nope", auth=ADMIN)
    assert r.status_code == 404


async def test_group_power_and_reset_metrics(client: httpx.AsyncClient, runtime) -> None:
    pdu = "/redfish/v1/PowerEquipment/RackPDUs/pdu-b"
    group = (await client.get(f"{pdu}/OutletGroups/lab", auth=ADMIN)).json()
    assert [m["@odata.id"].rsplit("/", 1)[1] for m in group["Links"]["Outlets"]] == [
        "22",
        "23",
        "24",
    ]
    r = await client.post(
        f"{pdu}/OutletGroups/lab/Actions/OutletGroup.PowerControl",
        json={"PowerState": "Off"},
        auth=ADMIN,
    )
    assert r.status_code == 200
    assert runtime.commands[-1].outlet_ids == ("22", "23", "24")
    assert all(runtime.snapshot.pdus["pdu-b"].outlets[o].state == "off" for o in ("22", "23", "24"))
    r = await client.post(
        f"{pdu}/Metrics/Actions/PowerDistributionMetrics.ResetMetrics",
        json={},
        auth=("oper", OPERATOR_PW),
    )
    assert r.status_code == 403  # operators may switch, not reset energy
    r = await client.post(
        f"{pdu}/Metrics/Actions/PowerDistributionMetrics.ResetMetrics", json={}, auth=ADMIN
    )
    assert r.status_code == 200
    assert runtime.resets == [("pdu-b", None, "redfish/admin")]


async def test_sessions(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/redfish/v1/SessionService/Sessions", json={"UserName": "oper", "Password": OPERATOR_PW}
    )
    assert r.status_code == 201
    token, location = r.headers["X-Auth-Token"], r.headers["Location"]
    h = {"X-Auth-Token": token}
    assert (await client.get(OUTLET, headers=h)).status_code == 200
    assert (await client.get(location, headers=h)).json()["UserName"] == "oper"
    members = (await client.get("/redfish/v1/SessionService/Sessions", headers=h)).json()
    assert {"@odata.id": location} in members["Members"]
    assert (await client.delete(location, headers=h)).status_code == 204
    assert (await client.get(OUTLET, headers=h)).status_code == 401
    bad = await client.post(
        "/redfish/v1/SessionService/Sessions",
        json={"UserName": "oper", "Password": "nope-nope-nope"},
    )
    assert bad.status_code == 401
    missing = await client.post("/redfish/v1/SessionService/Sessions", json={"UserName": "x"})
    assert missing.status_code == 400
    assert missing.json()["error"]["@Message.ExtendedInfo"][0]["MessageArgs"] == ["Password"]


async def test_accounts_roles_and_etag(client: httpx.AsyncClient, auth) -> None:
    accounts = "/redfish/v1/AccountService/Accounts"
    r = await client.post(
        accounts,
        auth=ADMIN,
        json={"UserName": "dcim", "Password": "dcim-password-123", "RoleId": "Operator"},
    )
    assert r.status_code == 201, r.text
    assert (await auth.users.get_user("dcim")).role == "operator"
    acct = await client.get(f"{accounts}/dcim", auth=ADMIN)
    assert acct.json()["RoleId"] == "Operator"
    r = await client.patch(
        f"{accounts}/dcim",
        auth=ADMIN,
        json={"RoleId": "ReadOnly"},
        headers={"If-Match": 'W/"stale"'},
    )
    assert r.status_code == 412
    r = await client.patch(
        f"{accounts}/dcim",
        auth=ADMIN,
        json={"RoleId": "ReadOnly"},
        headers={"If-Match": acct.headers["ETag"]},
    )
    assert r.status_code == 200 and r.json()["RoleId"] == "ReadOnly"
    assert (await auth.users.get_user("dcim")).role == "viewer"
    r = await client.patch(f"{accounts}/dcim", auth=ADMIN, json={"Colour": "red"})
    assert r.status_code == 400
    assert r.json()["error"]["@Message.ExtendedInfo"][0]["RelatedProperties"] == ["#/Colour"]
    r = await client.patch(f"{accounts}/dcim", auth=ADMIN, json={"RoleId": "God"})
    assert r.status_code == 400
    r = await client.post(
        accounts,
        auth=("oper", OPERATOR_PW),
        json={"UserName": "x2", "Password": "dcim-password-123", "RoleId": "Operator"},
    )
    assert r.status_code == 403
    assert (await client.delete(f"{accounts}/dcim", auth=ADMIN)).status_code == 200
    roles = (await client.get("/redfish/v1/AccountService/Roles", auth=ADMIN)).json()
    assert roles["Members@odata.count"] == 5
    hands = (await client.get("/redfish/v1/AccountService/Roles/RemoteHands", auth=ADMIN)).json()
    assert hands["AssignedPrivileges"] == ["Login", "ConfigureSelf"]
    assert hands["OemPrivileges"] == ["SmartPduUnlockLevers"]


async def test_chassis_environment_and_dew_point(client: httpx.AsyncClient) -> None:
    sensors = (await client.get("/redfish/v1/Chassis/rack/Sensors", auth=ADMIN)).json()
    ids = {m["@odata.id"].rsplit("/", 1)[1] for m in sensors["Members"]}
    assert {"temp-top", "hum-1", "voc-1", "DewPoint"} <= ids
    dp = (await client.get("/redfish/v1/Chassis/rack/Sensors/DewPoint", auth=ADMIN)).json()
    # fake: 24 °C, 45 % RH -> 11.3 °C (psychrometric tables)
    assert abs(dp["Reading"] - 11.3) < 0.2


async def test_event_log_entries(client: httpx.AsyncClient) -> None:
    await client.post(
        f"{OUTLET}/Actions/Outlet.PowerControl", json={"PowerState": "Off"}, auth=ADMIN
    )
    base = "/redfish/v1/Managers/controller/LogServices/EventLog/Entries"
    entries = (await client.get(base, auth=ADMIN)).json()
    bodies = [(await client.get(m["@odata.id"], auth=ADMIN)).json() for m in entries["Members"]]
    # Auto-expanded members equal the entries themselves (a standalone GET adds its @odata.etag).
    assert all(b.pop("@odata.etag") for b in bodies)
    assert bodies == entries["Members"]
    offs = [b for b in bodies if b["Message"].startswith("OUTLET_OFF")]
    assert len(offs) == 1 and "redfish/admin" in offs[0]["Message"]
    assert entries["Members@odata.count"] == len(bodies) >= 4  # logins + user creation too


async def test_sensor_ids_and_properties_come_from_the_catalogue(
    client: httpx.AsyncClient, runtime
) -> None:
    coll = (await client.get("/redfish/v1/Chassis/pdu-a/Sensors", auth=ADMIN)).json()
    ids = {m["@odata.id"].rsplit("/", 1)[1] for m in coll["Members"]}
    for sid in (
        "MainsL1Voltage",
        "MainsL1Power",
        "MainsTotalPower",
        "MainsTotalEnergy",
        "MainsNeutralCurrent",
        "BranchB1Current",
        "Outlet7Energy",
        "Outlet7Frequency",
    ):
        assert sid in ids, sid  # fmt: skip
    cur = (await client.get("/redfish/v1/Chassis/pdu-a/Sensors/Outlet7Current", auth=ADMIN)).json()
    r = runtime.snapshot.pdus["pdu-a"].outlets["7"].reading
    assert cur["ReadingType"] == "Current" and cur["ReadingUnits"] == "A"
    assert cur["Reading"] == round(r.i_rms_a, 3)
    assert cur["CrestFactor"] == round(r.crest_factor, 3)
    mains = (
        await client.get("/redfish/v1/PowerEquipment/RackPDUs/pdu-a/Mains/Inlet", auth=ADMIN)
    ).json()
    assert mains["PowerWatts"]["DataSourceUri"].endswith("/Sensors/MainsTotalPower")
    assert mains["PolyPhaseVoltage"]["Line1ToNeutral"]["DataSourceUri"].endswith("MainsL1Voltage")
