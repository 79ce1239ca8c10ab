"""``smartpdu lever unlock|lock TARGET`` and ``smartpdu lever log``: rack access over REST.

TARGET names a lever by id (``lever-front``), scoped id (``rack/lever/lever-front``) or by
position (``rack/front``, ``front``: the one lever on that side). Unlocks are audited with the
CLI user as actor; ``--for 60s`` keeps the lever unlocked that long unless it is opened (then it
relocks when the door closes).
"""

from __future__ import annotations

import json
import sys
import uuid
from typing import Any

import typer

from smartpdu.cli.client_cmds import (
    ApiClient,
    PasswordOpt,
    TokenOpt,
    UrlOpt,
    UserOpt,
    _client,
    console,
)

__all__ = ["lever_app"]

lever_app = typer.Typer(help="Unlock and lock rack levers; read the access log.",
                        no_args_is_help=True)  # fmt: skip


def resolve_lever(levers: list[dict[str, Any]], target: str) -> str:
    """The lever id TARGET names (id, ``rack/lever/<id>``, ``rack/<id>``, ``rack/<position>``)."""
    name = target.removeprefix("rack/").removeprefix("lever/")
    ids = [str(lv["id"]) for lv in levers]
    if name in ids:
        return name
    by_side = [str(lv["id"]) for lv in levers if lv.get("position") == name]
    if len(by_side) == 1:
        return by_side[0]
    raise typer.BadParameter(
        f"no lever {target!r}; levers: {', '.join(ids) or 'none'} "
        "(or rack/front, rack/rear when one lever is on that side)",
        param_hint="TARGET",
    )


def _lever_id(c: ApiClient, target: str) -> str:
    return resolve_lever(c.get("/levers"), target)


def _print(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, indent=2))
        return
    hold = f" for {result['unlock_s']:g} s" if result.get("unlock_s") else ""
    console.print(f"{result['lever_id']}: [bold]{result['status']}[/]{hold} ({result['reason']})")


@lever_app.command("unlock")
def unlock(
    target: str = typer.Argument(..., metavar="TARGET", help="e.g. rack/front or lever-front"),
    for_: str | None = typer.Option(
        None, "--for", help="How long, e.g. 60s, 5m (default: the lever's auto-relock time)"
    ),
    command_id: str | None = typer.Option(None, "--command-id"),
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Unlock a lever (it relocks after --for unless opened, and when the door closes)."""
    from smartpdu.twin.scenario import parse_duration

    seconds = None
    if for_ is not None:
        try:
            seconds = parse_duration(for_)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--for") from None
        if not 0 < seconds <= 3600:
            raise typer.BadParameter("between 1 s and 1 h", param_hint="--for")
    key = command_id or str(uuid.uuid4())
    body = {"for_s": seconds} if seconds is not None else {}
    with _client(url, token, user, password) as c:
        lever = _lever_id(c, target)
        result = c.post(f"/levers/{lever}/unlock", headers={"Idempotency-Key": key}, **body)
    _print(result, as_json)


@lever_app.command("lock")
def lock(
    target: str = typer.Argument(..., metavar="TARGET"),
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Lock a lever now (or as soon as its door closes)."""
    with _client(url, token, user, password) as c:
        lever = _lever_id(c, target)
        result = c.post(f"/levers/{lever}/lock")
    _print(result, as_json)


@lever_app.command("log")
def access_log(
    lever: str | None = typer.Option(None, "--lever"),
    actor: str | None = typer.Option(None, "--actor", help="e.g. user/alice"),
    since: str | None = typer.Option(None, "--since", help="RFC 3339"),
    until: str | None = typer.Option(None, "--until", help="RFC 3339"),
    csv_out: bool = typer.Option(False, "--csv", help="CSV to stdout"),
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
) -> None:
    """Show the access log (auditors and administrators)."""
    params = {k: v for k, v in (("lever", lever), ("actor", actor), ("since", since),
                                ("until", until)) if v is not None}  # fmt: skip
    with _client(url, token, user, password) as c:
        if csv_out:
            r = c._request("GET", "/access-log", params={**params, "format": "csv"})
            sys.stdout.write(r.text)
            return
        rows = c.get("/access-log", **params)
    for r in rows:
        open_s = f" open {r['open_s']:.0f} s" if r.get("open_s") is not None else ""
        console.print(f"{r['timestamp_utc']} {r['lever_id']} {r['result']} {r['actor']} "
                      f"({r['method']}) {r['reason']}{open_s}")  # fmt: skip
