"""``smartpdu outlet on|off|cycle|ack PDU/OUTLET``: switch outlets of a running instance over REST."""

from __future__ import annotations

import json
import uuid
from enum import StrEnum

import typer

from smartpdu.cli.client_cmds import (
    PasswordOpt,
    TokenOpt,
    UrlOpt,
    UserOpt,
    _client,
    console,
)

__all__ = ["outlet_app"]

outlet_app = typer.Typer(help="Switch outlets of a running instance.", no_args_is_help=True)


class _Action(StrEnum):
    ON = "on"
    OFF = "off"
    CYCLE = "cycle"


def _split(target: str) -> tuple[str, str]:
    pdu, sep, outlet = target.rpartition("/")
    if not sep or not pdu or not outlet:
        raise typer.BadParameter("name the outlet as PDU/OUTLET, e.g. pdu-a/7", param_hint="ID")
    return pdu, outlet


def _switch(action: _Action):  # type: ignore[no-untyped-def]
    def command(
        target: str = typer.Argument(..., metavar="PDU/OUTLET", help="e.g. pdu-a/7"),
        off_period_s: float | None = typer.Option(
            None, "--off-period", help="cycle: seconds the outlet stays off"
        ),
        command_id: str | None = typer.Option(
            None, "--command-id", help="Idempotency key (a repeat executes once)"
        ),
        url: str | None = UrlOpt,
        token: str | None = TokenOpt,
        user: str | None = UserOpt,
        password: str | None = PasswordOpt,
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        pdu, outlet = _split(target)
        key = command_id or str(uuid.uuid4())
        body = {"off_period_s": off_period_s} if off_period_s is not None else {}
        with _client(url, token, user, password) as c:
            result = c.post(
                f"/pdus/{pdu}/outlets/{outlet}/actions/{action.value}",
                headers={"Idempotency-Key": key},
                **body,
            )
        if as_json:
            print(json.dumps(result, indent=2))
            return
        console.print(f"{pdu}/{outlet} {action.value}: [bold]{result['status']}[/] ({key})")
        for o in result.get("outlets", []):
            code = f" {o['event_code']}" if o.get("event_code") else ""
            console.print(f"  outlet {o['outlet_id']}: {o['status']}{code} {o.get('detail', '')}")

    command.__doc__ = (
        f"Switch an outlet {action.value} (verified against relay feedback and current)."
    )
    return command


for _a in _Action:
    outlet_app.command(_a.value)(_switch(_a))


@outlet_app.command("ack")
def acknowledge(
    target: str = typer.Argument(..., metavar="PDU/OUTLET"),
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
) -> None:
    """Acknowledge a protection hold so the outlet may be switched on again."""
    pdu, outlet = _split(target)
    with _client(url, token, user, password) as c:
        event = c.post(f"/pdus/{pdu}/outlets/{outlet}/acknowledge")
    console.print(f"#{event['sequence_id']} {event['event_code']}: {event['message']}")
