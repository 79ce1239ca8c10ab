"""``smartpdu capacity`` and ``smartpdu redundancy``: capacity reserve and the A/B audit of a
running instance, over REST."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from smartpdu.cli.client_cmds import PasswordOpt, TokenOpt, UrlOpt, UserOpt, _client, console

__all__ = ["capacity", "redundancy"]


def capacity(
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
    as_json: bool = typer.Option(False, "--json", help="The rows as JSON"),
) -> None:
    """Show the reserve of every branch and inlet phase (80 % rule and N redundancy)."""
    with _client(url, token, user, password) as c:
        rows = c.get("/capacity")
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title="capacity (limit = 80 % of rating)")
    for col in ("pdu", "entity", "measured A", "limit A", "reserve kW", "if other feed fails A",
                "N reserve kW"):  # fmt: skip
        table.add_column(col)
    for r in rows:
        table.add_row(r["pdu_id"], r["entity"], f"{r['measured_a']:.2f}", f"{r['limit_a']:.1f}",
                      f"{r['reserve_kw']:.2f}", f"{r['n_projected_a']:.2f}",
                      f"{r['n_reserve_kw']:.2f}")  # fmt: skip
    console.print(table)


def redundancy(
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
    as_json: bool = typer.Option(False, "--json", help="The audit as JSON"),
) -> None:
    """Show miswired devices, each device's share per feed and the failover projection."""
    with _client(url, token, user, password) as c:
        audit = c.get("/redundancy")
    if as_json:
        print(json.dumps(audit, indent=2))
        return
    for m in audit["miswired"]:
        console.print(f"[bold yellow]miswired:[/] {m['device']}: all {m['psus']} PSUs on feed "
                      f"{m['feed']}")  # fmt: skip
    worst = sorted(audit["failover"], key=lambda x: -x["pct"])[:10]
    table = Table(title="if a feed fails (worst 10)")
    for col in ("failed feed", "pdu", "entity", "now A", "moved A", "projected A", "% of rating"):
        table.add_column(col)
    for x in worst:
        table.add_row(x["failed_feed"], x["pdu_id"], x["entity"], f"{x['measured_a']:.2f}",
                      f"{x['moved_a']:.2f}", f"{x['projected_a']:.2f}", f"{x['pct']:.0f}")  # fmt: skip
    console.print(table)
    off = [s for s in audit["shares"] if s.get("balanced") is False]
    for s in off:
        shares = ", ".join(f"{f} {v:.0%}" for f, v in s["share"].items() if v is not None)
        console.print(f"share outside 40–60 %: {s['device']}: {shares}")
