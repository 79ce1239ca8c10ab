"""Rack levers on Redfish: the rack Chassis' ``PhysicalSecurity`` and two OEM actions.

``PhysicalSecurity.IntrusionSensor`` (Chassis schema) reports the rack's doors: ``Normal``;
``HardwareIntrusion`` while a lever's handle is open although it is locked (a forced door);
``TamperingDetected`` during a tamper lock-down (re-armed manually: an administrator lifts it
over REST). Unlocking and locking have no standard Redfish action, so the rack chassis carries
OEM actions ``#SmartPdu.UnlockLever`` (``LeverId``, optional ``DurationSeconds``) and
``#SmartPdu.LockLever`` (``LeverId``); they go through the same port, rules and audit as REST
(actor ``user/<name>``, method ``redfish``).
"""

from __future__ import annotations

from typing import Any, Final

from starlette.responses import Response

from smartpdu.access import Permission
from smartpdu.hardware import LeverAction
from smartpdu.model.access import AccessMethod
from smartpdu.model.states import LeverState
from smartpdu.redfish.context import ROOT, Ctx, read_json_body
from smartpdu.redfish.errors import RedfishError
from smartpdu.redfish.responses import action_result
from smartpdu.redfish.router import Endpoint
from smartpdu.redfish.sensors import RACK_CHASSIS
from smartpdu.runtime.port import AccessUnavailableError, LeverRequest

__all__ = ["lever_actions", "lever_endpoints", "physical_security"]

RACK_URI: Final = f"{ROOT}/Chassis/{RACK_CHASSIS}"
UNLOCK: Final = "SmartPdu.UnlockLever"
LOCK: Final = "SmartPdu.LockLever"


def physical_security(ctx: Ctx) -> dict[str, Any]:
    try:
        lockdown = ctx.port.lockdown
    except AccessUnavailableError:
        lockdown = False
    forced = any(lv.state is LeverState.FORCED for lv in ctx.snapshot.levers.values())
    sensor = "TamperingDetected" if lockdown else "HardwareIntrusion" if forced else "Normal"
    return {"IntrusionSensor": sensor, "IntrusionSensorReArm": "Manual"}


def lever_actions() -> dict[str, Any]:
    return {
        "Oem": {
            f"#{UNLOCK}": {"target": f"{RACK_URI}/Actions/Oem/{UNLOCK}"},
            f"#{LOCK}": {"target": f"{RACK_URI}/Actions/Oem/{LOCK}"},
        }
    }


def _body(ctx: Ctx, raw: bytes, action: str, allowed: set[str]) -> tuple[str, float | None]:
    body = read_json_body(raw)
    for key in body:
        if key not in allowed and not key.startswith("@"):
            raise RedfishError(400, "ActionParameterUnknown", action, key, related=(f"#/{key}",))
    lever = body.get("LeverId")
    if lever is None:
        raise RedfishError(400, "ActionParameterMissing", action, "LeverId",
                           related=("#/LeverId",))  # fmt: skip
    if not isinstance(lever, str):
        raise RedfishError(400, "ActionParameterValueTypeError", lever, "LeverId", action,
                           related=("#/LeverId",))  # fmt: skip
    if lever not in ctx.snapshot.levers:
        raise RedfishError(400, "ActionParameterValueNotInList", lever, "LeverId", action,
                           related=("#/LeverId",))  # fmt: skip
    seconds = body.get("DurationSeconds")
    if seconds is not None and (
        isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds <= 3600
    ):
        raise RedfishError(400, "ActionParameterValueError", "DurationSeconds", action,
                           related=("#/DurationSeconds",))  # fmt: skip
    return lever, None if seconds is None else float(seconds)


def _handler(action: LeverAction, name: str, allowed: set[str]) -> Any:
    async def handle(ctx: Ctx, p: dict[str, str], raw: bytes, h: dict[str, str]) -> Response:
        if p["chassis"] != RACK_CHASSIS:
            raise RedfishError(404, "ResourceNotFound", "Chassis", p["chassis"])
        principal = ctx.require(Permission.UNLOCK)
        lever, seconds = _body(ctx, raw, name, allowed)
        out = await ctx.port.lever_command(
            LeverRequest(lever, action, principal, AccessMethod.REDFISH, seconds)
        )
        ctx.changed()
        if out.status == "denied":
            raise RedfishError(403, "InsufficientPrivilege")
        return action_result(202 if out.status == "pending" else 200, "Success")

    return handle


def lever_endpoints() -> list[Endpoint]:
    base = f"{ROOT}/Chassis/{{chassis}}/Actions/Oem"
    return [
        Endpoint(f"{base}/{UNLOCK}",
                 post=_handler(LeverAction.UNLOCK, UNLOCK, {"LeverId", "DurationSeconds"})),
        Endpoint(f"{base}/{LOCK}", post=_handler(LeverAction.LOCK, LOCK, {"LeverId"})),
    ]  # fmt: skip
