"""Routes: events, reading and energy history, and the SSE live stream.

History reads the store (in a worker thread); the stream merges the runtime's snapshot iterator
(throttled to ``interval_s``) with an event-bus subscription, so a slow client only loses
samples, never delays the tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from smartpdu.access import Permission, Principal
from smartpdu.api.deps import get_port
from smartpdu.api.encoded import EncodedView, ViewCache
from smartpdu.api.problems import ApiProblem, FieldError, problem_responses
from smartpdu.api.schemas import (
    EnergyChannelOut,
    EnergyHistoryOut,
    EnergyPointOut,
    EventOut,
    EventPage,
    HistoryOut,
    HistoryPointOut,
)
from smartpdu.api.security import require
from smartpdu.api.views import compact_snapshot, num
from smartpdu.events.model import Event
from smartpdu.model.ids import canonical_channel, canonical_metric_key
from smartpdu.model.snapshot import RackSnapshot
from smartpdu.runtime.port import RackPort

__all__ = ["router"]

router = APIRouter(tags=["data"])
Reader = Annotated[Principal, Depends(require(Permission.READ))]
Services = Annotated[RackPort, Depends(get_port)]
_READ = problem_responses(401, 403, 404, 422)
MAX_BUCKETS = 20_000

FromQ = Annotated[datetime | None, Query(alias="from", description="RFC 3339; default to − 1 h")]
ToQ = Annotated[datetime | None, Query(alias="to", description="RFC 3339; default now")]
StepQ = Annotated[
    int,
    Query(
        ge=1,
        le=31 * 86400,
        description=f"Bucket width in seconds; (to − from) / step may be at most {MAX_BUCKETS:,}",
    ),
]
PduQ = Annotated[str, Query(min_length=1, max_length=64, examples=["pdu-a"])]


def _event_out(e: Event) -> EventOut:
    return EventOut.model_validate(e.to_dict())


@router.get("/events", response_model=EventPage, responses=_READ)
async def list_events(
    _: Reader,
    services: Services,
    since_seq: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    pdu_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> EventPage:
    """Events with ``sequence_id > since_seq`` (per PDU), oldest first."""
    pdus = [pdu_id] if pdu_id else await services.event_pdu_ids()
    events: list[Event] = []
    for pid in pdus:
        events += await services.events_since(pid, since_seq, limit)
    events.sort(key=lambda e: (e.timestamp_utc, e.pdu_id, e.sequence_id))
    events = events[:limit]
    nxt: dict[str, int] = {}
    for e in events:
        nxt[e.pdu_id] = max(nxt.get(e.pdu_id, 0), e.sequence_id)
    return EventPage(events=[_event_out(e) for e in events], next_since_seq=nxt)


def _window(
    services: RackPort, start: datetime | None, end: datetime | None, step_s: int
) -> tuple[datetime, datetime]:
    try:
        end = _utc(end) if end is not None else services.now_utc()
        start = _utc(start) if start is not None else end - timedelta(hours=1)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 lies before year 1 in UTC
        raise ApiProblem(
            422,
            "'from'/'to' out of range: give times between years 1 and 9999 in UTC.",
            kind="validation-error",
            errors=[FieldError(path="query.from", message="out of range")],
        ) from None
    if start >= end:
        raise ApiProblem(
            422,
            "'from' must be before 'to'.",
            kind="validation-error",
            errors=[FieldError(path="query.from", message="must be before 'to'")],
        )
    if (end - start).total_seconds() / step_s > MAX_BUCKETS:
        raise ApiProblem(
            422,
            f"Too many buckets: ({end - start}) / {step_s} s > {MAX_BUCKETS}; increase 'step'.",
            kind="validation-error",
            errors=[FieldError(path="query.step", message=f"at most {MAX_BUCKETS} buckets")],
        )
    return start, end


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _check_pdu(services: RackPort, pdu_id: str) -> None:
    if all(p.id != pdu_id for p in services.config.pdus):
        raise ApiProblem(404, f"No PDU {pdu_id!r}.", kind="pdu-not-found")


@router.get("/history", response_model=HistoryOut, responses=_READ)
async def history(
    _: Reader,
    services: Services,
    pdu_id: PduQ,
    key: Annotated[str, Query(min_length=1, max_length=128, examples=["outlet/7/power_w"])],
    start: FromQ = None,
    end: ToQ = None,
    step: StepQ = 60,
) -> HistoryOut:
    """Readings of one metric key in ``step``-second buckets (min/avg/max).

    Keys are ``<entity>/<metric>`` (``inlet/L1/current_a``); ``phase/L1/…`` is an accepted alias.
    """
    asked, key = key, canonical_metric_key(key)
    _check_pdu(services, pdu_id)
    start, end = _window(services, start, end, step)
    pts = await services.history(pdu_id, key, start, end, step)
    if not pts and asked != key:  # data written before the ids were unified
        pts = await services.history(pdu_id, asked, start, end, step)
    return HistoryOut(
        pdu_id=pdu_id,
        key=key,
        step_s=step,
        from_utc=start,
        to_utc=end,
        points=[
            HistoryPointOut(ts=p.ts, min=num(p.min), avg=num(p.avg), max=num(p.max), count=p.count)
            for p in pts
        ],
    )


@router.get("/energy", response_model=EnergyHistoryOut, responses=_READ)
async def energy(
    _: Reader,
    services: Services,
    pdu_id: PduQ,
    start: FromQ = None,
    end: ToQ = None,
    step: StepQ = 3600,
    channel: Annotated[str | None, Query(max_length=64, description="e.g. outlet/7")] = None,
) -> EnergyHistoryOut:
    """Energy per channel and bucket, from the stored ``<channel>/energy_wh`` register readings."""
    _check_pdu(services, pdu_id)
    start, end = _window(services, start, end, step)
    wanted = None if channel is None else (channel, canonical_channel(channel))
    by_key = await services.energy_history(pdu_id, start, end, step, wanted)
    channels: list[EnergyChannelOut] = []
    for key, pts in by_key.items():
        out: list[EnergyPointOut] = []
        prev: float | None = None
        for p in pts:
            base = prev if prev is not None else p.min
            out.append(EnergyPointOut(ts=p.ts, energy_wh=num(p.max), delta_wh=num(p.max - base)))
            prev = p.max
        channels.append(
            EnergyChannelOut(channel=key.removesuffix("/energy_wh"), key=key, points=out)
        )
    return EnergyHistoryOut(
        pdu_id=pdu_id, step_s=step, from_utc=start, to_utc=end, channels=channels
    )


_READING_VIEW = "sse:reading"
"""Not a path, so the pre-routing answer (keyed by request path) can never serve it."""


def _json(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), allow_nan=False)


async def _stream(
    request: Request,
    services: RackPort,
    interval_s: float,
    readings: bool,
    events: bool,
    limit: int | None,
) -> AsyncIterator[ServerSentEvent]:
    queue: asyncio.Queue[ServerSentEvent] = asyncio.Queue(maxsize=256)
    loop = asyncio.get_running_loop()

    def offer(item: ServerSentEvent) -> None:
        if queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()  # drop the oldest: the client is slow
        queue.put_nowait(item)

    views: ViewCache[str] = request.app.state.views

    def reading(snap: RackSnapshot) -> ServerSentEvent:
        """The compact snapshot, encoded once per snapshot for every open stream (an older
        snapshot, a stream that lags, is encoded on its own: it must not evict the current)."""
        if snap is not services.snapshot:
            return ServerSentEvent(_json(compact_snapshot(snap)), event="reading")
        view = views.get(snap, _READING_VIEW)
        if view is None:
            data = _json(compact_snapshot(snap)).encode()
            view = views.put(snap, _READING_VIEW, EncodedView(data, "application/json"))
        return ServerSentEvent(view.body.decode(), event="reading")

    async def pump_readings() -> None:
        last = -1e18
        if services.ready:
            offer(reading(services.snapshot))
            last = loop.time()
        async for snap in services.snapshots():
            if loop.time() - last >= interval_s:
                last = loop.time()
                offer(reading(snap))

    async def pump_events() -> None:
        async with services.subscribe("sse", maxsize=256) as sub:
            async for ev in sub:
                offer(
                    ServerSentEvent(
                        _json(ev.to_dict()), event="event", id=f"{ev.pdu_id}:{ev.sequence_id}"
                    )
                )

    tasks = []
    if readings:
        tasks.append(asyncio.create_task(pump_readings()))
    if events:
        tasks.append(asyncio.create_task(pump_events()))
    sent = 0
    try:
        while tasks and (limit is None or sent < limit):
            yield await queue.get()
            sent += 1
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@router.get(
    "/stream",
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "Server-sent events"},
        **problem_responses(401, 403, 422),
    },
    response_model=None,
)
async def stream(
    request: Request,
    _: Reader,
    services: Services,
    interval_s: Annotated[float, Query(ge=0.2, le=60)] = 1.0,
    readings: bool = True,
    events: bool = True,
    limit: Annotated[int | None, Query(ge=1, le=1_000_000, description="End after N")] = None,
) -> EventSourceResponse:
    """SSE: ``event: reading`` (compact snapshot, every ``interval_s``) and ``event: event``."""
    return EventSourceResponse(
        _stream(request, services, interval_s, readings, events, limit),
        ping=15,
        headers={"Cache-Control": "no-store"},
    )
