"""Service root, ``$metadata`` (CSDL references to the packaged DMTF schemas) and OData document."""

from __future__ import annotations

import re
import uuid
from functools import cache
from importlib import resources
from typing import Any, Final

from smartpdu.redfish.context import ROOT, Ctx, link
from smartpdu.redfish.responses import SCHEMA_BASE

__all__ = ["SERVICE_ROOT_LINKS", "csdl_files", "metadata_xml", "odata_document", "service_root"]

SERVICE_ROOT_LINKS: Final = {
    "Chassis": f"{ROOT}/Chassis",
    "Managers": f"{ROOT}/Managers",
    "PowerEquipment": f"{ROOT}/PowerEquipment",
    "SessionService": f"{ROOT}/SessionService",
    "AccountService": f"{ROOT}/AccountService",
    "EventService": f"{ROOT}/EventService",
}


@cache
def csdl_files() -> dict[str, list[str]]:
    """Packaged CSDL file name → the namespaces it defines."""
    out: dict[str, list[str]] = {}
    folder = resources.files("smartpdu.redfish").joinpath("csdl")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".xml"):
            text = entry.read_text(encoding="utf-8")
            out[entry.name] = re.findall(r'<Schema [^>]*Namespace="([^"]+)"', text)
    return out


@cache
def metadata_xml() -> bytes:
    """The ``$metadata`` document: one reference per packaged CSDL file."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">',
    ]
    for name, namespaces in csdl_files().items():
        lines.append(f'  <edmx:Reference Uri="{SCHEMA_BASE}{name}">')
        lines += [f'    <edmx:Include Namespace="{ns}"/>' for ns in namespaces]
        lines.append("  </edmx:Reference>")
    lines += [
        "  <edmx:DataServices>",
        '    <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="Service">',
        '      <EntityContainer Name="Service" Extends="ServiceRoot.v1_20_0.ServiceContainer"/>',
        "    </Schema>",
        "  </edmx:DataServices>",
        "</edmx:Edmx>",
        "",
    ]
    return "\n".join(lines).encode("utf-8")


def service_root(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    name = ctx.services.config.rack.name
    return {
        "@odata.type": "#ServiceRoot.v1_20_0.ServiceRoot",
        "@odata.id": f"{ROOT}/",
        "Id": "RootService",
        "Name": f"smartpdu Redfish service ({name})",
        "RedfishVersion": "1.20.0",
        "UUID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"smartpdu:{name}")),
        "Vendor": "smartpdu",
        "ProtocolFeaturesSupported": {
            "ExpandQuery": {"ExpandAll": False, "Levels": False, "Links": False, "NoLinks": False},
            "SelectQuery": False,
            "FilterQuery": False,
            "OnlyMemberQuery": False,
            "ExcerptQuery": False,
        },
        **{k: link(v) for k, v in SERVICE_ROOT_LINKS.items()},
        "Links": {"Sessions": link(f"{ROOT}/SessionService/Sessions")},
    }


def odata_document(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    value = [{"name": "Service", "kind": "Singleton", "url": f"{ROOT}/"}]
    value += [{"name": k, "kind": "Singleton", "url": v} for k, v in SERVICE_ROOT_LINKS.items()]
    return {"@odata.context": f"{ROOT}/$metadata", "value": value}
