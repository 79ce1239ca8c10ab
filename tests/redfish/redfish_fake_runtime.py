"""A small stand-in for RackRuntime: snapshots from the demo config, real store, log and bus.

Readings are synthetic but consistent (P = V·I·PF per outlet, branch = sum of its outlets);
outlet commands switch state immediately and append OUTLET_ON/OFF events with the actor.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rack_snapshot import pdu_snapshot
from smartpdu.config import RackConfig, load_config
from smartpdu.config.models import PduConfig
from smartpdu.events.bus import EventBus
from smartpdu.events.log import EventLog
from smartpdu.events.model import Action, NewEvent
from smartpdu.events.signing import load_or_create_device_key
from smartpdu.model.commands import (
    CommandResult,
    CommandStatus,
    OutletAction,
    OutletCommand,
    OutletOutcome,
)
from smartpdu.model.snapshot import (
    ChannelReading,
    PduSnapshot,
    RackSnapshot,
    RiskFactor,
    RiskScore,
    SensorSnapshot,
)
from smartpdu.safety import dew_point_sensor
from smartpdu.storage.factory import open_store

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo-rack.yaml"


class FakeRuntime:
    def __init__(self, data_dir: Path, config: RackConfig | None = None) -> None:
        self._config = config or load_config(DEMO)
        self._store = open_store(f"sqlite:///{data_dir / 'smartpdu.db'}")
        self._t0 = datetime(2026, 1, 1, tzinfo=UTC)
        self._ticks = itertools.count()
        self._tick = 0
        self.bus = EventBus()
        self.events = EventLog(
            self._store, load_or_create_device_key(data_dir), self.now_utc, bus=self.bus
        )
        self._on = {(p.id, o.id): True for p in self._config.pdus for o in p.outlets}
        self._energy = {
            (p.id, o.id): 1000.0 + i for p in self._config.pdus for i, o in enumerate(p.outlets)
        }
        self.commands: list[OutletCommand] = []
        self.resets: list[tuple[str, str | None, str]] = []
        self._snapshot = self._build()

    @property
    def config(self) -> RackConfig:
        return self._config

    @property
    def store(self):
        return self._store

    @property
    def snapshot(self) -> RackSnapshot:
        return self._snapshot

    def now_utc(self) -> datetime:
        return self._t0 + timedelta(seconds=0.2 * self._tick)

    def tick(self) -> RackSnapshot:
        self._tick = next(self._ticks) + 1
        self._snapshot = self._build()
        return self._snapshot

    async def snapshots(self) -> AsyncIterator[RackSnapshot]:
        yield self._snapshot

    def _reading(self, amps: float, energy_wh: float) -> ChannelReading:
        v, pf = 230.0 + 0.01 * (self._tick % 7), 0.97
        s = v * amps
        return ChannelReading(
            v_rms_v=v,
            i_rms_a=amps,
            p_w=s * pf,
            s_va=s,
            q1_var=s * 0.2,
            pf=pf,
            cos_phi=0.99,
            thd_u_pct=2.0,
            thd_i_pct=8.0,
            crest_factor=1.5,
            i_peak_a=amps * 1.5,
            frequency_hz=50.0,
            energy_wh=energy_wh,
            energy_resettable_wh=energy_wh,
        )

    def _outlet(self, pdu_id: str, index: dict[str, int], oid: str) -> tuple[bool, ChannelReading]:
        on = self._on[(pdu_id, oid)]
        amps = (0.5 + 0.1 * index[oid] + 0.001 * self._tick) if on else 0.0
        return on, self._reading(amps, self._energy[(pdu_id, oid)])

    def _combine(self, _level: str, readings: Sequence[ChannelReading]) -> ChannelReading:
        return self._reading(sum(r.i_rms_a for r in readings), sum(r.energy_wh for r in readings))

    def _pdu(self, pc: PduConfig) -> PduSnapshot:
        index = {oc.id: i for i, oc in enumerate(pc.outlets)}
        kinds = {bc.id: bc.breaker.kind for bc in pc.branches}
        return pdu_snapshot(
            pc,
            lambda oid: self._outlet(pc.id, index, oid),
            self._combine,
            inlet_extra={"neutral_a": 0.3, "residual_ma": 1.2},
            outlet_extra=lambda oid: {
                "residual_ma": (0.4 if self._on[(pc.id, oid)] else 0.0)
                if pc.residual_per_outlet
                else None
            },
            branch_extra=lambda bid: {"residual_ma": 2.5 if kinds[bid] == "RCBO" else None},
        )

    def _build(self) -> RackSnapshot:
        pdus = {pc.id: self._pdu(pc) for pc in self._config.pdus}
        values = {"temperature": 24.0, "humidity": 45.0, "voc": 120.0, "vibration": 0.01}
        sensors = {
            s.id: SensorSnapshot(
                id=s.id,
                kind=str(s.kind),
                name=s.name,
                value=values.get(str(s.kind), 0.0),
                unit="",
                status="ok",
                pdu=s.pdu,
            )
            for s in self._config.sensors
        }
        dew = dew_point_sensor(sensors)  # derived like the runtime does
        if dew is not None:
            sensors[dew.id] = dew
        return RackSnapshot(
            tick=self._tick,
            timestamp_utc=self.now_utc().isoformat(),
            t_s=0.2 * self._tick,
            rack_name=self._config.rack.name,
            pdus=pdus,
            sensors=sensors,
            risk=RiskScore(20.0, (RiskFactor("redundancy", 20.0, "1 miswired device(s)"),)),
        )

    async def outlet_command(self, command: OutletCommand) -> CommandResult:
        self.commands.append(command)
        pdu = next((p for p in self._config.pdus if p.id == command.pdu_id), None)
        if pdu is None or any((pdu.id, o) not in self._on for o in command.outlet_ids):
            return CommandResult("c", CommandStatus.REJECTED, detail="unknown outlet")
        outcomes, seqs = [], []
        for oid in command.outlet_ids:
            on = command.action is not OutletAction.OFF
            self._on[(pdu.id, oid)] = on
            code = {"on": "OUTLET_ON", "off": "OUTLET_OFF", "cycle": "OUTLET_CYCLE"}[
                command.action.value
            ]
            ev = self.events.append(
                NewEvent(
                    pdu_id=pdu.id,
                    source=f"outlet/{oid}",
                    event_code=code,
                    message=f"Outlet {oid} {command.action.value}",
                    action_taken=Action.SWITCH,
                    actor=command.actor,
                    command_id=command.command_id,
                )
            )
            seqs.append(ev.sequence_id)
            outcomes.append(OutletOutcome(oid, CommandStatus.DONE, event_code=code))
        self._snapshot = replace(self._build(), tick=self._tick)
        return CommandResult(
            "c", CommandStatus.DONE, tuple(outcomes), event_sequence_ids=tuple(seqs)
        )

    async def reset_energy(self, pdu_id: str, channel: str | None, actor: str) -> int:
        self.resets.append((pdu_id, channel, actor))
        self.events.append(
            NewEvent(
                pdu_id=pdu_id,
                source=channel or "pdu",
                event_code="ENERGY_REGISTER_RESET",
                message="energy reset",
                action_taken=Action.RESET,
                actor=actor,
            )
        )
        return 1

    async def apply_config(self, yaml_text: str, actor: str, comment: str = "") -> int:
        raise NotImplementedError

    async def rollback_config(self, version: int, actor: str) -> int:
        raise NotImplementedError

    def close(self) -> None:
        self.events.close()
        self._store.close()
