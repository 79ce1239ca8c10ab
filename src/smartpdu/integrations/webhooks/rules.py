"""Validation of webhook settings (pure): what a user may ask for, and why not.

Every check raises :class:`WebhookError` (a ``ValueError``) whose message names the field and
the allowed form, so REST answers 422 and the CLI prints it as is.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import Final
from urllib.parse import urlsplit

from smartpdu.events.codes import EventCode, Severity
from smartpdu.events.outbox_plan import EventFilter
from smartpdu.events.webhook_store import WebhookRecord
from smartpdu.integrations.webhooks.payloads import Template

__all__ = [
    "WebhookError",
    "check_codes",
    "check_pdus",
    "check_severity",
    "check_sources",
    "check_template",
    "check_url",
    "event_filter",
    "redacted",
]

MAX_URL: Final = 2048
_SOURCE_RE: Final = re.compile(r"[a-z_]+(/[A-Za-z0-9_.:-]*)?\*?")
_MAX_LIST: Final = 64


class WebhookError(ValueError):
    """A webhook request that cannot be honoured; the message says what to change."""


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(f"url must be an absolute http(s) URL of at most {MAX_URL} characters")
    if parts.username or parts.password:
        raise WebhookError("url must not carry credentials: the signature authenticates us")
    return url


def _listed(name: str, values: Iterable[str]) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(values))
    if len(out) > _MAX_LIST:
        raise WebhookError(f"{name} takes at most {_MAX_LIST} entries")
    return out


def check_codes(codes: Iterable[str]) -> tuple[str, ...]:
    out = _listed("event_codes", codes)
    unknown = sorted(set(out) - {c.value for c in EventCode})
    if unknown:
        raise WebhookError(f"event_codes: unknown code(s) {', '.join(unknown)} (see docs/events)")
    return out


def check_severity(severity: str) -> str:
    try:
        return Severity(severity).value
    except ValueError:
        raise WebhookError("min_severity must be one of info, warning, critical") from None


def check_sources(sources: Iterable[str]) -> tuple[str, ...]:
    out = _listed("sources", sources)
    for s in out:
        if not _SOURCE_RE.fullmatch(s):
            raise WebhookError(
                f"sources: {s!r} is neither a source (outlet/7) nor a prefix ending in /* "
                "(outlet/*)"
            )
    return out


def check_pdus(pdu_ids: Iterable[str], known: Collection[str]) -> tuple[str, ...]:
    out = _listed("pdu_ids", pdu_ids)
    unknown = sorted(set(out) - set(known))
    if unknown:
        raise WebhookError(
            f"pdu_ids: unknown PDU(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    return out


def check_template(template: str) -> str:
    try:
        return Template(template).value
    except ValueError:
        allowed = ", ".join(t.value for t in Template)
        raise WebhookError(f"template must be one of {allowed}") from None


def event_filter(record: WebhookRecord) -> EventFilter:
    return EventFilter(
        pdu_ids=frozenset(record.pdu_ids),
        event_codes=frozenset(record.event_codes),
        min_severity=Severity(record.min_severity),
        sources=frozenset(record.sources),
    )


def redacted(url: str) -> str:
    """Scheme and host of ``url`` (what an audit event may record: chat webhooks carry their
    token in the path, others in the query)."""
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}"
