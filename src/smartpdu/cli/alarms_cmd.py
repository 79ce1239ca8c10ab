"""``smartpdu alarms [--active|--all|--cleared]`` and ``smartpdu alarms ack ID --comment ...`` over REST."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from smartpdu.cli.client_cmds import PasswordOpt, TokenOpt, UrlOpt, UserOpt, _client, console

__all__ = ["alarms_app"]

alarms_app = typer.Typer(
    help="List and acknowledge alarms of a running instance.", invoke_without_command=True
)


def _value(x: float | None, unit: str) -> str:
    return "–" if x is None else f"{x:.4g} {unit}"


@alarms_app.callback()
def alarms(
    ctx: typer.Context,
    active: bool = typer.Option(False, "--active", help="Only active alarms (the default)"),
    show_all: bool = typer.Option(False, "--all", help="Active and recently cleared alarms"),
    cleared: bool = typer.Option(False, "--cleared", help="Only recently cleared alarms"),
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
    as_json: bool = typer.Option(False, "--json", help="The alarms as a JSON list"),
) -> None:
    """List the active alarms (newest first); ``ack ID`` acknowledges one."""
    if ctx.invoked_subcommand is not None:
        return
    if active + show_all + cleared > 1:
        raise typer.BadParameter("choose one of --active, --all, --cleared")
    state = "all" if show_all else ("cleared" if cleared else "active")
    with _client(url, token, user, password) as c:
        found = c.get("/alarms", state=state)
    if as_json:
        print(json.dumps(found, indent=2))
        return
    if not found:
        console.print(f"no {state if state != 'all' else ''} alarms".replace("  ", " "))
        return
    table = Table(title=f"alarms ({state})")
    for col in ("id", "state", "severity", "rule", "entity", "value", "limit", "raised", "by"):
        table.add_column(col)
    for a in found:
        table.add_row(
            str(a["id"]),
            a["state"] + (" (stale)" if a["stale"] else ""),
            a["severity"],
            f"{a['rule']} {a['condition']}",
            a["entity"],
            _value(a["value"], a["unit"]),
            _value(a["limit"], a["unit"]),
            a["raised_utc"],
            a["acknowledged_by"] or "",
        )
    console.print(table)


@alarms_app.command("ack")
def ack(
    alarm_id: int = typer.Argument(..., min=1, help="Alarm id (see `smartpdu alarms`)"),
    comment: str = typer.Option(..., "--comment", "-m", help="What is being done about it"),
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
) -> None:
    """Acknowledge an active alarm (audited with your user and the comment)."""
    with _client(url, token, user, password) as c:
        a = c.post(f"/alarms/{alarm_id}/acknowledge", comment=comment)
    console.print(f"alarm #{a['id']} {a['rule']} on {a['entity']}: [bold]{a['state']}[/]")
