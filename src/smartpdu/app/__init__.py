"""The composition root: builds hardware (the twin), store, runtime, port and AuthService, and
starts every interface from one registry. Nothing below imports this package."""

from smartpdu.app.factory import (
    DEMO_CONFIG,
    build_demo_runtime,
    build_twin_runtime,
    demo_config_path,
    open_data_store,
    open_event_log,
)

__all__ = [
    "DEMO_CONFIG",
    "build_demo_runtime",
    "build_twin_runtime",
    "demo_config_path",
    "open_data_store",
    "open_event_log",
]
