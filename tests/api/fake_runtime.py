"""Minimal stand-in for RuntimeServices (used only until the real runtime helper is available).

Real store (SQLite), real EventLog and EventBus; a synthetic snapshot built from the demo rack
configuration; commands flip outlet state and log audited events with the actor.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from smartpdu.config import RackConfig, dump_config, load_config, parse_config
from smartpdu.events.bus import EventBus
from smartpdu.events.codes import EventCode
from smartpdu.events.log import EventLog
from smartpdu.events.model import Action, NewEvent, format_timestamp
from smartpdu.events.signing import DeviceKey
from smartpdu.runtime.services import (
    CommandResult,
    CommandStatus,
    OutletAction,
    OutletCommand,
    OutletOutcome,
)
from smartpdu.runtime.snapshot import (
    BranchSnapshot,
    ChannelReading,
    InletSnapshot,
    OutletSnapshot,
    PduSnapshot,
    RackSnapshot,
)
from smartpdu.storage.factory import open_store

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo-rack.yaml"


def _snapshot(
    cfg: RackConfig, tick: int, t: datetime, on: dict[tuple[str, str], bool]
) -> RackSnapshot:
    pdus = {}
    for p in cfg.pdus:
        outlets = {}
        for o in p.outlets:
            is_on = on.get((p.id, o.id), True)
            r = ChannelReading(
                v_rms_v=230.0,
                i_rms_a=0.5 if is_on else 0.0,
                p_w=110.0 if is_on else 0.0,
                s_va=115.0 if is_on else 0.0,
                pf=0.96 if is_on else 0.0,
                energy_wh=10.0 + tick * 0.01,
            )
            branch = next(b for b in p.branches if b.id == o.branch)
            outlets[o.id] = OutletSnapshot(
                id=o.id,
                name=o.name,
                branch=o.branch,
                line=branch.line,
                connector=str(o.connector),
                rating_a=o.rating_a,
                priority=str(o.priority),
                group=o.group,
                state="on" if is_on else "off",
                commanded_on=is_on,
                relay_closed=is_on,
                locked_out=False,
                reading=r,
            )
        branches = {
            b.id: BranchSnapshot(
                id=b.id,
                name=b.name,
                line=b.line,
                breaker_kind=b.breaker.kind,
                curve=b.breaker.curve,
                rating_a=b.breaker.rating_a,
                breaker_state="closed",
                reading=ChannelReading(v_rms_v=230.0, i_rms_a=2.0, p_w=440.0),
            )
            for b in p.branches
        }
        phases = {f"L{i}": ChannelReading(v_rms_v=230.0, i_rms_a=4.0, p_w=900.0) for i in (1, 2, 3)}
        inlet = InletSnapshot(
            feed=p.feed,
            feed_present=True,
            rating_a=p.inlet_rating_a,
            breaker_state="closed",
            phases=phases,
            neutral_a=0.3,
            residual_ma=None,
            power_w=2700.0,
            apparent_va=2800.0,
            energy_wh=1000.0 + tick,
            frequency_hz=50.0,
        )
        pdus[p.id] = PduSnapshot(
            id=p.id,
            name=p.name,
            feed=p.feed,
            phases=p.phases,
            nominal_voltage_v=p.nominal_voltage_v,
            nominal_frequency_hz=p.nominal_frequency_hz,
            inlet=inlet,
            branches=branches,
            outlets=outlets,
        )
    return RackSnapshot(
        tick=tick,
        timestamp_utc=format_timestamp(t),
        t_s=tick * 0.2,
        rack_name=cfg.rack.name,
        pdus=pdus,
    )


class FakeRuntime:
    def __init__(self, tmp_path: Path) -> None:
        self._config = load_config(DEMO)
        self._store = open_store(f"sqlite:///{tmp_path / 'pdu.db'}")
        self._t0 = datetime(2026, 1, 1, tzinfo=UTC)
        self._tick = 0
        self._bus = EventBus()
        self._events = EventLog(self._store, DeviceKey.generate(), self.now_utc, bus=self._bus)
        self._on: dict[tuple[str, str], bool] = {}
        self._done: dict[str, CommandResult] = {}
        self._snap = _snapshot(self._config, 0, self._t0, self._on)
        self.resets: list[tuple[str, str | None, str]] = []

    def close(self) -> None:
        self._store.close()

    @property
    def config(self) -> RackConfig:
        return self._config

    @property
    def snapshot(self) -> RackSnapshot:
        return self._snap

    @property
    def store(self):
        return self._store

    @property
    def events(self) -> EventLog:
        return self._events

    @property
    def bus(self) -> EventBus:
        return self._bus

    def now_utc(self) -> datetime:
        return self._t0 + timedelta(seconds=self._tick * 0.2)

    def step(self) -> None:
        self._tick += 1
        self._snap = _snapshot(self._config, self._tick, self.now_utc(), self._on)

    async def snapshots(self) -> AsyncIterator[RackSnapshot]:
        while True:
            await asyncio.sleep(0.05)
            self.step()
            yield self._snap

    async def outlet_command(self, command: OutletCommand) -> CommandResult:
        if command.command_id and command.command_id in self._done:
            return self._done[command.command_id]
        cid = command.command_id or f"cmd-{len(self._done) + 1}"
        code = {
            OutletAction.ON: EventCode.OUTLET_ON,
            OutletAction.OFF: EventCode.OUTLET_OFF,
            OutletAction.CYCLE: EventCode.OUTLET_CYCLE,
        }[command.action]
        outcomes, seqs = [], []
        for oid in command.outlet_ids:
            self._on[(command.pdu_id, oid)] = command.action is not OutletAction.OFF
            ev = self._events.append(
                NewEvent(
                    pdu_id=command.pdu_id,
                    source=f"outlet/{oid}",
                    event_code=code,
                    message=f"outlet {oid} {command.action}",
                    action_taken=Action.SWITCH,
                    actor=command.actor,
                    command_id=cid,
                )
            )
            seqs.append(ev.sequence_id)
            outcomes.append(OutletOutcome(oid, CommandStatus.DONE, "", str(code)))
        self.step()
        result = CommandResult(cid, CommandStatus.DONE, tuple(outcomes), "", tuple(seqs))
        self._done[cid] = result
        return result

    async def reset_energy(self, pdu_id: str, channel: str | None, actor: str) -> int:
        self.resets.append((pdu_id, channel, actor))
        return 1 if channel else 31

    async def apply_config(self, yaml_text: str, actor: str, comment: str = "") -> int:
        cfg = parse_config(yaml_text)
        version = self._store.add_config_version(yaml_text, actor, comment, self.now_utc())
        self._config = cfg
        self._events.append(
            NewEvent(
                pdu_id=cfg.pdus[0].id,
                source="config",
                event_code=EventCode.CONFIG_CHANGED,
                message=f"config version {version}",
                action_taken=Action.CONFIG,
                actor=actor,
            )
        )
        return version

    async def rollback_config(self, version: int, actor: str) -> int:
        old = self._store.get_config_version(version)
        assert old is not None
        return await self.apply_config(old.yaml_text, actor, f"rollback to {version}")

    def seed_config(self) -> int:
        return self._store.add_config_version(
            dump_config(self._config), "system", "initial", self.now_utc()
        )
