"""``smartpdu config ...``: validate and normalise rack configuration files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from smartpdu.config import ConfigError, dump_config, load_config

config_app = typer.Typer(
    help="Validate and inspect rack configuration files.", no_args_is_help=True
)
_err = Console(stderr=True, soft_wrap=True)


@config_app.command("validate")
def validate(
    file: Path = typer.Argument(..., help="Rack configuration YAML"),
    show: bool = typer.Option(False, "--show", help="Print the normalised configuration"),
) -> None:
    """Check a rack file: exit 0 when valid, 2 with every bad field named when not."""
    try:
        cfg = load_config(file)
    except ConfigError as exc:
        _err.print(f"[bold red]invalid:[/] {exc.source} ({len(exc.issues)} problem(s))")
        for issue in exc.issues:
            _err.print(f"  [yellow]{issue.path}[/]: {issue.message}", highlight=False)
        raise typer.Exit(2) from None
    outlets = sum(len(p.outlets) for p in cfg.pdus)
    typer.echo(
        f"valid: {file} — rack {cfg.rack.name!r}, {len(cfg.pdus)} PDU(s), {outlets} outlets, "
        f"{len(cfg.devices)} devices"
    )
    from smartpdu.analytics import miswired_devices

    for device, feed, n in miswired_devices(cfg):
        _err.print(
            f"[bold yellow]warning:[/] device {device!r}: all {n} PSUs are on feed {feed} "
            "(no A/B redundancy)",
            highlight=False,
        )
    if show:
        typer.echo(dump_config(cfg))
