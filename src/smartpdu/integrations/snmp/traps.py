"""SNMPv3 notifications (traps or acknowledged informs) to the configured receivers.

Live events come from the port's event stream; :func:`~.notifications.notification_for`
decides which become notifications. Each carries the SMARTPDU-MIB event objects (sequence id,
timestamp, PDU, source, code, severity, text), so a receiver can find the event in the log.
Informs are retried by pysnmp (``retries``/``timeout_s`` per receiver). A receiver that is down
never slows the tick: the bus drops the oldest events for a subscriber that lags (reported as
``SUBSCRIBER_LAGGING``); the event log keeps every event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any, Final

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config as snmp_config
from pysnmp.entity.rfc3413 import ntforg
from pysnmp.proto import rfc1902

from smartpdu.config.integrations import SnmpConfig, SnmpTrapReceiver
from smartpdu.integrations.snmp.notifications import Notification, notification_for
from smartpdu.runtime.port import RackPort

__all__ = ["TrapSender", "event_varbinds"]

log = logging.getLogger(__name__)

_SNMP_TRAP_OID: Final = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)


def event_varbinds(root: tuple[int, ...], note: Notification, event: Any) -> list[tuple[Any, Any]]:
    """snmpTrapOID.0 and the event objects of one notification (``smartpduEvent`` .1-.7)."""
    text = event.message
    if event.evidence:
        text = f"{text} {json.dumps(dict(event.evidence), sort_keys=True, default=str)}"
    objects = (*root, 1, 10)

    def s(x: object) -> rfc1902.OctetString:
        return rfc1902.OctetString(str(x).encode("utf-8")[:255])

    return [
        (rfc1902.ObjectName(_SNMP_TRAP_OID), rfc1902.ObjectIdentifier((*root, 0, note.sub))),
        (rfc1902.ObjectName((*objects, 1, 0)), rfc1902.Unsigned32(event.sequence_id & 0xFFFFFFFF)),
        (rfc1902.ObjectName((*objects, 2, 0)), s(event.timestamp_utc)),
        (rfc1902.ObjectName((*objects, 3, 0)), s(event.pdu_id)),
        (rfc1902.ObjectName((*objects, 4, 0)), s(event.source)),
        (rfc1902.ObjectName((*objects, 5, 0)), s(event.event_code)),
        (rfc1902.ObjectName((*objects, 6, 0)), s(event.severity)),
        (rfc1902.ObjectName((*objects, 7, 0)), s(text)),
    ]


class TrapSender:
    """Forwards notifiable events to every receiver from the agent's own engine (its engine id
    is the authoritative one of traps; its USM users secure them)."""

    def __init__(self, engine: Any, cfg: SnmpConfig, root: tuple[int, ...]) -> None:
        self._engine = engine
        self._cfg = cfg
        self._root = root
        self._task: asyncio.Task[None] | None = None
        self._originator = ntforg.NotificationOriginator()
        self._pending: set[asyncio.Future[None]] = set()
        self.sent = 0
        self.failed = 0
        for i, r in enumerate(cfg.trap_receivers):
            _add_receiver(engine, i, r)

    async def start(self, port: RackPort) -> None:
        ready = asyncio.Event()
        self._task = asyncio.create_task(self._run(port, ready), name="smartpdu-snmp-traps")
        await ready.wait()

    async def _run(self, port: RackPort, ready: asyncio.Event) -> None:
        async with port.subscribe("snmp-traps") as sub:
            ready.set()
            async for event in sub:
                note = notification_for(event.event_code, event.evidence)
                if note is None:
                    continue
                binds = event_varbinds(self._root, note, event)
                for i, r in enumerate(self._cfg.trap_receivers):
                    self._send(i, r, binds)

    def _send(self, i: int, r: SnmpTrapReceiver, binds: list[tuple[Any, Any]]) -> None:
        def done(
            engine: Any, handle: Any, error: Any, status: Any, index: Any, vbs: Any, ctx: Any
        ) -> None:
            if error or status:
                log.warning("SNMP %s to %s:%d: %s", kind, r.host, r.port, error or status)
                self.failed += 1
            else:
                self.sent += 1

        kind = "inform" if r.inform else "trap"
        try:
            self._originator.send_varbinds(
                self._engine, f"smartpdu-n{i}", None, b"", binds, done if r.inform else None
            )
        except Exception:  # a bad receiver must not end the forwarding
            log.exception("SNMP %s to %s:%d failed", kind, r.host, r.port)
            self.failed += 1
            return
        if not r.inform:
            self.sent += 1  # a trap is sent once, unacknowledged

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def _add_receiver(engine: Any, i: int, r: SnmpTrapReceiver) -> None:
    params, tag = f"smartpdu-p{i}", f"smartpdu-tag{i}"
    snmp_config.add_target_parameters(engine, params, r.user, "authPriv", mpModel=3)
    snmp_config.add_target_address(
        engine, f"smartpdu-t{i}", udp.DOMAIN_NAME, (r.host, r.port), params,
        timeout=int(r.timeout_s * 100), retryCount=r.retries, tagList=tag,
    )  # fmt: skip
    snmp_config.add_notification_target(
        engine, f"smartpdu-n{i}", params, tag, "inform" if r.inform else "trap"
    )
