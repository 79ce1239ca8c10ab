"""The one narrow async port every interface (REST, Redfish, later SNMP/Modbus/MQTT) talks through.

Interfaces read snapshots, stream snapshots and events, query history and the event log, and
submit commands; they never touch the store, the event log or the bus. :class:`RackPort` wraps a
running :class:`~smartpdu.runtime.rack.RackRuntime` (or anything with its :class:`RuntimeBackend`
shape, e.g. a test stand-in) and is the only place where blocking store reads are moved off the
event loop.

Usage::

    port = RackPort(runtime)
    snap = port.snapshot                      # NotReadyError before the first tick
    async for snap in port.snapshots(): ...
    async with port.subscribe("sse") as sub:  # live events
        async for event in sub: ...
    await port.outlet_command(OutletCommand(...))

Levers: ``lever_command`` (unlock/lock, audited), ``set_lever_credentials``, ``access_log``,
``lift_lockdown`` (see :mod:`smartpdu.runtime.lever_desk`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from smartpdu.config import RackConfig
from smartpdu.events.outbox import Outbox
from smartpdu.events.outbox_plan import RetryPolicy
from smartpdu.events.outbox_store import OutboxRepository
from smartpdu.events.webhook_store import WebhookTables
from smartpdu.model.commands import CommandResult, OutletAction, OutletCommand
from smartpdu.model.snapshot import RackSnapshot
from smartpdu.runtime.calibration import CalibrationUnavailableError
from smartpdu.runtime.device_commands import run_device_command
from smartpdu.runtime.inventory import read_inventory
from smartpdu.runtime.lever_desk import CredentialError, LeverOutcome, LeverRequest  # handed out
from smartpdu.runtime.subscription_book import SubscriptionBook

if TYPE_CHECKING:
    from smartpdu.access.roles import Principal
    from smartpdu.alarms import Alarm
    from smartpdu.analytics import (
        CapacityRow,
        DeviceShare,
        DeviceView,
        FailoverLoad,
        Headroom,
        RiskScore,
        WhatIf,
    )
    from smartpdu.analytics.forecast import LinearForecast
    from smartpdu.analytics.pairing import PairProposal
    from smartpdu.config.alarms import AlarmRuleConfig
    from smartpdu.events.bus import EventBus
    from smartpdu.events.log import EventLog
    from smartpdu.events.model import Event, NewEvent
    from smartpdu.model.access import AccessEntry, AccessQuery, LeverCredential
    from smartpdu.runtime.lever_desk import LeverDesk
    from smartpdu.runtime.stages.residual import ResidualView
    from smartpdu.storage.base import Store
    from smartpdu.storage.records import ConfigVersion, ConfigVersionInfo, HistoryPoint

__all__ = [
    "AccessUnavailableError",
    "AlarmsUnavailableError",
    "CalibrationUnavailableError",
    "CredentialError",
    "LeverOutcome",
    "LeverRequest",
    "NotReadyError",
    "RackPort",
    "RuntimeBackend",
]

_T = TypeVar("_T")


class NotReadyError(RuntimeError):
    """The controller has not measured its first window yet; retry in a moment."""


class AlarmsUnavailableError(RuntimeError):
    """This runtime runs no alarm stage."""


_NO_CREDENTIAL_CHANGE: dict[str, Any] = dict.fromkeys(("pin", "card", "schedule", "tz"))
_NO_CREDENTIAL_CHANGE |= {"clear_pin": False, "clear_card": False}


class AccessUnavailableError(RuntimeError):
    """This runtime has no lever desk (rack access control)."""


@runtime_checkable
class RuntimeBackend(Protocol):
    """What :class:`RackPort` needs of the runtime (``RackRuntime`` implements it)."""

    @property
    def config(self) -> RackConfig: ...

    @property
    def snapshot(self) -> RackSnapshot: ...

    @property
    def store(self) -> Store: ...

    @property
    def events(self) -> EventLog: ...

    @property
    def bus(self) -> EventBus: ...

    def snapshots(self) -> AsyncIterator[RackSnapshot]: ...

    def now_utc(self) -> datetime: ...

    async def outlet_command(self, command: OutletCommand) -> CommandResult: ...

    async def acknowledge_outlet(self, pdu_id: str, outlet_id: str, actor: str) -> Event: ...

    async def reset_energy(self, pdu_id: str, channel: str | None, actor: str) -> int: ...

    async def apply_config(self, yaml_text: str, actor: str, comment: str = "") -> int: ...

    async def rollback_config(self, version: int, actor: str) -> int: ...

    async def calibrate_outlet(
        self, pdu_id: str, outlet_id: str, bench_seed: int, actor: str
    ) -> dict[str, Any]: ...


class RackPort:
    """The interfaces' view of one running rack: reads, streams, queries and commands."""

    def __init__(self, runtime: RuntimeBackend) -> None:
        self._rt = runtime

    @classmethod
    def wrap(cls, target: RackPort | RuntimeBackend) -> RackPort:
        """Return ``target`` if it is a port, else a port over the runtime ``target``."""
        return target if isinstance(target, RackPort) else cls(target)

    @property
    def backend(self) -> RuntimeBackend:
        """The wrapped runtime, for the composition root only (interfaces must not use it)."""
        return self._rt

    async def _io(self, fn: Callable[..., _T], *args: Any) -> _T:
        """Run one blocking store call in a worker thread (the one place that does so)."""
        return await asyncio.to_thread(fn, *args)

    # -- reads ------------------------------------------------------------------------------------
    @property
    def config(self) -> RackConfig:
        return self._rt.config

    @property
    def snapshot(self) -> RackSnapshot:
        """The latest snapshot; :class:`NotReadyError` before the first window is measured."""
        try:
            snap: RackSnapshot | None = self._rt.snapshot
        except NotReadyError:
            raise
        except RuntimeError as exc:  # RackRuntime's "not started yet"
            raise NotReadyError(str(exc)) from None
        if snap is None:
            raise NotReadyError("the controller has not measured its first window yet")
        return snap

    @property
    def tick_overruns(self) -> int:
        """Times the tick loop fell too far behind and resynchronised (``TICK_OVERRUN``)."""
        return int(getattr(self._rt, "tick_overruns", 0))

    @property
    def ready(self) -> bool:
        try:
            return self.snapshot is not None
        except NotReadyError:
            return False

    def snapshots(self) -> AsyncIterator[RackSnapshot]:
        """New snapshots, one per tick; a slow reader skips ticks, it never slows the runtime."""
        return self._rt.snapshots()

    def now_utc(self) -> datetime:
        return self._rt.now_utc()

    # -- events -----------------------------------------------------------------------------------
    def subscribe(self, name: str, maxsize: int = 256) -> AbstractAsyncContextManager[Any]:
        """Live events as they are sealed: ``async with port.subscribe("sse") as sub``.

        A subscriber that falls behind loses events (and a ``SUBSCRIBER_LAGGING`` is logged);
        durable consumers read :meth:`events_since` with their own cursor instead."""
        return self._rt.bus.subscribe(name=name, maxsize=maxsize)

    async def event_pdu_ids(self) -> list[str]:
        return await self._io(self._rt.store.event_pdu_ids)

    async def events_since(self, pdu_id: str, since_seq: int = 0, limit: int = 1000) -> list[Event]:
        """Events of one PDU's chain with ``sequence_id > since_seq``, oldest first."""
        return await self._io(self._rt.store.events_since, pdu_id, since_seq, limit)

    async def events_between(
        self, pdu_id: str | None, start: datetime, end: datetime, limit: int = 1000
    ) -> list[Event]:
        """Events with ``start <= timestamp < end`` (all PDUs when ``pdu_id`` is None)."""
        return await self._io(self._rt.store.events_between, pdu_id, start, end, limit)

    async def last_events(self, per_pdu: int) -> list[Event]:
        """The newest ``per_pdu`` events of every PDU chain, merged oldest first."""
        store = self._rt.store

        def newest() -> list[Event]:
            out: list[Event] = []
            for pdu_id in store.event_pdu_ids():
                last = store.last_event(pdu_id)
                if last is not None:
                    out += store.events_since(pdu_id, max(0, last.sequence_id - per_pdu), per_pdu)
            return sorted(out, key=lambda e: (e.timestamp_utc, e.pdu_id, e.sequence_id))

        return await self._io(newest)

    async def event(self, pdu_id: str, sequence_id: int) -> Event | None:
        """One event of a chain, or None."""
        found = await self.events_since(pdu_id, sequence_id - 1, 1)
        return found[0] if found and found[0].sequence_id == sequence_id else None

    async def audit(self, draft: NewEvent) -> Event:
        """Append an interface-level audit event (e.g. a subscription created or deleted)."""
        return await self._io(self._rt.events.append, draft)

    # -- push delivery ----------------------------------------------------------------------------
    def outbox(
        self,
        name: str,
        *,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] | None = None,
        poll_s: float = 5.0,
        send_timeout_s: float | None = 30.0,
    ) -> Outbox:
        """A durable outbox over this rack's event log (cursors in the store, woken by the bus):
        a push channel adds its destinations and runs it (:mod:`smartpdu.events.outbox`)."""
        store = self._rt.store
        return Outbox(store, OutboxRepository(store), bus=self._rt.bus, policy=policy, rng=rng,
                      clock=clock, utc=self._rt.now_utc, poll_s=poll_s,
                      send_timeout_s=send_timeout_s, name=name)  # fmt: skip

    @property
    def subscriptions(self) -> SubscriptionBook:
        """The stored Redfish EventService subscriptions (async CRUD, never-reused ids)."""
        return SubscriptionBook(self._rt.store.redfish_subscriptions)

    @property
    def webhooks(self) -> WebhookTables:
        """The stored webhook subscriptions (secrets, filters, template, enabled)."""
        return self._rt.store.webhooks

    # -- history ----------------------------------------------------------------------------------
    async def history(
        self, pdu_id: str, key: str, start: datetime, end: datetime, step_s: int = 60
    ) -> list[HistoryPoint]:
        return await self._io(self._rt.store.history, pdu_id, key, start, end, step_s)

    async def reading_keys(self, pdu_id: str) -> list[str]:
        return await self._io(self._rt.store.reading_keys, pdu_id)

    async def energy_history(
        self,
        pdu_id: str,
        start: datetime,
        end: datetime,
        step_s: int,
        channels: Collection[str] | None = None,
    ) -> dict[str, list[HistoryPoint]]:
        """Stored ``<channel>/energy_wh`` register readings per key (only ``channels`` if given:
        one channel under each name it was stored with)."""
        store = self._rt.store

        def read() -> dict[str, list[HistoryPoint]]:
            keys = [k for k in store.reading_keys(pdu_id) if k.endswith("/energy_wh")]
            if channels is not None:
                wanted = {f"{c}/energy_wh" for c in channels}
                keys = [k for k in keys if k in wanted]
            return {k: store.history(pdu_id, k, start, end, step_s) for k in keys}

        return await self._io(read)

    # -- configuration ----------------------------------------------------------------------------
    async def config_versions(self) -> list[ConfigVersionInfo]:
        return await self._io(self._rt.store.list_config_versions)

    async def config_version(self, version: int | None = None) -> ConfigVersion | None:
        """One stored version with its YAML (the latest when ``version`` is None), or None."""
        return await self._io(self._rt.store.get_config_version, version)

    async def apply_config(self, yaml_text: str, actor: str, comment: str = "") -> int:
        """Validate (``ConfigError``), store as a new version, apply, audit; return the version."""
        return await self._rt.apply_config(yaml_text, actor, comment)

    async def rollback_config(self, version: int, actor: str) -> int:
        """Re-apply an earlier version as a new version (``KeyError`` if unknown)."""
        return await self._rt.rollback_config(version, actor)

    # -- commands ---------------------------------------------------------------------------------
    async def outlet_command(self, command: OutletCommand) -> CommandResult:
        return await self._rt.outlet_command(command)

    async def acknowledge_outlet(self, pdu_id: str, outlet_id: str, actor: str) -> Event:
        """Release a protection hold of an outlet (audited); the outlet stays off."""
        return await self._rt.acknowledge_outlet(pdu_id, outlet_id, actor)

    async def reset_energy(self, pdu_id: str, channel: str | None, actor: str) -> int:
        """Reset resettable energy registers (audited); return how many channels."""
        return await self._rt.reset_energy(pdu_id, channel, actor)

    # -- alarms -----------------------------------------------------------------------------------
    def _alarms(self) -> Any:
        desk = getattr(self._rt, "alarm_desk", None)
        if desk is None:
            raise AlarmsUnavailableError("this controller runs no alarm engine")
        return desk

    def active_alarms(self) -> list[Alarm]:
        """Alarms raised or acknowledged and not yet cleared, newest first."""
        return list(self._alarms().active())

    def alarm_history(self) -> list[Alarm]:
        """Recently cleared alarms, newest first (the event log holds every one)."""
        return list(self._alarms().history())

    def alarm(self, alarm_id: int) -> Alarm | None:
        return self._alarms().get(alarm_id)  # type: ignore[no-any-return]

    def alarm_rules(self) -> list[AlarmRuleConfig]:
        """The effective rules of the active configuration (defaults, overrides, additions)."""
        from smartpdu.alarms import effective_rules

        return effective_rules(self.config.alarms)

    def residual_current(self) -> list[ResidualView]:
        """Residual current per inlet and monitored branch: levels, slope per week, forecast."""
        desk = getattr(self._rt, "residual_desk", None)
        if desk is None:
            raise AlarmsUnavailableError("this controller runs no residual-current trend")
        return list(desk.views(self.config))

    def capacity(self) -> list[CapacityRow]:
        """Reserve per branch and inlet phase (80 % rule, and if the other feed failed)."""
        from smartpdu.analytics import capacity

        return capacity(self.config, self.snapshot)

    async def capacity_forecast(
        self, days: float, step_s: int
    ) -> list[tuple[CapacityRow, LinearForecast | None]]:
        """Per capacity row: the linear trend of its stored current history over the last
        ``days`` (bucket means of ``step_s``) and when it reaches the row's 80 % limit."""
        from datetime import timedelta

        from smartpdu.analytics import capacity
        from smartpdu.analytics.forecast import linear_forecast

        rows = capacity(self.config, self.snapshot)
        end = self.now_utc()
        start = end - timedelta(days=days)
        out: list[tuple[CapacityRow, LinearForecast | None]] = []
        for row in rows:
            points = await self.history(row.pdu_id, f"{row.entity}/current_a", start, end, step_s)
            series = [(p.ts.timestamp(), p.avg) for p in points if p.count > 0]
            out.append((row, linear_forecast(series, row.limit_a)))
        return out

    def what_if(self, change: WhatIf) -> list[CapacityRow]:
        """The capacity rows after ``change``; nothing on the rack changes."""
        from smartpdu.analytics import what_if

        return what_if(self.config, self.snapshot, change)

    def redundancy(
        self,
    ) -> tuple[list[tuple[str, str, int]], list[DeviceShare], list[FailoverLoad]]:
        """Miswired devices, the share per feed of dual-fed devices, each feed's failover."""
        from smartpdu.analytics import device_shares, failover_projection, miswired_devices

        cfg, snap = self.config, self.snapshot
        failover = [x for f in sorted({p.feed for p in cfg.pdus})
                    for x in failover_projection(cfg, snap, f)]  # fmt: skip
        return miswired_devices(cfg), device_shares(cfg, snap), failover

    def devices(self) -> list[DeviceView]:
        """Every device with its PSUs across the PDUs (outlet, feed, phase, branch, live share)."""
        from smartpdu.analytics import device_views

        return device_views(self.config, self.snapshot)

    async def device_command(
        self, name: str, action: OutletAction, actor: str, command_id: str
    ) -> tuple[Headroom | None, list[CommandResult]]:
        """Switch every PSU of device ``name`` across its PDUs, in order, as one audited command
        (``on``/``cycle`` refused, audited, when headroom is missing); see
        :mod:`smartpdu.runtime.device_commands`. ``KeyError`` for an unknown device."""
        return await run_device_command(self, name, action, actor, command_id)

    def psu_pairs(self) -> tuple[int, list[tuple[PairProposal, bool]]]:
        """(seconds of data, [(proposal, whether the configuration has that pair)])."""
        desk = getattr(self._rt, "pairing_desk", None)
        if desk is None:
            raise AlarmsUnavailableError("this controller runs no PSU-pair discovery")
        latest = list(desk.latest)
        return desk.samples, [(p, desk.configured(p)) for p in latest]

    def risk(self) -> RiskScore | None:
        """The rack's risk score with its factors as published in the latest snapshot (None
        before the first evaluation)."""
        if getattr(self._rt, "risk_desk", None) is None:
            raise AlarmsUnavailableError("this controller computes no risk score")
        try:
            return self.snapshot.risk
        except NotReadyError:
            return None

    async def acknowledge_alarm(self, alarm_id: int, actor: str, comment: str) -> Alarm:
        """Acknowledge an active alarm (audited ``ALARM_ACKNOWLEDGED``); ``AlarmError`` if it
        is unknown, cleared or already acknowledged."""
        desk = self._alarms()
        alarm, _ = await self._io(desk.acknowledge, alarm_id, actor, comment, self.now_utc())
        return alarm  # type: ignore[no-any-return]

    async def calibrate_outlet(
        self, pdu_id: str, outlet_id: str, bench_seed: int, actor: str
    ) -> dict[str, Any]:
        """Factory-calibrate one outlet channel on the running rack (audited); the report.

        Raises KeyError (unknown PDU/outlet), ``CalibrationError`` (verification failed) or
        :class:`~smartpdu.runtime.calibration.CalibrationUnavailableError` (no bench).
        """
        return await self._rt.calibrate_outlet(pdu_id, outlet_id, bench_seed, actor)

    # -- rack access ------------------------------------------------------------------------------
    def _levers(self) -> LeverDesk:
        desk = getattr(self._rt, "levers", None)
        if desk is None:
            raise AccessUnavailableError("this controller runs no rack access control")
        return desk  # type: ignore[no-any-return]

    async def lever_command(self, request: LeverRequest) -> LeverOutcome:
        """Unlock (RBAC, schedule, lock-down, two-person rule) or lock a lever; audited.
        ``KeyError`` for an unknown lever."""
        self._levers()
        return await self._rt.lever_command(request)  # type: ignore[attr-defined,no-any-return]

    async def lift_lockdown(self, principal: Principal) -> bool:
        """End a tamper lock-down (administrators); False if none was active."""
        self._levers()
        return await self._rt.lift_lockdown(principal)  # type: ignore[attr-defined,no-any-return]

    @property
    def lockdown(self) -> bool:
        return bool(self._levers().lockdown)

    async def set_lever_credentials(
        self, username: str, *, actor: str, **changes: Any
    ) -> LeverCredential:
        """Set a user's ``pin``/``card``/``schedule``/``tz`` (or ``clear_pin``/``clear_card``),
        keywords of :meth:`LeverDesk.set_credentials`: argon2 off the loop, audited, secrets
        never logged. ``KeyError`` (no such user), ``CredentialError`` (bad value),
        ``ConflictError`` (card already assigned)."""
        desk = self._levers()
        now = self.now_utc()
        kw = _NO_CREDENTIAL_CHANGE | changes
        return await self._io(
            lambda: desk.set_credentials(username, actor=actor, now_utc=now, **kw)
        )

    async def lever_credential(self, username: str) -> LeverCredential | None:
        return await self._io(self._rt.store.access.get_credential, username)

    async def access_log(self, query: AccessQuery) -> list[AccessEntry]:
        """Access-log rows matching ``query``, oldest first."""
        return await self._io(self._rt.store.access.access_log, query)

    # -- inventory ------------------------------------------------------------------------------
    async def inventory(self) -> dict[str, Any]:
        """Identity and versions for change management (seed 002 H2-9), plain data; the
        interface adds transport facts (:func:`~smartpdu.runtime.inventory.read_inventory`)."""
        rt = self._rt
        out = await self._io(read_inventory, rt.store, self.config)
        key = getattr(rt, "device_key", None)
        out["audit_key_fingerprint"] = key.fingerprint if key is not None else None
        out["started_utc"] = getattr(rt, "started_utc", None)
        return out
