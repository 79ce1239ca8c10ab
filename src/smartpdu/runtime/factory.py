"""Build a runtime on the digital twin (demo, tests, benchmarks)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from smartpdu.config import RackConfig, load_config
from smartpdu.runtime.clock import Clock, SimClock, WallClock
from smartpdu.runtime.engine import RackRuntime
from smartpdu.storage import Store, open_store

__all__ = ["DEMO_CONFIG", "build_demo_runtime", "build_twin_runtime"]

DEMO_CONFIG = Path(__file__).resolve().parents[3] / "configs" / "demo-rack.yaml"


def _demo_config_path() -> Path:
    if DEMO_CONFIG.exists():
        return DEMO_CONFIG
    from importlib.resources import files

    return Path(str(files("smartpdu") / "data" / "demo-rack.yaml"))


def build_twin_runtime(
    config: RackConfig,
    data_dir: Path,
    *,
    db_url: str | None = None,
    seed: int = 0,
    sim: bool = True,
    clock: Clock | None = None,
    control_factory: Callable[[RackConfig, Store], Any] | None = None,
) -> RackRuntime:
    """A runtime on a fresh :class:`~smartpdu.twin.RackTwin` of ``config`` (not started)."""
    from smartpdu.twin.rack import RackTwin

    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(db_url or f"sqlite:///{data_dir / 'smartpdu.db'}")
    twin = RackTwin(config, seed=seed)
    return RackRuntime(
        config,
        twin,
        store,
        clock=clock or (SimClock() if sim else WallClock()),
        data_dir=data_dir,
        control_factory=control_factory,
    )


def build_demo_runtime(
    data_dir: Path,
    *,
    db_url: str | None = None,
    seed: int = 0,
    sim: bool = True,
    config: RackConfig | None = None,
    control_factory: Callable[[RackConfig, Store], Any] | None = None,
) -> RackRuntime:
    """A runtime on the twin of ``configs/demo-rack.yaml``; ``runtime.hardware`` is the twin."""
    cfg = config or load_config(_demo_config_path())
    return build_twin_runtime(
        cfg, data_dir, db_url=db_url, seed=seed, sim=sim, control_factory=control_factory
    )
