"""PowerEquipment → RackPDUs/{pdu}: Mains, Branches, Outlets, OutletGroups, Metrics and actions.

Every GET builder reads one snapshot (and the configuration) and nothing else; the app caches the
serialised bytes per snapshot. Actions go to ``services.outlet_command`` / ``reset_energy``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final

from starlette.responses import Response

from smartpdu.access import Permission
from smartpdu.model.commands import CommandStatus, OutletAction, OutletCommand
from smartpdu.model.ids import branch_id, outlet_id, phase_id, redfish_prefix
from smartpdu.model.states import BreakerState, OutletState
from smartpdu.redfish.context import ROOT, Ctx, collection, link, links, read_json_body
from smartpdu.redfish.errors import RedfishError
from smartpdu.redfish.responses import action_result
from smartpdu.redfish.router import Endpoint
from smartpdu.redfish.sensors import channel_fields, rnd, sensor_uri

__all__ = ["MANAGER_ID", "firmware_version", "power_endpoints"]

PE: Final = f"{ROOT}/PowerEquipment"
PDUS: Final = f"{PE}/RackPDUs"
MANAGER_ID: Final = "controller"
POWER_STATES: Final = {
    "On": OutletAction.ON,
    "Off": OutletAction.OFF,
    "PowerCycle": OutletAction.CYCLE,
}
_CONNECTORS: Final = {"C13": "IEC_60320_C13", "C19": "IEC_60320_C19", "Cx": "IEC_60320_C19"}
_NOMINAL: Final = {"AC120V", "AC208V", "AC230V", "AC240V", "AC277V", "AC400V", "AC480V"}


def firmware_version() -> str:
    try:
        return version("smartpdu")
    except PackageNotFoundError:
        return "0.0.0"


def _nominal(v: float) -> str | None:
    name = f"AC{round(v)}V"
    return name if name in _NOMINAL else None


def _pdu_uri(pdu_id: str) -> str:
    return f"{PDUS}/{pdu_id}"


def _status(health: str = "OK") -> dict[str, str]:
    return {"State": "Enabled", "Health": health}


def _power_control(uri: str, action: str) -> dict[str, Any]:
    return {
        f"#{action}": {
            "target": f"{uri}/Actions/{action}",
            "@Redfish.ActionInfo": f"{uri}/PowerControlActionInfo",
            "PowerState@Redfish.AllowableValues": list(POWER_STATES),
        }
    }


def _reset_metrics(uri: str, action: str) -> dict[str, Any]:
    return {
        f"#{action}": {
            "target": f"{uri}/Actions/{action}",
            "@Redfish.ActionInfo": f"{uri}/ResetMetricsActionInfo",
        }
    }


# -- GET builders -------------------------------------------------------------------------------
def power_equipment(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    return {
        "@odata.type": "#PowerEquipment.v1_2_3.PowerEquipment",
        "@odata.id": PE,
        "Id": "PowerEquipment",
        "Name": "Power equipment",
        "Status": _status(),
        "RackPDUs": link(PDUS),
    }


def rack_pdus(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    members = [_pdu_uri(i) for i in ctx.snapshot.pdus]
    return collection("PowerDistributionCollection", PDUS, "Rack PDUs", members)


def rack_pdu(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    pdu = ctx.pdu(p["pdu"])
    uri = _pdu_uri(pdu.id)
    return {
        "@odata.type": "#PowerDistribution.v1_6_0.PowerDistribution",
        "@odata.id": uri,
        "Id": pdu.id,
        "Name": pdu.name or pdu.id,
        "EquipmentType": "RackPDU",
        "Manufacturer": "smartpdu",
        "Model": f"smartpdu {pdu.phases}-phase {pdu.inlet.rating_a:g} A",
        "FirmwareVersion": firmware_version(),
        "UserLabel": f"feed {pdu.feed}",
        "Status": _status("OK" if pdu.inlet.feed_present else "Critical"),
        "PowerCapacityVA": round(pdu.phases * pdu.nominal_voltage_v * pdu.inlet.rating_a),
        "Mains": link(f"{uri}/Mains"),
        "Branches": link(f"{uri}/Branches"),
        "Outlets": link(f"{uri}/Outlets"),
        "OutletGroups": link(f"{uri}/OutletGroups"),
        "Metrics": link(f"{uri}/Metrics"),
        "Links": {
            "Chassis": links([f"{ROOT}/Chassis/{pdu.id}"]),
            "ManagedBy": links([f"{ROOT}/Managers/{MANAGER_ID}"]),
        },
    }


def mains_collection(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    uri = f"{_pdu_uri(ctx.pdu(p['pdu']).id)}/Mains"
    return collection("CircuitCollection", uri, "Mains", [f"{uri}/Inlet"])


def mains(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    pdu = ctx.pdu(p["pdu"])
    if p["circuit"] != "Inlet":
        raise RedfishError(404, "ResourceNotFound", "Circuit", p["circuit"])
    inlet, uri = pdu.inlet, f"{_pdu_uri(pdu.id)}/Mains/Inlet"
    first = next(iter(inlet.phases.values()), None)
    body: dict[str, Any] = {
        "@odata.type": "#Circuit.v1_9_0.Circuit",
        "@odata.id": uri,
        "Id": "Inlet",
        "Name": f"Inlet (feed {inlet.feed})",
        "CircuitType": "Mains",
        "PhaseWiringType": "ThreePhase5Wire" if pdu.phases == 3 else "OnePhase3Wire",
        "VoltageType": "AC",
        "RatedCurrentAmps": inlet.rating_a,
        "BreakerState": "Normal" if inlet.breaker_state is BreakerState.CLOSED else "Tripped",
        "PowerState": "On" if inlet.feed_present else "Off",
        "Status": _status("OK" if inlet.feed_present else "Critical"),
        **channel_fields(pdu, "Mains"),
    }
    if _nominal(pdu.nominal_voltage_v):
        body["NominalVoltage"] = _nominal(pdu.nominal_voltage_v)
    if first is not None:
        body["FrequencyHz"] = {
            "DataSourceUri": sensor_uri(pdu.id, f"Mains{next(iter(inlet.phases))}Frequency"),
            "Reading": rnd(inlet.frequency_hz),
        }
    volt, amps, watts = {}, {}, {}
    for i, line in enumerate(inlet.phases, start=1):
        fields = channel_fields(pdu, redfish_prefix(phase_id(line)))
        volt[f"Line{i}ToNeutral"] = fields["Voltage"]
        amps[f"Line{i}"] = fields["CurrentAmps"]
        watts[f"Line{i}ToNeutral"] = fields["PowerWatts"]
    amps["Neutral"] = {
        "DataSourceUri": sensor_uri(pdu.id, "MainsNeutralCurrent"),
        "Reading": rnd(inlet.neutral_a),
    }
    body.update(PolyPhaseVoltage=volt, PolyPhaseCurrentAmps=amps, PolyPhasePowerWatts=watts)
    return body


def branches(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    pdu = ctx.pdu(p["pdu"])
    uri = f"{_pdu_uri(pdu.id)}/Branches"
    return collection(
        "CircuitCollection", uri, "Branch circuits", [f"{uri}/{b}" for b in pdu.branches]
    )


def branch(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    pdu = ctx.pdu(p["pdu"])
    b = pdu.branches.get(p["circuit"])
    if b is None:
        raise RedfishError(404, "ResourceNotFound", "Circuit", p["circuit"])
    uri = f"{_pdu_uri(pdu.id)}/Branches/{b.id}"
    tripped = b.breaker_state is not BreakerState.CLOSED
    body: dict[str, Any] = {
        "@odata.type": "#Circuit.v1_9_0.Circuit",
        "@odata.id": uri,
        "Id": b.id,
        "Name": b.name or b.id,
        "CircuitType": "Branch",
        "PhaseWiringType": "OnePhase3Wire",
        "VoltageType": "AC",
        "RatedCurrentAmps": b.rating_a,
        "BreakerState": "Tripped" if tripped else "Normal",
        "PowerState": "Off" if tripped else "On",
        "Status": _status("Critical" if tripped else "OK"),
        **channel_fields(pdu, redfish_prefix(branch_id(b.id))),
        "Links": {
            "Outlets": links(
                [
                    f"{_pdu_uri(pdu.id)}/Outlets/{o.id}"
                    for o in pdu.outlets.values()
                    if o.branch == b.id
                ]
            )
        },
        "Actions": _reset_metrics(uri, "Circuit.ResetMetrics"),
    }
    if _nominal(pdu.nominal_voltage_v):
        body["NominalVoltage"] = _nominal(pdu.nominal_voltage_v)
    return body


def outlets(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    pdu = ctx.pdu(p["pdu"])
    uri = f"{_pdu_uri(pdu.id)}/Outlets"
    return collection("OutletCollection", uri, "Outlets", [f"{uri}/{o}" for o in pdu.outlets])


def outlet(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    pdu = ctx.pdu(p["pdu"])
    o = pdu.outlets.get(p["outlet"])
    if o is None:
        raise RedfishError(404, "ResourceNotFound", "Outlet", p["outlet"])
    uri = f"{_pdu_uri(pdu.id)}/Outlets/{o.id}"
    cfg_delay = _outlet_delay(ctx, pdu.id, o.id)
    body: dict[str, Any] = {
        "@odata.type": "#Outlet.v1_4_4.Outlet",
        "@odata.id": uri,
        "Id": o.id,
        "Name": o.name or f"Outlet {o.id}",
        "Status": _status("Warning" if o.locked_out else "OK"),
        "PhaseWiringType": "OnePhase3Wire",
        "VoltageType": "AC",
        "RatedCurrentAmps": o.rating_a,
        "PowerState": "On" if o.state is OutletState.ON else "Off",
        "PowerEnabled": not o.locked_out,
        **channel_fields(pdu, redfish_prefix(outlet_id(o.id))),
        "Actions": {
            **_power_control(uri, "Outlet.PowerControl"),
            **_reset_metrics(uri, "Outlet.ResetMetrics"),
        },
        "Links": {"BranchCircuit": link(f"{_pdu_uri(pdu.id)}/Branches/{o.branch}")},
    }
    if o.connector in _CONNECTORS:
        body["OutletType"] = _CONNECTORS[o.connector]
    if _nominal(pdu.nominal_voltage_v):
        body["NominalVoltage"] = _nominal(pdu.nominal_voltage_v)
    if cfg_delay is not None:
        body["PowerOnDelaySeconds"] = cfg_delay
    return body


def _outlet_delay(ctx: Ctx, pdu_id: str, outlet_id: str) -> float | None:
    for pc in ctx.services.config.pdus:
        if pc.id == pdu_id:
            for oc in pc.outlets:
                if oc.id == outlet_id:
                    return oc.power_on_delay_s
    return None


def outlet_groups(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    pdu = ctx.pdu(p["pdu"])
    uri = f"{_pdu_uri(pdu.id)}/OutletGroups"
    return collection(
        "OutletGroupCollection", uri, "Outlet groups", [f"{uri}/{g}" for g in pdu.outlet_groups()]
    )


def outlet_group(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    pdu = ctx.pdu(p["pdu"])
    members = pdu.outlet_groups().get(p["group"])
    if members is None:
        raise RedfishError(404, "ResourceNotFound", "OutletGroup", p["group"])
    uri = f"{_pdu_uri(pdu.id)}/OutletGroups/{p['group']}"
    states = {pdu.outlets[o].state for o in members}
    body: dict[str, Any] = {
        "@odata.type": "#OutletGroup.v1_2_0.OutletGroup",
        "@odata.id": uri,
        "Id": p["group"],
        "Name": f"Outlet group {p['group']}",
        "Status": _status(),
        "CreatedBy": "configuration",
        "Links": {"Outlets": links([f"{_pdu_uri(pdu.id)}/Outlets/{o}" for o in members])},
        "Actions": _power_control(uri, "OutletGroup.PowerControl"),
    }
    if len(states) == 1:
        body["PowerState"] = "On" if states == {OutletState.ON} else "Off"
    return body


def metrics(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    pdu = ctx.pdu(p["pdu"])
    uri = f"{_pdu_uri(pdu.id)}/Metrics"
    return {
        "@odata.type": "#PowerDistributionMetrics.v1_4_0.PowerDistributionMetrics",
        "@odata.id": uri,
        "Id": "Metrics",
        "Name": f"{pdu.name or pdu.id} metrics",
        **channel_fields(pdu, "Mains"),
        "Actions": _reset_metrics(uri, "PowerDistributionMetrics.ResetMetrics"),
    }


def _action_info(uri: str, name: str, params: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "@odata.type": "#ActionInfo.v1_5_0.ActionInfo",
        "@odata.id": uri,
        "Id": uri.rsplit("/", 1)[1],
        "Name": name,
        "Parameters": params,
    }


_POWER_PARAM: Final = [
    {
        "Name": "PowerState",
        "Required": True,
        "DataType": "String",
        "AllowableValues": list(POWER_STATES),
    }
]


def outlet_power_info(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    outlet(ctx, p)  # 404 for unknown outlets
    uri = f"{_pdu_uri(p['pdu'])}/Outlets/{p['outlet']}/PowerControlActionInfo"
    return _action_info(uri, "Outlet power control", _POWER_PARAM)


def group_power_info(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    outlet_group(ctx, p)
    uri = f"{_pdu_uri(p['pdu'])}/OutletGroups/{p['group']}/PowerControlActionInfo"
    return _action_info(uri, "Outlet group power control", _POWER_PARAM)


def _reset_info(kind: str) -> Any:
    def build(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
        base = _pdu_uri(ctx.pdu(p["pdu"]).id)
        if kind == "outlet":
            outlet(ctx, p)
            base += f"/Outlets/{p['outlet']}"
        elif kind == "branch":
            branch(ctx, p)
            base += f"/Branches/{p['circuit']}"
        else:
            base += "/Metrics"
        return _action_info(f"{base}/ResetMetricsActionInfo", "Reset metrics", [])

    return build


# -- actions ------------------------------------------------------------------------------------
def _power_state(body: dict[str, Any], action: str) -> OutletAction:
    for key in body:
        if key != "PowerState" and not key.startswith("@"):
            raise RedfishError(400, "ActionParameterUnknown", action, key, related=(f"#/{key}",))
    if "PowerState" not in body:
        raise RedfishError(
            400, "ActionParameterMissing", action, "PowerState", related=("#/PowerState",)
        )
    value = body["PowerState"]
    if not isinstance(value, str):
        raise RedfishError(
            400,
            "ActionParameterValueTypeError",
            value,
            "PowerState",
            action,
            related=("#/PowerState",),
        )
    if value not in POWER_STATES:
        raise RedfishError(
            400,
            "ActionParameterValueNotInList",
            value,
            "PowerState",
            action,
            related=("#/PowerState",),
        )
    return POWER_STATES[value]


async def _command(ctx: Ctx, pdu_id: str, ids: tuple[str, ...], action: OutletAction) -> Response:
    ctx.require(Permission.CONTROL)
    result = await ctx.services.outlet_command(
        OutletCommand(pdu_id, ids, action, actor=ctx.actor, interface="redfish")
    )
    ctx.changed()
    if result.status in (CommandStatus.DONE, CommandStatus.ACCEPTED):
        return action_result(200, "Success")
    if result.status is CommandStatus.DENIED:
        raise RedfishError(403, "InsufficientPrivilege")
    if result.status is CommandStatus.LOCKED_OUT:
        raise RedfishError(409, "ResourceInUse")
    if result.status is CommandStatus.REJECTED:
        raise RedfishError(400, "ActionParameterValueConflict", "PowerState", action.value)
    raise RedfishError(500, "OperationFailed")


async def post_outlet_power(ctx: Ctx, p: dict[str, str], raw: bytes, h: dict[str, str]) -> Response:
    outlet(ctx, p)
    action = _power_state(read_json_body(raw), "Outlet.PowerControl")
    return await _command(ctx, p["pdu"], (p["outlet"],), action)


async def post_group_power(ctx: Ctx, p: dict[str, str], raw: bytes, h: dict[str, str]) -> Response:
    members = ctx.pdu(p["pdu"]).outlet_groups().get(p["group"])
    if members is None:
        raise RedfishError(404, "ResourceNotFound", "OutletGroup", p["group"])
    action = _power_state(read_json_body(raw), "OutletGroup.PowerControl")
    return await _command(ctx, p["pdu"], tuple(members), action)


def _reset_handler(kind: str) -> Any:
    async def handle(ctx: Ctx, p: dict[str, str], raw: bytes, h: dict[str, str]) -> Response:
        pdu = ctx.pdu(p["pdu"])
        channel: str | None = None
        if kind == "outlet":
            outlet(ctx, p)
            channel = f"outlet/{p['outlet']}"
        elif kind == "branch":
            branch(ctx, p)
            channel = f"branch/{p['circuit']}"
        body = read_json_body(raw)
        for key in body:
            if not key.startswith("@"):
                raise RedfishError(
                    400, "ActionParameterUnknown", "ResetMetrics", key, related=(f"#/{key}",)
                )
        ctx.require(Permission.CONFIGURE)
        await ctx.services.reset_energy(pdu.id, channel, ctx.actor)
        ctx.changed()
        return action_result(200, "Success")

    return handle


def power_endpoints() -> list[Endpoint]:
    pdu = f"{PDUS}/{{pdu}}"
    o = f"{pdu}/Outlets/{{outlet}}"
    g = f"{pdu}/OutletGroups/{{group}}"
    b = f"{pdu}/Branches/{{circuit}}"
    return [
        Endpoint(PE, power_equipment),
        Endpoint(PDUS, rack_pdus),
        Endpoint(pdu, rack_pdu),
        Endpoint(f"{pdu}/Mains", mains_collection),
        Endpoint(f"{pdu}/Mains/{{circuit}}", mains),
        Endpoint(f"{pdu}/Branches", branches),
        Endpoint(b, branch),
        Endpoint(f"{b}/ResetMetricsActionInfo", _reset_info("branch")),
        Endpoint(f"{b}/Actions/Circuit.ResetMetrics", post=_reset_handler("branch")),
        Endpoint(f"{pdu}/Outlets", outlets),
        Endpoint(o, outlet),
        Endpoint(f"{o}/PowerControlActionInfo", outlet_power_info),
        Endpoint(f"{o}/ResetMetricsActionInfo", _reset_info("outlet")),
        Endpoint(f"{o}/Actions/Outlet.PowerControl", post=post_outlet_power),
        Endpoint(f"{o}/Actions/Outlet.ResetMetrics", post=_reset_handler("outlet")),
        Endpoint(f"{pdu}/OutletGroups", outlet_groups),
        Endpoint(g, outlet_group),
        Endpoint(f"{g}/PowerControlActionInfo", group_power_info),
        Endpoint(f"{g}/Actions/OutletGroup.PowerControl", post=post_group_power),
        Endpoint(f"{pdu}/Metrics", metrics),
        Endpoint(f"{pdu}/Metrics/ResetMetricsActionInfo", _reset_info("pdu")),
        Endpoint(
            f"{pdu}/Metrics/Actions/PowerDistributionMetrics.ResetMetrics",
            post=_reset_handler("pdu"),
        ),
    ]
