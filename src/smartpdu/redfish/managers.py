"""Managers/{id} with LogServices/EventLog whose entries are our hash-chained event log."""

from __future__ import annotations

from typing import Any, Final

from smartpdu.events.model import Event
from smartpdu.redfish.context import ROOT, Ctx, collection, link, links
from smartpdu.redfish.errors import RedfishError
from smartpdu.redfish.power import MANAGER_ID, firmware_version
from smartpdu.redfish.router import Endpoint
from smartpdu.redfish.sensors import RACK_CHASSIS

__all__ = ["LOG_WINDOW", "log_entry", "manager_endpoints", "severity_of"]

MGR: Final = f"{ROOT}/Managers"
LOG: Final = f"{MGR}/{MANAGER_ID}/LogServices/EventLog"
LOG_WINDOW: Final = 200
"""Entries listed per PDU chain (newest); older entries stay addressable by Id."""
_SEVERITY: Final = {"info": "OK", "warning": "Warning", "critical": "Critical"}


def severity_of(event: Event) -> str:
    return _SEVERITY.get(str(event.severity), "OK")


def entry_id(event: Event) -> str:
    return f"{event.pdu_id}.{event.sequence_id}"


def _now(ctx: Ctx) -> str:
    return ctx.port.now_utc().strftime("%Y-%m-%dT%H:%M:%S+00:00")


def managers(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    return collection("ManagerCollection", MGR, "Managers", [f"{MGR}/{MANAGER_ID}"])


def manager(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    if p["manager"] != MANAGER_ID:
        raise RedfishError(404, "ResourceNotFound", "Manager", p["manager"])
    return {
        "@odata.type": "#Manager.v1_24_0.Manager",
        "@odata.id": f"{MGR}/{MANAGER_ID}",
        "Id": MANAGER_ID,
        "Name": "smartpdu controller",
        "ManagerType": "RackManager",
        "Manufacturer": "smartpdu",
        "FirmwareVersion": firmware_version(),
        "Status": {"State": "Enabled", "Health": "OK"},
        "DateTime": _now(ctx),
        "DateTimeLocalOffset": "+00:00",
        "LogServices": link(f"{MGR}/{MANAGER_ID}/LogServices"),
        "Links": {
            "ManagerForChassis": links(
                [f"{ROOT}/Chassis/{c}" for c in (RACK_CHASSIS, *ctx.snapshot.pdus)]
            )
        },
    }


def log_services(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    manager(ctx, p)
    uri = f"{MGR}/{MANAGER_ID}/LogServices"
    return collection("LogServiceCollection", uri, "Log services", [LOG])


def log_service(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    manager(ctx, p)
    if p["log"] != "EventLog":
        raise RedfishError(404, "ResourceNotFound", "LogService", p["log"])
    return {
        "@odata.type": "#LogService.v1_9_0.LogService",
        "@odata.id": LOG,
        "Id": "EventLog",
        "Name": "smartpdu event log (hash-chained audit log)",
        "ServiceEnabled": True,
        "OverWritePolicy": "NeverOverWrites",
        "LogEntryType": "Multiple",
        "DateTime": _now(ctx),
        "DateTimeLocalOffset": "+00:00",
        "Status": {"State": "Enabled", "Health": "OK"},
        "Entries": link(f"{LOG}/Entries"),
    }


def log_entry(event: Event) -> dict[str, Any]:
    """Map one sealed event onto a Redfish LogEntry."""
    eid = entry_id(event)
    actor = f" (actor {event.actor})" if event.actor else ""
    return {
        "@odata.type": "#LogEntry.v1_21_0.LogEntry",
        "@odata.id": f"{LOG}/Entries/{eid}",
        "Id": eid,
        "Name": f"{event.event_code} {event.source}",
        "EntryType": "Oem",
        "OemRecordFormat": "smartpdu",
        "Severity": severity_of(event),
        "Created": event.timestamp_utc,
        "EventId": str(event.sequence_id),
        "Message": f"{event.event_code}: {event.message}{actor}",
    }


async def log_entries(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    log_service(ctx, {**p, "log": "EventLog"})
    events = await ctx.port.last_events(LOG_WINDOW)
    body = collection("LogEntryCollection", f"{LOG}/Entries", "Event log entries", [])
    # LogEntryCollection members are auto-expanded (CSDL AutoExpand): embed full entries.
    body["Members"] = [log_entry(e) for e in events]
    body["Members@odata.count"] = len(events)
    return body


async def log_entry_get(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    log_service(ctx, {**p, "log": "EventLog"})
    pdu_id, _, seq = p["entry"].rpartition(".")
    if not pdu_id or not seq.isdigit():
        raise RedfishError(404, "ResourceNotFound", "LogEntry", p["entry"])
    found = await ctx.port.event(pdu_id, int(seq))
    if found is None:
        raise RedfishError(404, "ResourceNotFound", "LogEntry", p["entry"])
    return log_entry(found)


def manager_endpoints() -> list[Endpoint]:
    m = f"{MGR}/{{manager}}"
    return [
        Endpoint(MGR, managers),
        Endpoint(m, manager, live=False),
        Endpoint(f"{m}/LogServices", log_services),
        Endpoint(f"{m}/LogServices/{{log}}", log_service, live=False),
        Endpoint(f"{m}/LogServices/EventLog/Entries", log_entries, live=False),
        Endpoint(f"{m}/LogServices/EventLog/Entries/{{entry}}", log_entry_get, live=False),
    ]
