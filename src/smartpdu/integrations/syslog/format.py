"""Syslog lines of events: RFC 5424 with structured data, and ArcSight CEF for SIEMs (pure).

RFC 5424 line (one event)::

    <PRI>1 TIMESTAMP HOSTNAME smartpdu - EVENT_CODE [smartpdu@32473 seq="42" pdu="pdu-a"
        source="outlet/7" code="OUTLET_OVERLOAD" severity="critical" action="trip"
        hash="…" actor="…"] BOM message

``PRI = facility·8 + severity`` with info → 6 (informational), warning → 4, critical → 2.
32473 is the documentation enterprise number of RFC 5612 (replace with the vendor's PEN).
CEF (``format: cef``) puts ``CEF:0|SmartPDU|smartpdu|<version>|<code>|<message>|<0-10>|ext``
in the MSG part of the same RFC 5424 header, the framing SIEM collectors accept.
"""

from __future__ import annotations

import re
from typing import Final

from smartpdu import __version__
from smartpdu.events.model import Event

__all__ = ["SD_ID", "SYSLOG_SEVERITY", "cef_line", "frame_octet_counted", "pri", "rfc5424_line"]

SD_ID: Final = "smartpdu@32473"
SYSLOG_SEVERITY: Final = {"info": 6, "warning": 4, "critical": 2}
CEF_SEVERITY: Final = {"info": 3, "warning": 6, "critical": 9}
_BOM: Final = "\ufeff"
_PRINTUSASCII: Final = re.compile(r"[^\x21-\x7e]")


def pri(facility: int, severity: str) -> int:
    if not 0 <= facility <= 23:
        raise ValueError(f"facility must be within 0..23, got {facility}")
    return facility * 8 + SYSLOG_SEVERITY.get(severity, 6)


def _token(text: str, limit: int) -> str:
    """A header field: printable US-ASCII without spaces, at most ``limit``, ``-`` if empty."""
    return _PRINTUSASCII.sub("_", text)[:limit] or "-"


def _sd_value(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def _header(event: Event, facility: int, hostname: str, app: str) -> str:
    return (
        f"<{pri(facility, str(event.severity))}>1 {event.timestamp_utc} {_token(hostname, 255)} "
        f"{_token(app, 48)} - {_token(event.event_code, 32)}"
    )


def _structured(event: Event) -> str:
    params = {
        "seq": event.sequence_id,
        "pdu": event.pdu_id,
        "source": event.source,
        "code": event.event_code,
        "severity": str(event.severity),
        "action": str(event.action_taken),
        "hash": event.hash,
    }
    if event.actor:
        params["actor"] = event.actor
    if event.reason_code:
        params["reason"] = event.reason_code
    body = " ".join(f'{k}="{_sd_value(v)}"' for k, v in params.items())
    return f"[{SD_ID} {body}]"


def rfc5424_line(event: Event, *, facility: int = 16, hostname: str = "-",
                 app: str = "smartpdu") -> str:  # fmt: skip
    """One RFC 5424 message (no framing, no trailing newline)."""
    head = _header(event, facility, hostname, app)
    return f"{head} {_structured(event)} {_BOM}{event.message}"


def _cef_header(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _cef_ext(value: object) -> str:
    return (
        str(value).replace("\\", "\\\\").replace("=", "\\=").replace("\n", "\\n").replace("\r", "")
    )


def cef_line(event: Event, *, facility: int = 16, hostname: str = "-",
             app: str = "smartpdu") -> str:  # fmt: skip
    """RFC 5424 header (no structured data) carrying one CEF:0 record."""
    sev = str(event.severity)
    ext = {
        "rt": event.timestamp_utc,
        "dvchost": event.pdu_id,
        "cs1Label": "source",
        "cs1": event.source,
        "cs2Label": "hash",
        "cs2": event.hash,
        "cn1Label": "sequenceId",
        "cn1": event.sequence_id,
        "act": event.action_taken,
        "suser": event.actor or "",
        "msg": event.message,
    }
    extension = " ".join(f"{k}={_cef_ext(v)}" for k, v in ext.items())
    cef = (
        f"CEF:0|SmartPDU|smartpdu|{_cef_header(__version__)}|{_cef_header(event.event_code)}|"
        f"{_cef_header(event.message)}|{CEF_SEVERITY.get(sev, 3)}|{extension}"
    )
    return f"{_header(event, facility, hostname, app)} - {cef}"


def frame_octet_counted(line: str) -> bytes:
    """RFC 6587 / RFC 5425 framing for TCP and TLS: ``<length> SP <message>``."""
    data = line.encode("utf-8")
    return str(len(data)).encode("ascii") + b" " + data
