"""Pure decisions of the outbox: retry schedule, event filters, batch plans, delivery ids.

No I/O, no clock, no randomness of their own: the worker passes the time and a uniform draw in,
so every decision here is tested with plain values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from smartpdu.events.codes import Severity
from smartpdu.events.model import Event

__all__ = [
    "ALL_EVENTS",
    "DEST_ID_RE",
    "BatchPlan",
    "EventFilter",
    "RetryPolicy",
    "backoff_delay",
    "batch_delivery_id",
    "check_destination_id",
    "event_delivery_id",
    "plan_batch",
]

DEST_ID_RE: Final = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
"""Destination ids are key material in the store: no ``/``, bounded length."""

_RANK: Final = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
_MAX_EXPONENT: Final = 62


def check_destination_id(dest_id: str) -> str:
    """Return ``dest_id`` or raise ``ValueError`` naming the allowed form."""
    if not DEST_ID_RE.fullmatch(dest_id):
        raise ValueError(
            f"destination id {dest_id!r} must be 1-64 characters of A-Z a-z 0-9 _ . : -"
        )
    return dest_id


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff ``base_s · 2^(failures-1)`` capped at ``max_s``, minus up to ``jitter``.

    Jitter spreads the retries of many destinations that failed together (a network outage)
    so they do not all hit the network again in the same instant: the delay is drawn from
    ``[d·(1-jitter), d]``, never above the cap.
    """

    base_s: float = 1.0
    max_s: float = 60.0
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if not 0 < self.base_s <= self.max_s:
            raise ValueError(
                f"need 0 < base_s <= max_s, got base_s={self.base_s}, max_s={self.max_s}"
            )
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError(f"jitter must be within [0, 1], got {self.jitter}")


def backoff_delay(
    failures: int, policy: RetryPolicy, u: float, retry_after_s: float | None = None
) -> float:
    """Seconds to wait after the ``failures``-th consecutive failure (``u`` uniform in [0, 1)).

    A receiver's ``retry_after_s`` (HTTP ``Retry-After``) lengthens the wait, up to ``max_s``.
    """
    if failures < 1:
        raise ValueError(f"failures must be >= 1, got {failures}")
    if not 0.0 <= u <= 1.0:
        raise ValueError(f"u must be within [0, 1], got {u}")
    d = min(policy.max_s, policy.base_s * 2.0 ** min(failures - 1, _MAX_EXPONENT))
    d *= 1.0 - policy.jitter * u
    if retry_after_s is not None and retry_after_s > d:
        d = min(policy.max_s, retry_after_s)
    return d


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events a destination wants; empty sets mean "all"."""

    pdu_ids: frozenset[str] = frozenset()
    event_codes: frozenset[str] = frozenset()
    min_severity: Severity = Severity.INFO
    sources: frozenset[str] = frozenset()
    """Exact sources (``outlet/7``) or prefixes ending in ``*`` (``outlet/*``, ``user/*``)."""

    def wants_pdu(self, pdu_id: str) -> bool:
        return not self.pdu_ids or pdu_id in self.pdu_ids

    def wants_source(self, source: str) -> bool:
        if not self.sources:
            return True
        return any(
            source.startswith(s[:-1]) if s.endswith("*") else source == s for s in self.sources
        )

    def matches(self, event: Event) -> bool:
        return (
            self.wants_pdu(event.pdu_id)
            and (not self.event_codes or event.event_code in self.event_codes)
            and _RANK[Severity(event.severity)] >= _RANK[self.min_severity]
            and self.wants_source(event.source)
        )


ALL_EVENTS: Final = EventFilter()


@dataclass(frozen=True, slots=True)
class BatchPlan:
    """What to do with events fetched after a cursor.

    ``send`` are the events to deliver (possibly none when the filter dropped them all);
    ``first_seq``..``last_seq`` is the contiguous range the plan covers: after success (or
    right away when ``send`` is empty) the cursor moves to ``last_seq``.
    """

    pdu_id: str
    first_seq: int
    last_seq: int
    send: tuple[Event, ...]


def plan_batch(
    pdu_id: str,
    after: int,
    fetched: Sequence[Event],
    accept: EventFilter,
    *,
    limit: int,
    pinned_last: int | None = None,
) -> BatchPlan | None:
    """Plan the next batch of ``pdu_id`` after sequence ``after``; None when nothing is new.

    ``pinned_last`` replays exactly the range of a batch that was already attempted, so a retry
    carries the same events under the same delivery id even when newer events arrived.
    """
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    events = [e for e in fetched if e.sequence_id > after]
    if pinned_last is not None:
        events = [e for e in events if e.sequence_id <= pinned_last]
    events = events[:limit]
    if not events:
        return None
    last = pinned_last if pinned_last is not None else events[-1].sequence_id
    send = tuple(e for e in events if accept.matches(e))
    return BatchPlan(pdu_id, after + 1, last, send)


def batch_delivery_id(dest_id: str, plan: BatchPlan) -> str:
    """Stable id of one batch for one destination: the same on every retry and after restarts."""
    return f"{dest_id}.{plan.pdu_id}.{plan.first_seq}-{plan.last_seq}"


def event_delivery_id(dest_id: str, event: Event) -> str:
    """Stable id of one event for one destination (per-record dedupe by receivers)."""
    return f"{dest_id}.{event.pdu_id}.{event.sequence_id}"
