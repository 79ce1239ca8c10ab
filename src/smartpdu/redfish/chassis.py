"""Chassis (one per PDU plus the rack) and their Sensors collections."""

from __future__ import annotations

from typing import Any

from smartpdu.redfish.context import ROOT, Ctx, collection, link, links
from smartpdu.redfish.errors import RedfishError
from smartpdu.redfish.levers import lever_actions, lever_endpoints, physical_security
from smartpdu.redfish.power import MANAGER_ID, PDUS
from smartpdu.redfish.router import Endpoint
from smartpdu.redfish.sensors import (
    RACK_CHASSIS,
    build_sensor,
    electrical_sensor_ids,
    environment_sensor_ids,
    sensor_uri,
)

__all__ = ["chassis_endpoints"]

CH = f"{ROOT}/Chassis"


def chassis_collection(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    ids = [RACK_CHASSIS, *ctx.snapshot.pdus]
    return collection("ChassisCollection", CH, "Chassis", [f"{CH}/{i}" for i in ids])


def chassis(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    cid = p["chassis"]
    uri = f"{CH}/{cid}"
    body: dict[str, Any] = {
        "@odata.type": "#Chassis.v1_28_0.Chassis",
        "@odata.id": uri,
        "Id": cid,
        "Status": {"State": "Enabled", "Health": "OK"},
        "Sensors": link(f"{uri}/Sensors"),
        "Manufacturer": "smartpdu",
    }
    if cid == RACK_CHASSIS:
        body.update(
            Name=ctx.snapshot.rack_name,
            ChassisType="Rack",
            Links={
                "Contains": links([f"{CH}/{i}" for i in ctx.snapshot.pdus]),
                "ManagedBy": links([f"{ROOT}/Managers/{MANAGER_ID}"]),
            },
        )
        if ctx.snapshot.levers:
            body.update(PhysicalSecurity=physical_security(ctx), Actions=lever_actions())
        return body
    pdu = ctx.snapshot.pdus.get(cid)
    if pdu is None:
        raise RedfishError(404, "ResourceNotFound", "Chassis", cid)
    body.update(
        Name=pdu.name or pdu.id,
        ChassisType="RackMount",
        PowerState="On" if pdu.inlet.feed_present else "Off",
        Links={
            "ContainedBy": link(f"{CH}/{RACK_CHASSIS}"),
            "ManagedBy": links([f"{ROOT}/Managers/{MANAGER_ID}"]),
            "PowerOutlets": links([f"{PDUS}/{pdu.id}/Outlets/{o}" for o in pdu.outlets]),
        },
    )
    return body


def sensors(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    cid = p["chassis"]
    if cid == RACK_CHASSIS:
        ids = environment_sensor_ids(ctx.snapshot)
    elif cid in ctx.snapshot.pdus:
        ids = electrical_sensor_ids(ctx.snapshot.pdus[cid])
    else:
        raise RedfishError(404, "ResourceNotFound", "Chassis", cid)
    return collection(
        "SensorCollection", f"{CH}/{cid}/Sensors", "Sensors", [sensor_uri(cid, s) for s in ids]
    )


def chassis_endpoints() -> list[Endpoint]:
    return [
        Endpoint(CH, chassis_collection),
        Endpoint(f"{CH}/{{chassis}}", chassis),
        Endpoint(f"{CH}/{{chassis}}/Sensors", sensors),
        Endpoint(f"{CH}/{{chassis}}/Sensors/{{sensor}}", build_sensor),
        *lever_endpoints(),
    ]
