"""Outlet commands between the event loop and the tick: submit, wait, resolve.

A command is submitted to the control plane at once (duplicates, rejections and lockouts are
answered immediately); otherwise the caller waits for the tick that completes it, at most
``timeout_s`` (then it gets ACCEPTED and watches the events). The tick hands completed results
to :meth:`CommandDesk.resolve` on the event-loop thread.

Callers wait under the command's ledger key (actor + client id), not the bare client id: two
actors may use the same client id at once, and each must get its own command's result.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace

from smartpdu.config import RackConfig
from smartpdu.control import ControlPlane
from smartpdu.control.commands import client_key
from smartpdu.events import EventLog
from smartpdu.events.model import Event
from smartpdu.model.commands import CommandResult, CommandStatus, OutletCommand

__all__ = ["COMMAND_TIMEOUT_S", "CommandDesk"]

COMMAND_TIMEOUT_S = 15.0


class CommandDesk:
    def __init__(
        self,
        control: ControlPlane,
        lock: threading.RLock,
        hw_now_s: Callable[[], float],
        *,
        timeout_s: float = COMMAND_TIMEOUT_S,
    ) -> None:
        self._control = control
        self._lock = lock
        self._hw_now_s = hw_now_s
        self._timeout_s = timeout_s
        self._waiters: dict[str, list[asyncio.Future[CommandResult]]] = {}

    async def submit(self, command: OutletCommand, *, stepped: bool) -> CommandResult:
        """Submit and wait for the outcome; ``stepped``: sim time advanced by the caller, so
        wait without a timeout (the caller's ``run_ticks`` completes it)."""
        if command.command_id is None:
            command = replace(command, command_id=str(uuid.uuid4()))
        with self._lock:
            ticket = self._control.submit(command, self._hw_now_s())
        if ticket.result is not None:
            return ticket.result
        future: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
        key = ticket.key or ticket.command_id
        self._waiters.setdefault(key, []).append(future)
        if stepped:
            return await future
        try:
            return await asyncio.wait_for(asyncio.shield(future), self._timeout_s)
        except TimeoutError:
            self._forget(key, future)
            return CommandResult(
                command_id=ticket.command_id,
                status=CommandStatus.ACCEPTED,
                detail="still executing (sequencing delays); watch the events for the outcome",
            )

    async def acknowledge(
        self, config: RackConfig, events: EventLog, pdu_id: str, outlet_id: str, actor: str
    ) -> Event:
        """Release an outlet's trip-cause latch (audited); KeyError for an unknown outlet."""
        if all(o.id != outlet_id for o in config.pdu(pdu_id).outlets):
            raise KeyError(f"PDU {pdu_id!r} has no outlet {outlet_id!r}")
        with self._lock:
            draft = self._control.acknowledge(pdu_id, outlet_id, actor)
        return await asyncio.to_thread(events.append, draft)

    def _forget(self, key: str, future: asyncio.Future[CommandResult]) -> None:
        waiting = self._waiters.get(key, [])
        if future in waiting:
            waiting.remove(future)
        if not waiting:
            self._waiters.pop(key, None)

    def resolve(self, completed: Iterable[CommandResult]) -> None:
        """Wake the callers of commands a tick completed (event-loop thread): each waiting key
        with the result's client id gets the result the ledger filed under *that* key, if its
        command is the one that finished (another actor's same id may still be running)."""
        ids = {r.command_id for r in completed}
        if not ids:
            return
        for key in [k for k in self._waiters if client_key(k) in ids]:
            with self._lock:
                result = self._control.finished_result(key)
            if result is None:
                continue
            for future in self._waiters.pop(key, []):
                if not future.done():
                    future.set_result(result)

    def cancel_all(self) -> None:
        for futures in self._waiters.values():
            for f in futures:
                if not f.done():
                    f.cancel()
        self._waiters.clear()
