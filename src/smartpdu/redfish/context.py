"""Per-request context handed to resource builders and action handlers, plus URI helpers."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from smartpdu.access import Permission, Principal
from smartpdu.model.snapshot import PduSnapshot, RackSnapshot
from smartpdu.redfish.errors import RedfishError
from smartpdu.runtime.port import RackPort

if TYPE_CHECKING:
    from smartpdu.access import AuthService

__all__ = ["ROOT", "Ctx", "check_props", "collection", "link", "links", "read_json_body"]

ROOT: Final = "/redfish/v1"


def link(uri: str) -> dict[str, str]:
    return {"@odata.id": uri}


def links(uris: list[str]) -> list[dict[str, str]]:
    return [{"@odata.id": u} for u in uris]


def collection(odata_type: str, uri: str, name: str, members: list[str]) -> dict[str, Any]:
    """Return a Redfish resource collection payload."""
    return {
        "@odata.type": f"#{odata_type}.{odata_type}",
        "@odata.id": uri,
        "Name": name,
        "Members@odata.count": len(members),
        "Members": links(members),
    }


@dataclass(slots=True)
class Ctx:
    """What one request may use: the port, auth, the caller and the snapshot it reads."""

    port: RackPort
    auth: AuthService
    principal: Principal | None
    snapshot: RackSnapshot
    token: str | None = None
    remote: str | None = None
    on_change: Callable[[bool], None] | None = None

    @property
    def services(self) -> RackPort:
        """Old name of :attr:`port` (kept while resource modules migrate)."""
        return self.port

    @property
    def actor(self) -> str:
        """Actor recorded in events for writes made through Redfish."""
        return f"redfish/{self.principal.username}" if self.principal else "redfish/anonymous"

    def require(self, permission: Permission) -> Principal:
        if self.principal is None:
            raise RedfishError(401, "NoValidSession")
        if not self.principal.can(permission):
            raise RedfishError(403, "InsufficientPrivilege")
        return self.principal

    def pdu(self, pdu_id: str) -> PduSnapshot:
        pdu = self.snapshot.pdus.get(pdu_id)
        if pdu is None:
            raise RedfishError(404, "ResourceNotFound", "PowerDistribution", pdu_id)
        return pdu

    def changed(self, credentials: bool = False) -> None:
        """Tell the app a write changed cached resources (and cached logins if ``credentials``)."""
        if self.on_change is not None:
            self.on_change(credentials)


def read_json_body(raw: bytes) -> dict[str, Any]:
    """Parse a request body as a JSON object or raise the Redfish MalformedJSON error."""
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise RedfishError(400, "MalformedJSON") from None
    if not isinstance(body, dict):
        raise RedfishError(400, "MalformedJSON")
    return body


def check_props(
    body: dict[str, Any], allowed: set[str], readonly: frozenset[str] | set[str] = frozenset()
) -> None:
    """Reject unknown (400 PropertyUnknown) and read-only (400 PropertyNotWritable) properties."""
    for key in body:
        if key.startswith("@"):
            continue
        if key in readonly:
            raise RedfishError(400, "PropertyNotWritable", key, related=(f"#/{key}",))
        if key not in allowed:
            raise RedfishError(400, "PropertyUnknown", key, related=(f"#/{key}",))
