"""Build the controller's parts: store, event log, runtime on the digital twin (demo, tests,
benchmarks, ``smartpdu run`` and ``smartpdu calibrate``). The one place that knows how they fit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from smartpdu.config import ConfigError, RackConfig, dump_config, load_config, parse_config
from smartpdu.events import EventLog, load_or_create_device_key
from smartpdu.runtime.calibration_store import load_calibration
from smartpdu.runtime.clock import Clock, SimClock, WallClock
from smartpdu.runtime.rack import RackRuntime
from smartpdu.storage import Store, open_store

__all__ = [
    "DEMO_CONFIG",
    "build_demo_runtime",
    "build_twin_runtime",
    "demo_config_path",
    "open_data_store",
    "open_event_log",
    "start_config",
]

log = logging.getLogger(__name__)

DEMO_CONFIG = Path(__file__).resolve().parents[3] / "configs" / "demo-rack.yaml"


def demo_config_path() -> Path:
    """The demo rack's YAML (from the source tree, else from the installed package)."""
    if DEMO_CONFIG.exists():
        return DEMO_CONFIG
    from importlib.resources import files

    return Path(str(files("smartpdu") / "data" / "demo-rack.yaml"))


def open_data_store(data_dir: Path, db_url: str | None = None) -> Store:
    """The controller's store: ``db_url``, else SQLite ``smartpdu.db`` in ``data_dir``."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    return open_store(db_url or f"sqlite:///{data_dir.resolve() / 'smartpdu.db'}")


def open_event_log(store: Store, data_dir: Path, clock: Clock) -> EventLog:
    """The event chain writer for a tool that runs without the runtime (the runtime owns its
    own): the same device key, so checkpoints verify with the controller's public key."""
    return EventLog(store, load_or_create_device_key(Path(data_dir)), clock.now_utc)


def start_config(store: Store, seed_config: RackConfig) -> RackConfig:
    """The configuration a controller starts with: the store's active version wins.

    ``--config`` seeds a new store (it becomes version 1); on a store that already has versions,
    changes made over the API (``PUT /config``, rollbacks) survive a restart with the same
    ``--config``. To replace the stored configuration by the file, import it explicitly
    (``smartpdu run --import-config``: applied as a new, audited version). A stored version that
    no longer parses (written by an older release) is reported and the file is used.
    """
    stored = store.get_config_version()
    if stored is None:
        return seed_config
    try:
        active = parse_config(stored.yaml_text, f"stored configuration version {stored.version}")
    except ConfigError as exc:
        log.error("%s; starting with the given configuration file instead", exc)
        return seed_config
    if dump_config(active) != dump_config(seed_config):
        log.warning(
            "starting with stored configuration version %d, not the --config file "
            "(use --import-config to apply the file as a new version)",
            stored.version,
        )
    return active


def build_twin_runtime(
    config: RackConfig,
    data_dir: Path,
    *,
    db_url: str | None = None,
    seed: int = 0,
    sim: bool = True,
    clock: Clock | None = None,
    control_factory: Callable[[RackConfig, Store], Any] | None = None,
    **runtime_options: Any,
) -> RackRuntime:
    """A runtime on a fresh :class:`~smartpdu.twin.RackTwin` of ``config`` (not started).

    ``runtime_options`` go to :class:`RackRuntime` (e.g. ``demand_window_s``)."""
    from smartpdu.app.bench import TwinBench, bench_errors
    from smartpdu.twin.frontend import FrontEndTwin
    from smartpdu.twin.rack import RackTwin

    data_dir = Path(data_dir)
    store = open_data_store(data_dir, db_url)
    config = start_config(store, config)
    calibration = {}
    for pdu in config.pdus:
        cal = load_calibration(store, pdu.id)
        if cal is not None:
            calibration[pdu.id] = cal
    # The twin samples calibrated channels through the front-end errors they were calibrated
    # for (the unit on the bench); the bench updates them when the running rack is calibrated.
    hardware = FrontEndTwin(RackTwin(config, seed=seed), bench_errors(config, store, calibration))
    runtime_options.setdefault("calibration_bench", TwinBench(config, store, hardware, calibration))
    return RackRuntime(
        config,
        hardware,
        store,
        clock=clock or (SimClock() if sim else WallClock()),
        data_dir=data_dir,
        calibration=calibration,
        control_factory=control_factory,
        **runtime_options,
    )


def build_demo_runtime(
    data_dir: Path,
    *,
    db_url: str | None = None,
    seed: int = 0,
    sim: bool = True,
    config: RackConfig | None = None,
    control_factory: Callable[[RackConfig, Store], Any] | None = None,
    **runtime_options: Any,
) -> RackRuntime:
    """A runtime on the twin of ``configs/demo-rack.yaml``; ``runtime.hardware`` is the twin."""
    cfg = config or load_config(demo_config_path())
    return build_twin_runtime(
        cfg,
        data_dir,
        db_url=db_url,
        seed=seed,
        sim=sim,
        control_factory=control_factory,
        **runtime_options,
    )
