"""Shared fixtures: the demo rack config and a control plane driving a synthetic rack."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from synthetic_rack import SyntheticRack

from smartpdu.config import RackConfig, load_config
from smartpdu.control import ControlPlane, ControlSettings, MemoryKv, TickOutput
from smartpdu.events.model import NewEvent
from smartpdu.model.commands import CommandResult

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo-rack.yaml"


@pytest.fixture(scope="session")
def demo_config() -> RackConfig:
    return load_config(DEMO)


@dataclass
class Loop:
    """Plane + synthetic rack stepped window by window; records everything that came out."""

    plane: ControlPlane
    rack: SyntheticRack
    events: list[NewEvent] = field(default_factory=list)
    completed: dict[str, CommandResult] = field(default_factory=dict)
    relays: list[tuple[int, str, str, bool]] = field(default_factory=list)

    def _take(self, out: TickOutput, tick: int) -> None:
        self.events.extend(out.journal_events)  # committed before the relays move
        self.rack.apply(out.relay_commands)
        self.events.extend(out.events)
        for r in out.completed:
            self.completed[r.command_id] = r
        self.relays.extend((tick, c.pdu_id, c.outlet_id, c.on) for c in out.relay_commands)

    def start(self) -> None:
        snap = self.rack.snapshot()
        self._take(self.plane.on_start(snap, None, snap.t_s), snap.tick)

    def step(self, n: int = 1) -> None:
        for _ in range(n):
            snap = self.rack.snapshot()
            self._take(self.plane.on_tick(snap, None), snap.tick)

    @property
    def t_s(self) -> float:
        return self.rack.tick * self.rack.window_s

    def codes(self, code: str) -> list[NewEvent]:
        return [e for e in self.events if e.event_code == code]


@pytest.fixture
def make_loop(demo_config: RackConfig):
    def make(
        config: RackConfig | None = None, settings: ControlSettings | None = None, kv=None
    ) -> Loop:
        cfg = config or demo_config
        loop = Loop(ControlPlane(cfg, kv=kv or MemoryKv(), settings=settings), SyntheticRack(cfg))
        return loop

    return make
