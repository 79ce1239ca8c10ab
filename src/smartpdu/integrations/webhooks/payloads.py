"""Webhook bodies: the Standard Webhooks envelope, chat text (Slack/Teams/Mattermost), tickets.

Pure: an event in, the JSON body out. The envelope follows the Standard Webhooks payload
recommendation (``type``, ``timestamp``, ``data``); ``data`` is the full event with its
``sequence_id``, ``timestamp_utc`` and chain ``hash``, so a receiver can verify it against the
audit log. Chat templates carry a one-line text (incoming-webhook format of each tool), ticket
bodies the fields an incident system maps to title, priority and a deduplication key.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final

from smartpdu.events.model import Event

__all__ = ["Template", "body_of", "event_type", "summary_line"]


class Template(StrEnum):
    STANDARD = "standard"
    SLACK = "slack"
    TEAMS = "teams"
    MATTERMOST = "mattermost"
    TICKET = "ticket"


_ICON: Final = {"info": "ℹ️", "warning": "⚠️", "critical": "🚨"}
_PRIORITY: Final = {"info": "low", "warning": "high", "critical": "urgent"}


def event_type(event: Event) -> str:
    """Standard Webhooks ``type``: ``event.<EVENT_CODE>`` (receivers route on it)."""
    return f"event.{event.event_code}"


def summary_line(event: Event) -> str:
    """One human line: severity, PDU/source, code, message, sequence id."""
    sev = str(event.severity)
    actor = f" by {event.actor}" if event.actor else ""
    return (
        f"{_ICON.get(sev, '')} [{sev.upper()}] {event.pdu_id} {event.source}: "
        f"{event.event_code} — {event.message}{actor} (#{event.sequence_id}, "
        f"{event.timestamp_utc})"
    ).strip()


def body_of(event: Event, template: Template) -> dict[str, Any]:
    """The JSON body of one delivery of ``event`` in ``template``."""
    if template is Template.STANDARD:
        return {
            "type": event_type(event),
            "timestamp": event.timestamp_utc,
            "data": event.to_dict(),
        }
    if template in (Template.SLACK, Template.MATTERMOST, Template.TEAMS):
        return {"text": summary_line(event)}
    sev = str(event.severity)
    return {
        "title": f"{event.event_code} on {event.pdu_id} {event.source}",
        "description": summary_line(event),
        "severity": sev,
        "priority": _PRIORITY.get(sev, "low"),
        "dedupe_key": f"{event.pdu_id}/{event.sequence_id}",
        "source": event.source,
        "pdu_id": event.pdu_id,
        "event_code": event.event_code,
        "sequence_id": event.sequence_id,
        "timestamp_utc": event.timestamp_utc,
        "event": event.to_dict(),
    }
