"""Device power commands: every PSU of a device switched in order across its PDUs, as one
audited command, after a headroom check (``analytics/devices.py``).

off: the PSUs' outlets off, PDU by PDU; on: on, PDU by PDU (the control plane staggers the
outlets of one PDU by its inrush guard); cycle: all off, then all on. ``on`` and ``cycle`` are
refused — audited ``OUTLET_COMMAND_DENIED`` with the evidence, nothing switched — when the
branch or phase headroom is missing.
"""

from __future__ import annotations

from typing import Protocol

from smartpdu.analytics import Headroom, headroom
from smartpdu.config import RackConfig
from smartpdu.events.model import Action, Event, NewEvent
from smartpdu.model.commands import CommandResult, OutletAction, OutletCommand
from smartpdu.model.snapshot import RackSnapshot

__all__ = ["DeviceCommandPort", "run_device_command"]


class DeviceCommandPort(Protocol):
    """What a device command needs of :class:`~smartpdu.runtime.port.RackPort` (which calls it):
    declared here so that the port imports this module and not the other way round."""

    @property
    def config(self) -> RackConfig: ...

    @property
    def snapshot(self) -> RackSnapshot: ...

    async def audit(self, draft: NewEvent) -> Event: ...

    async def outlet_command(self, command: OutletCommand) -> CommandResult: ...


async def run_device_command(
    port: DeviceCommandPort, name: str, action: OutletAction, actor: str, command_id: str
) -> tuple[Headroom | None, list[CommandResult]]:
    """The headroom checked (None for ``off``) and the outlet commands' results, in order."""
    device = next((d for d in port.config.devices if d.name == name), None)
    if device is None:
        raise KeyError(f"no device {name!r} in the rack")
    by_pdu: dict[str, list[str]] = {}
    for p in device.psus:
        by_pdu.setdefault(p.pdu, []).append(p.outlet)
    outlets = ",".join(f"{pdu}/{o}" for pdu, os_ in by_pdu.items() for o in os_)
    first = device.psus[0].pdu
    room = None
    if action is not OutletAction.OFF:
        room = headroom(port.config, port.snapshot, device)
        if not room.ok:
            await port.audit(NewEvent(
                pdu_id=first, source=f"device/{name}", event_code="OUTLET_COMMAND_DENIED",
                message=f"device {name} {action.value} refused: " + "; ".join(room.problems),
                action_taken=Action.DENY, reason_code="NO_HEADROOM",
                evidence={**room.evidence, "outlets": outlets}, actor=actor,
                command_id=command_id,
            ))  # fmt: skip
            return room, []
    code = {OutletAction.ON: "OUTLET_ON", OutletAction.OFF: "OUTLET_OFF"}.get(
        action, "OUTLET_CYCLE"
    )
    await port.audit(NewEvent(
        pdu_id=first, source=f"device/{name}", event_code=code,
        message=f"device {name} {action.value}: outlets {outlets} in order",
        action_taken=Action.SWITCH, reason_code="DEVICE_COMMAND",
        evidence={"device": name, "outlets": outlets, "action": action.value}, actor=actor,
        command_id=command_id,
    ))  # fmt: skip
    steps = {
        OutletAction.ON: [OutletAction.ON],
        OutletAction.OFF: [OutletAction.OFF],
    }.get(action, [OutletAction.OFF, OutletAction.ON])
    results: list[CommandResult] = []
    for step in steps:
        for pdu, os_ in by_pdu.items():
            cmd = OutletCommand(pdu, tuple(os_), step, actor,
                                f"{command_id}:{step.value}:{pdu}", interface="device")  # fmt: skip
            results.append(await port.outlet_command(cmd))
    return room, results
