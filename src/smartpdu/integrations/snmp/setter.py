"""SNMP SET: outlet switching (``outletControl``) and renaming (``outletName``) through the port.

A SET is the same command as REST: ``RackPort.outlet_command`` (audited, idempotent by
``command_id``) or an audited configuration change for a name. The role of the SNMP user
decides (operator: switch; admin: also rename); a refused SET is audited as ``ACCESS_DENIED``
and answered ``noAccess``. pysnmp's responders are synchronous, so :class:`SetResponder` keeps
the request's state, runs the commands as a task and answers when they are done.

Varbinds of one SET are checked first (all or nothing for *validation*), then executed in
order; a command failing half-way answers the error at its index (earlier ones stay done, as
with REST requests sent one after the other).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from pysnmp.entity.rfc3413 import cmdrsp
from pysnmp.proto.api import v2c

from smartpdu.access import AuthService, Permission, Principal, Role
from smartpdu.config import RackConfig, dump_config
from smartpdu.integrations.snmp.index import MibIndex
from smartpdu.model.commands import CommandStatus, OutletAction, OutletCommand
from smartpdu.runtime.port import RackPort

__all__ = ["SetPlan", "SetResponder", "plan_set", "renamed_config"]

log = logging.getLogger(__name__)

_ACTIONS = {1: OutletAction.ON, 2: OutletAction.OFF, 3: OutletAction.CYCLE}
_STATUS_ERROR = {
    CommandStatus.DENIED: "noAccess",
    CommandStatus.LOCKED_OUT: "inconsistentValue",
    CommandStatus.REJECTED: "wrongValue",
    CommandStatus.FAILED: "commitFailed",
    CommandStatus.INTERRUPTED: "commitFailed",
}


@dataclass(frozen=True, slots=True)
class SetPlan:
    """One validated varbind: what to do, or the SNMP error to answer."""

    column: str
    pdu_id: str
    outlet_id: str
    action: OutletAction | None = None
    name: str | None = None
    error: str | None = None
    permission: Permission = Permission.CONTROL


def plan_set(index: MibIndex, oid: tuple[int, ...], value: Any) -> SetPlan:
    """Validate one SET varbind against the index (pure)."""
    target = index.writable.get(oid)
    if target is None:
        return SetPlan("", "", "", error="notWritable")
    column, pdu_id, outlet_id = target
    if column == "outletControl":
        try:
            number = int(value)
        except (TypeError, ValueError):
            return SetPlan(column, pdu_id, outlet_id, error="wrongType")
        if value.tagSet != v2c.Integer().tagSet:
            return SetPlan(column, pdu_id, outlet_id, error="wrongType")
        action = _ACTIONS.get(number)
        if action is None:
            return SetPlan(column, pdu_id, outlet_id, error="wrongValue")
        return SetPlan(column, pdu_id, outlet_id, action=action)
    if value.tagSet != v2c.OctetString().tagSet:
        return SetPlan(column, pdu_id, outlet_id, error="wrongType")
    try:
        name = bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        return SetPlan(column, pdu_id, outlet_id, error="wrongValue")
    if len(name) > 64 or any(ord(c) < 32 for c in name):
        return SetPlan(
            column, pdu_id, outlet_id, error="wrongLength" if len(name) > 64 else "wrongValue"
        )
    return SetPlan(column, pdu_id, outlet_id, name=name, permission=Permission.CONFIGURE)


def renamed_config(cfg: RackConfig, pdu_id: str, outlet_id: str, name: str) -> RackConfig | None:
    """``cfg`` with one outlet renamed, or None when it already has that name (idempotent)."""
    data = cfg.model_dump(mode="json")
    for pdu in data["pdus"]:
        if pdu["id"] != pdu_id:
            continue
        for outlet in pdu["outlets"]:
            if outlet["id"] == outlet_id:
                if outlet["name"] == name:
                    return None
                outlet["name"] = name
                return RackConfig.model_validate(data)
    raise KeyError(f"no outlet {pdu_id}/{outlet_id}")


class SetResponder(cmdrsp.SetCommandResponder):
    """Answers a SET once its commands ran (pysnmp's own responder answers synchronously)."""

    port: RackPort
    auth: AuthService
    roles: dict[str, Role]
    latest: Any
    tasks: set[asyncio.Task[None]]

    def handle_management_operation(
        self, engine: Any, state_ref: Any, context_name: Any, pdu: Any
    ) -> None:
        binds = v2c.apiPDU.get_varbinds(pdu)
        ctx = engine.observer.get_execution_context("rfc3412.receiveMessage:request")
        user = str(ctx["securityName"])
        remote = str(ctx["transportAddress"][0]) if ctx["transportAddress"] else None
        context = {"snmpEngine": engine, "acFun": self.verify_access, "cbCtx": self.cbCtx}
        for i, (name, value) in enumerate(binds):
            if self.verify_access("write", (name, value), idx=i, **context):
                self._answer(engine, state_ref, "notWritable", i + 1, binds)
                return
        index: MibIndex = self.latest()
        plans = [plan_set(index, tuple(name), value) for name, value in binds]
        for i, plan in enumerate(plans):
            if plan.error:
                self._answer(engine, state_ref, plan.error, i + 1, binds)
                return
        pending = self._CommandResponderBase__pendingReqs[state_ref]  # type: ignore[attr-defined]
        request_id = int(v2c.apiPDU.get_request_id(pdu))
        task = asyncio.get_running_loop().create_task(
            self._execute(engine, state_ref, pending, plans, binds, user, remote, request_id)
        )
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def release_state_information(self, state_ref: Any) -> None:
        # kept until the task answers; _execute re-inserts and releases it
        super().release_state_information(state_ref)

    def _answer(self, engine: Any, state_ref: Any, status: str, index: int, binds: Any) -> None:
        self.send_varbinds(engine, state_ref, status, index, binds)

    async def _execute(
        self, engine: Any, state_ref: Any, pending: Any, plans: list[SetPlan], binds: Any,
        user: str, remote: str | None, request_id: int,
    ) -> None:  # fmt: skip
        status, where = "noError", 0
        try:
            principal = Principal(user, self.roles.get(user, Role.VIEWER))
            for i, plan in enumerate(plans):
                error = await self._run(principal, plan, remote, request_id)
                if error is not None:
                    status, where = error, i + 1
                    break
        except Exception:  # answered as genErr; the agent keeps serving
            log.exception("SNMP SET failed")
            status, where = "genErr", 1
        self._CommandResponderBase__pendingReqs[state_ref] = pending  # type: ignore[attr-defined]
        try:
            self.send_varbinds(engine, state_ref, status, where, binds)
        finally:
            super().release_state_information(state_ref)

    async def _run(
        self, principal: Principal, plan: SetPlan, remote: str | None, request_id: int
    ) -> str | None:
        actor = f"snmp/{principal.username}"
        if not principal.can(plan.permission):
            await self.auth.audit_denied(
                Principal(principal.username, principal.role), interface="snmp",
                operation=f"SET {plan.column} {plan.pdu_id}/{plan.outlet_id}",
                permission=str(plan.permission), remote=remote,
            )  # fmt: skip
            return "noAccess"
        if plan.action is not None:
            command = OutletCommand(
                pdu_id=plan.pdu_id, outlet_ids=(plan.outlet_id,), action=plan.action,
                actor=actor, interface="snmp",
                command_id=f"snmp:{principal.username}:{request_id}:{plan.pdu_id}/"
                f"{plan.outlet_id}:{plan.action.value}",
            )  # fmt: skip
            result = await self.port.outlet_command(command)
            return _STATUS_ERROR.get(CommandStatus(result.status))
        assert plan.name is not None
        new = renamed_config(self.port.config, plan.pdu_id, plan.outlet_id, plan.name)
        if new is not None:
            await self.port.apply_config(
                dump_config(new), actor, f"outlet {plan.pdu_id}/{plan.outlet_id} renamed via SNMP"
            )
        return None
