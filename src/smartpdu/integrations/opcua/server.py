# asyncua types NodeId/StatusCode arguments with its own aliases (ua.String, ua.Int16):
# mypy: disable-error-code="arg-type"
"""The ``opcua`` interface: an asyncua server publishing the model of :mod:`.model`.

Security: only Basic256Sha256 Sign&Encrypt endpoints, with a self-signed application
certificate generated once in ``cert_dir``; only username tokens (anonymous is off), checked
against the configured users whose passwords come from the environment. Variables are
refreshed from the latest snapshot every ``publish_interval_s`` (written straight into the
address space, no service round trip); controller events of warning/critical severity and alarm
transitions are OPC UA events (``SmartPduEventType``) emitted by the rack object. Outlet
``On``/``Off``/``Cycle`` methods exist only when enabled, for operators and admins, and run the
REST command through the port (audited as ``opcua/<user>``).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hmac
import logging
import math
import os
import socket
from pathlib import Path
from typing import Any, Final

from asyncua import Server, ua
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.crypto.permission_rules import USER_TYPES, PermissionRuleset, User, UserRole
from cryptography.x509.oid import ExtendedKeyUsageOID

from smartpdu.access import AuthService
from smartpdu.config.integrations import OpcUaConfig, OpcUaUserConfig
from smartpdu.integrations.opcua.model import UNECE, Entity, entities, unit_id, values
from smartpdu.model.commands import CommandStatus, OutletAction, OutletCommand
from smartpdu.runtime.port import RackPort

__all__ = ["APP_URI", "OpcUaInterface", "OpcUaKeyError"]

log = logging.getLogger(__name__)

APP_URI: Final = "urn:smartpdu:controller"
NAMESPACE: Final = "urn:smartpdu:rack"
_SEVERITY: Final = {"info": 100, "warning": 500, "critical": 900}
_ALARM_CODES: Final = frozenset({"ALARM_RAISED", "ALARM_ACKNOWLEDGED", "ALARM_CLEARED"})


_CALLER: contextvars.ContextVar[str | None] = contextvars.ContextVar("opcua_caller", default=None)
_CALL_REQUEST: Final = ua.ObjectIds.CallRequest_Encoding_DefaultBinary


class _Rules(PermissionRuleset):
    """Clients never change the address space; only operators and admins call methods (the
    caller is remembered for the method's audit actor: the call runs in the same task)."""

    def __init__(self, roles: dict[str, str]) -> None:
        self._roles = roles

    def check_validity(self, user: Any, action_type_id: Any, body: Any) -> bool:
        action_type = getattr(action_type_id, "Identifier", action_type_id)  # a NodeId
        name = getattr(user, "name", None)
        if name not in self._roles:
            return action_type in (
                ua.ObjectIds.CreateSessionRequest_Encoding_DefaultBinary,
                ua.ObjectIds.ActivateSessionRequest_Encoding_DefaultBinary,
                ua.ObjectIds.CloseSessionRequest_Encoding_DefaultBinary,
                ua.ObjectIds.GetEndpointsRequest_Encoding_DefaultBinary,
                ua.ObjectIds.FindServersRequest_Encoding_DefaultBinary,
                ua.ObjectIds.CloseSecureChannelRequest_Encoding_DefaultBinary,
            )
        if action_type == _CALL_REQUEST:
            allowed = self._roles[name] in ("operator", "admin")
            _CALLER.set(name if allowed else None)
            return allowed
        return action_type in USER_TYPES


class OpcUaKeyError(ValueError):
    """A configured OPC UA user has no (or too short a) password in the environment."""


class _Users:
    """asyncua's (synchronous) user manager over the configured users."""

    def __init__(self, users: dict[str, tuple[str, OpcUaUserConfig]]) -> None:
        self._users = users
        self.failures = 0

    def get_user(self, iserver: Any, username: str | None = None, password: str | None = None,
                 certificate: Any = None) -> User | None:  # fmt: skip
        found = self._users.get(username or "")
        given = (password or "").encode()
        if found is None or not hmac.compare_digest(found[0].encode(), given):
            self.failures += 1
            return None
        role = UserRole.Admin if found[1].role == "admin" else UserRole.User
        return User(role=role, name=username)


def _passwords(
    cfg: OpcUaConfig, env: dict[str, str] | None
) -> dict[str, tuple[str, OpcUaUserConfig]]:
    source = os.environ if env is None else env
    out = {}
    for u in cfg.users:
        pw = source.get(u.env_name(), "")
        if len(pw) < 12:
            raise OpcUaKeyError(
                f"OPC UA user {u.name!r}: set {u.env_name()} to a password of at least 12 characters"
            )
        out[u.name] = (pw, u)
    return out


class OpcUaInterface:
    """The ``opcua`` interface of the registry."""

    name = "opcua"

    def __init__(self, cfg: OpcUaConfig, cert_dir: Path, env: dict[str, str] | None = None) -> None:
        self._cfg = cfg
        self._cert_dir = cert_dir
        self._env = env
        self._server: Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopped = asyncio.Event()
        self._port: RackPort | None = None
        self._nodes: dict[str, ua.NodeId] = {}
        self.idx = 0
        self.url = ""
        self.published_tick = -1
        self.events_sent = 0
        self.users: _Users | None = None

    async def start(self, port: RackPort, auth: AuthService) -> None:
        cfg = self._cfg
        self._port = port
        self.users = _Users(_passwords(cfg, self._env))
        listen_port = cfg.port if cfg.port else _free_port(cfg.host)
        self.url = f"opc.tcp://{cfg.host}:{listen_port}/smartpdu"
        server = Server(user_manager=self.users)  # type: ignore[arg-type]
        await server.init()
        server.set_endpoint(self.url)
        server.set_server_name(f"smartpdu {port.config.rack.name}")
        await server.set_application_uri(APP_URI)
        server.set_security_policy(
            [ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt],
            _Rules({u.name: u.role for u in cfg.users}),  # type: ignore[arg-type]
        )
        server.set_identity_tokens([ua.UserNameIdentityToken])
        key, cert = await self._certificate(cfg.host)
        await server.load_certificate(str(cert))
        await server.load_private_key(str(key))
        self.idx = await server.register_namespace(NAMESPACE)
        self._server = server
        rack = await self._build_model(server, port)
        etype = await server.create_custom_event_type(
            self.idx, "SmartPduEventType", ua.ObjectIds.BaseEventType,
            [("EventCode", ua.VariantType.String), ("EventSource", ua.VariantType.String),
             ("PduId", ua.VariantType.String), ("SequenceId", ua.VariantType.UInt64)],
        )  # fmt: skip
        generator = await server.get_event_generator(etype, rack)
        await server.start()
        await self._publish(port.snapshot)
        ready = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self._refresh(port), name="smartpdu-opcua-refresh"),
            asyncio.create_task(self._events(port, generator, ready), name="smartpdu-opcua-events"),
        ]
        await ready.wait()
        log.info("OPC UA server listening on %s", self.url)

    async def _certificate(self, host: str) -> tuple[Path, Path]:
        self._cert_dir.mkdir(parents=True, exist_ok=True)
        key, cert = self._cert_dir / "opcua-key.pem", self._cert_dir / "opcua-cert.der"
        await setup_self_signed_certificate(
            key, cert, APP_URI, socket.gethostname() if host in ("0.0.0.0", "::") else host,
            [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
            {"countryName": "XX", "organizationName": "smartpdu", "commonName": "smartpdu"},
        )  # fmt: skip
        os.chmod(key, 0o600)
        return key, cert

    async def _build_model(self, server: Server, port: RackPort) -> Any:
        idx = self.idx
        objects = server.nodes.objects
        rack = await objects.add_object(ua.NodeId("rack", idx), ua.QualifiedName("Rack", idx))
        await rack.write_attribute(
            ua.AttributeIds.EventNotifier,
            ua.DataValue(ua.Variant(1, ua.VariantType.Byte)),  # SubscribeToEvents
        )
        parents: dict[str | None, Any] = {None: rack}
        for ent in entities(port.config, port.snapshot):
            obj = await parents[ent.parent].add_object(
                ua.NodeId(ent.node, idx), ua.QualifiedName(ent.name, idx)
            )
            parents[ent.node] = obj
            await self._add_variables(server, ent)
            if ent.kind == "outlet" and self._cfg.methods:
                await self._add_methods(obj, ent)
        return rack

    async def _add_variables(self, server: Server, ent: Entity) -> None:
        idx = self.idx
        items = []
        for var in ent.variables:
            attrs = ua.VariableAttributes()
            attrs.DisplayName = ua.LocalizedText(var.name)
            attrs.DataType = ua.NodeId(ua.ObjectIds.Double)
            attrs.ValueRank = -1
            attrs.Value = ua.Variant(0.0, ua.VariantType.Double)
            attrs.AccessLevel = attrs.UserAccessLevel = ua.AccessLevel.CurrentRead.mask
            item = ua.AddNodesItem()
            item.RequestedNewNodeId = ua.NodeId(var.node, idx)
            item.BrowseName = ua.QualifiedName(var.name, idx)
            item.NodeClass = ua.NodeClass.Variable
            item.ParentNodeId = ua.NodeId(ent.node, idx)
            item.ReferenceTypeId = ua.NodeId(ua.ObjectIds.HasComponent)
            item.TypeDefinition = ua.NodeId(ua.ObjectIds.AnalogItemType)
            item.NodeAttributes = attrs
            items.append(item)
        props = []
        for var in ent.variables:
            code, shown = UNECE.get(var.unit, ("", var.unit))
            eu = ua.EUInformation(
                NamespaceUri="http://www.opcfoundation.org/UA/units/un/cefact",
                UnitId=unit_id(code), DisplayName=ua.LocalizedText(shown),
                Description=ua.LocalizedText(var.metric.description if var.metric else ""),
            )  # fmt: skip
            for name, value, dtype in (
                ("EngineeringUnits", ua.Variant(eu), ua.ObjectIds.EUInformation),
                ("EURange", ua.Variant(ua.Range(var.low, var.high)), ua.ObjectIds.Range),
            ):
                attrs = ua.VariableAttributes()
                attrs.DisplayName = ua.LocalizedText(name)
                attrs.DataType = ua.NodeId(dtype)
                attrs.ValueRank = -1
                attrs.Value = value
                attrs.AccessLevel = attrs.UserAccessLevel = ua.AccessLevel.CurrentRead.mask
                item = ua.AddNodesItem()
                item.RequestedNewNodeId = ua.NodeId(f"{var.node}#{name}", self.idx)
                item.BrowseName = ua.QualifiedName(name, 0)
                item.NodeClass = ua.NodeClass.Variable
                item.ParentNodeId = ua.NodeId(var.node, self.idx)
                item.ReferenceTypeId = ua.NodeId(ua.ObjectIds.HasProperty)
                item.TypeDefinition = ua.NodeId(ua.ObjectIds.PropertyType)
                item.NodeAttributes = attrs
                props.append(item)
        for batch in (items, props):
            if batch:
                results = await server.iserver.isession.add_nodes(batch)
                bad = [r for r in results if not r.StatusCode.is_good()]
                if bad:
                    raise RuntimeError(f"OPC UA model of {ent.node}: {bad[0].StatusCode}")
        for var in ent.variables:
            self._nodes[var.node] = ua.NodeId(var.node, idx)

    async def _add_methods(self, obj: Any, ent: Entity) -> None:
        pdu_id, _, outlet_id = ent.node.split("/", 2)
        outlet_id = outlet_id.removeprefix("outlet/")
        for action in OutletAction:
            handler = self._method(pdu_id, outlet_id, action)
            await obj.add_method(
                ua.NodeId(f"{ent.node}/{action.value}", self.idx),
                ua.QualifiedName(action.value.title(), self.idx),
                handler,
                [],
                [ua.VariantType.String],
            )

    def _method(self, pdu_id: str, outlet_id: str, action: OutletAction) -> Any:
        async def call(parent: Any, *args: Any) -> list[ua.Variant]:
            user = _CALLER.get()  # set by _Rules for this CallRequest (operators/admins only)
            if user is None or self._port is None:
                raise ua.UaStatusCodeError(ua.StatusCodes.BadUserAccessDenied)
            result = await self._port.outlet_command(
                OutletCommand(
                    pdu_id=pdu_id,
                    outlet_ids=(outlet_id,),
                    action=action,
                    actor=f"opcua/{user}",
                    interface="opcua",
                )
            )
            status = CommandStatus(result.status)
            if status not in (CommandStatus.DONE, CommandStatus.ACCEPTED):
                raise ua.UaStatusCodeError(ua.StatusCodes.BadInvalidState)
            return [ua.Variant(status.value, ua.VariantType.String)]

        return call

    async def _publish(self, snap: Any) -> None:
        server = self._server
        assert server is not None
        aspace = server.iserver.aspace
        for node, value in values(snap):
            nodeid = self._nodes.get(node)
            if nodeid is None:
                continue  # an entity added after start appears at the next start
            if value is None:
                dv = ua.DataValue(ua.Variant(math.nan, ua.VariantType.Double),
                                  StatusCode=ua.StatusCode(ua.StatusCodes.BadNoData))  # fmt: skip
            else:
                dv = ua.DataValue(ua.Variant(value, ua.VariantType.Double))
            await aspace.write_attribute_value(nodeid, ua.AttributeIds.Value, dv)
        self.published_tick = snap.tick

    async def _refresh(self, port: RackPort) -> None:
        while True:
            await asyncio.sleep(self._cfg.publish_interval_s)
            try:
                snap = port.snapshot
                if snap.tick != self.published_tick:
                    await self._publish(snap)
            except Exception:  # one bad refresh must not stop publishing
                log.exception("OPC UA refresh failed")

    async def _events(self, port: RackPort, generator: Any, ready: asyncio.Event) -> None:
        async with port.subscribe("opcua-events") as sub:
            ready.set()
            async for event in sub:
                if str(event.severity) == "info" and event.event_code not in _ALARM_CODES:
                    continue
                ev = generator.event
                ev.Message = ua.LocalizedText(event.message[:500])
                ev.Severity = _SEVERITY.get(str(event.severity), 100)
                ev.EventCode = event.event_code
                ev.EventSource = event.source
                ev.PduId = event.pdu_id
                ev.SequenceId = event.sequence_id
                try:
                    await generator.trigger()
                    self.events_sent += 1
                except Exception:
                    log.exception("OPC UA event %s failed", event.event_code)

    async def wait(self) -> None:
        await self._stopped.wait()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._server is not None:
            await self._server.stop()
            self._server = None
        self._stopped.set()


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])
