"""Root of the ``smartpdu`` CLI; each area registers its sub-app or command here, by import path.

Commands are loaded when they run, not when the CLI starts: the metering engine, the twin, the
runtime and the HTTP client pull in numpy/scipy/numba/fastapi/httpx, and ``smartpdu --help``
(or a shell completion) should not wait for them. The root help lists the short help given here;
a test keeps it equal to each command's own.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

__all__ = ["COMMANDS", "app", "load_command"]

COMMANDS: dict[str, tuple[str, str, str]] = {
    # name: (module, attribute: a command function or a Typer sub-app, short help)
    "run": (
        "smartpdu.cli.serve_cmd",
        "run",
        "Run the controller for CONFIG on the digital twin, serving REST and Redfish.",
    ),
    "demo": (
        "smartpdu.cli.serve_cmd",
        "demo",
        "Start the simulated demo rack on 127.0.0.1 (port 8080 or the next free one), print the "
        "URL and admin credentials, and save a client profile so ``smartpdu status`` just works.",
    ),
    "calibrate": (
        "smartpdu.cli.calibrate_cmd",
        "calibrate",
        "Apply a reference load, compute gain/phase/offset, verify at a second point, store.",
    ),
    "status": (
        "smartpdu.cli.client_cmds",
        "status",
        "Show PDUs and their outlets (state, current, power, energy) of a running instance.",
    ),
    "events": (
        "smartpdu.cli.client_cmds",
        "events",
        "Print events (oldest first); with --follow, the latest ones and then new ones live.",
    ),
    "config": (
        "smartpdu.cli.config_cmd",
        "config_app",
        "Validate and inspect rack configuration files.",
    ),
    "meter": (
        "smartpdu.cli.meter_cmd",
        "meter_app",
        "Analyse scope captures with the metering engine.",
    ),
    "twin": ("smartpdu.cli.twin_cmd", "twin_app", "Run the digital twin with scenarios."),
    "replay": (
        "smartpdu.cli.replay_cmd",
        "replay",
        "Run SCENARIO through the full controller on the sim clock and print the events it logged.",
    ),
    "export": (
        "smartpdu.cli.client_cmds",
        "export_app",
        "Export energy history from a running instance.",
    ),
    "audit": ("smartpdu.cli.client_cmds", "audit_app", "Verify the tamper-evident event log."),
    "outlet": ("smartpdu.cli.outlet_cmd", "outlet_app", "Switch outlets of a running instance."),
    "user": ("smartpdu.cli.user_cmd", "user_app", "Manage users of a running instance."),
    "lever": (
        "smartpdu.cli.lever_cmd",
        "lever_app",
        "Unlock and lock rack levers; read the access log.",
    ),
    "webhook": (
        "smartpdu.cli.webhook_cmd",
        "webhook_app",
        "Manage webhook subscriptions of a running instance.",
    ),
    "capacity": (
        "smartpdu.cli.capacity_cmd",
        "capacity",
        "Show the reserve of every branch and inlet phase (80 % rule and N redundancy).",
    ),
    "redundancy": (
        "smartpdu.cli.capacity_cmd",
        "redundancy",
        "Show miswired devices, each device's share per feed and the failover projection.",
    ),
    "alarms": (
        "smartpdu.cli.alarms_cmd",
        "alarms_app",
        "List and acknowledge alarms of a running instance.",
    ),
}


def load_command(name: str) -> Any:
    """Import and build the (click) command registered as ``name``.

    Typed ``Any``: typer vendors its own click in recent versions, the exact class is typer's.
    """
    module, attr, short_help = COMMANDS[name]
    target: Any = getattr(importlib.import_module(module), attr)
    if isinstance(target, typer.Typer):
        group = typer.main.get_group(target)
        group.help = short_help  # as ``add_typer(..., help=...)`` did
        group.name = name
        return group
    single = typer.Typer()
    single.command(name)(target)
    cmd = typer.main.get_command(single)
    cmd.name = name
    return cmd


class _LazyGroup(TyperGroup):
    """Root group: builds a command on first use; the root help shows the registered short help."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in COMMANDS if n not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        if self._listing:  # the root help only needs the name and the short help
            return TyperCommand(cmd_name, short_help=COMMANDS[cmd_name][2], help="")
        self.commands[cmd_name] = load_command(cmd_name)
        return self.commands[cmd_name]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="smartpdu",
    help="SmartPDU controller and digital twin.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=_LazyGroup,
)


@app.callback()
def _root() -> None:
    """SmartPDU controller and digital twin."""
