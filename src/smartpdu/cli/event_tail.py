"""Gapless event tailing for ``smartpdu events --follow``: the latest N, then everything new.

Pure paging logic over a ``fetch(pdu_id, since_seq) -> events`` callable (one page of the
native API's ``GET /events``, oldest first), so it is tested without HTTP. Sequence ids are per
PDU, so each PDU has its own cursor; a poll asks every PDU for what follows its cursor and pages
until a short page, so nothing between the backlog and the live events is skipped, and a
restarted client resumes from any ``sequence_id``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["PAGE", "Fetch", "latest_events", "poll_new"]

PAGE = 1000
"""Events per request (the API's maximum ``limit``)."""

Fetch = Callable[[str, int], list[dict[str, Any]]]


def _order(e: dict[str, Any]) -> tuple[str, str, int]:
    return (str(e["timestamp_utc"]), str(e["pdu_id"]), int(e["sequence_id"]))


def _drain(fetch: Fetch, pdu_id: str, since_seq: int) -> Iterable[dict[str, Any]]:
    """Every event of ``pdu_id`` after ``since_seq``, page by page."""
    while True:
        page = fetch(pdu_id, since_seq)
        yield from page
        if len(page) < PAGE:
            return
        since_seq = max(int(e["sequence_id"]) for e in page)


def latest_events(
    fetch: Fetch, pdu_ids: Iterable[str], n: int
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The latest ``n`` events over ``pdu_ids`` (oldest first) and each PDU's cursor."""
    cursors: dict[str, int] = {}
    tail: list[dict[str, Any]] = []
    for pid in pdu_ids:
        last: deque[dict[str, Any]] = deque(maxlen=n)
        cursor = 0
        for e in _drain(fetch, pid, 0):
            last.append(e)
            cursor = max(cursor, int(e["sequence_id"]))
        cursors[pid] = cursor
        tail.extend(last)
    tail.sort(key=_order)
    return tail[-n:] if n else [], cursors


def poll_new(fetch: Fetch, cursors: dict[str, int]) -> list[dict[str, Any]]:
    """Everything after each PDU's cursor (oldest first); advances the cursors."""
    new: list[dict[str, Any]] = []
    for pid, since in cursors.items():
        for e in _drain(fetch, pid, since):
            new.append(e)
            cursors[pid] = max(cursors[pid], int(e["sequence_id"]))
    new.sort(key=_order)
    return new
