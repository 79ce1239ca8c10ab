"""``smartpdu webhook add|list|test|deliveries|redeliver|rotate|enable|disable|delete``.

Talks to a running instance over ``/api/v1/webhooks`` (admin login: the ``configure``
permission). ``add`` and ``rotate`` print the signing secret once — the instance never shows it
again; configure it in the receiver right away.
"""

from __future__ import annotations

import typer

from smartpdu.cli.client_cmds import PasswordOpt, TokenOpt, UrlOpt, UserOpt, _client, console

__all__ = ["webhook_app"]

webhook_app = typer.Typer(help="Manage webhook subscriptions of a running instance.",
                          no_args_is_help=True)  # fmt: skip


def _secret_note(secret: str) -> None:
    console.print(f"secret: {secret}", soft_wrap=True, markup=False, highlight=False)
    console.print("store this secret in the receiver now: it is not shown again")


@webhook_app.command("add")
def add(
    target: str = typer.Argument(..., help="Receiver URL (http or https)"),
    event: list[str] = typer.Option([], "--event", help="Only this event code (repeatable)"),
    severity: str = typer.Option("info", "--severity", help="Lowest severity sent"),
    source: list[str] = typer.Option([], "--source", help="outlet/7 or outlet/* (repeatable)"),
    pdu: list[str] = typer.Option([], "--pdu", help="Only this PDU (repeatable)"),
    template: str = typer.Option(
        "standard", "--template", help="standard, slack, teams, mattermost or ticket"
    ),
    description: str = typer.Option("", "--description"),
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
) -> None:
    """Create a webhook receiving events from now on; prints its id and secret (once)."""
    with _client(url, token, user, password) as c:
        out = c.post(
            "/webhooks",
            url=target,
            event_codes=event,
            min_severity=severity,
            sources=source,
            pdu_ids=pdu,
            template=template,
            description=description,
        )
    console.print(
        f"webhook {out['id']} created for {out['url']}",
        soft_wrap=True,
        markup=False,
        highlight=False,
    )
    _secret_note(out["secret"])


@webhook_app.command("list")
def list_(
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
) -> None:
    """List webhooks with their filters and delivery health."""
    with _client(url, token, user, password) as c:
        hooks = c.get("/webhooks")
    if not hooks:
        console.print("no webhooks")
    for h in hooks:  # one line each: greppable, never squeezed by a narrow terminal
        st = h.get("status") or {}
        filters = ",".join([*h["event_codes"], *h["sources"], *h["pdu_ids"]]) or "all"
        state = "enabled" if h["enabled"] else f"DISABLED ({h['disabled_reason']})"
        line = (
            f"{h['id']}  {state}  {h['url']}  filters={filters} severity>={h['min_severity']} "
            f"template={h['template']} backlog={st.get('backlog', '-')} "
            f"failures={st.get('failures', 0)} {st.get('last_error', '')}"
        )
        console.print(line.rstrip(), soft_wrap=True, markup=False, highlight=False)


@webhook_app.command("test")
def test(
    webhook_id: str = typer.Argument(...),
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
) -> None:
    """Send a signed webhook.test ping now and show the receiver's answer."""
    with _client(url, token, user, password) as c:
        r = c.post(f"/webhooks/{webhook_id}/test")
    console.print(
        f"{'ok' if r['ok'] else 'FAILED'}: {r['detail']} in {r['latency_s'] * 1000:.1f} ms"
    )
    if not r["ok"]:
        raise typer.Exit(1)


@webhook_app.command("deliveries")
def deliveries(
    webhook_id: str = typer.Argument(...),
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
) -> None:
    """The delivery log (newest first): webhook-id, events, attempt, result, latency."""
    with _client(url, token, user, password) as c:
        rows = c.get(f"/webhooks/{webhook_id}/deliveries")
    if not rows:
        console.print("no deliveries yet")
    for r in rows:
        line = (
            f"{r['at_utc']}  {r['delivery_id']}  attempt {r['attempt']}  "
            f"{'ok' if r['ok'] else 'FAIL'} {r['detail']}  {r['latency_s'] * 1000:.1f} ms"
        )
        console.print(line, soft_wrap=True, markup=False, highlight=False)


@webhook_app.command("redeliver")
def redeliver(
    webhook_id: str = typer.Argument(...),
    pdu: str = typer.Option(..., "--pdu", help="PDU whose events to send again"),
    seq: int = typer.Option(..., "--seq", help="First sequence id"),
    to: int | None = typer.Option(None, "--to", help="Last sequence id (default: --seq)"),
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
) -> None:
    """Send events again under their original webhook-id (receivers deduplicate)."""
    with _client(url, token, user, password) as c:
        r = c.post(f"/webhooks/{webhook_id}/redeliver", pdu_id=pdu, first_seq=seq, last_seq=to)
    console.print(f"{r['sent']} event(s) redelivered")


@webhook_app.command("rotate")
def rotate(
    webhook_id: str = typer.Argument(...),
    overlap_s: float | None = typer.Option(
        None, "--overlap-s", help="How long the old secret keeps signing"
    ),
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
) -> None:
    """New signing secret; the old one keeps signing during the overlap."""
    with _client(url, token, user, password) as c:
        out = c.post(f"/webhooks/{webhook_id}/rotate-secret", overlap_s=overlap_s)
    _secret_note(out["secret"])


def _set_enabled(
    webhook_id: str,
    enabled: bool,
    url: str | None,
    token: str | None,
    user: str | None,
    password: str | None,
) -> None:
    with _client(url, token, user, password) as c:
        c.patch(f"/webhooks/{webhook_id}", enabled=enabled)
    console.print(f"webhook {webhook_id} {'enabled' if enabled else 'disabled'}")


@webhook_app.command("enable")
def enable(
    webhook_id: str = typer.Argument(...),
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
) -> None:
    """Enable again (delivers what it missed while disabled)."""
    _set_enabled(webhook_id, True, url, token, user, password)


@webhook_app.command("disable")
def disable(
    webhook_id: str = typer.Argument(...),
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
) -> None:
    """Stop delivering (events keep queueing in the outbox)."""
    _set_enabled(webhook_id, False, url, token, user, password)


@webhook_app.command("delete")
def delete(
    webhook_id: str = typer.Argument(...),
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
) -> None:
    """Delete the webhook and its delivery state."""
    with _client(url, token, user, password) as c:
        c.delete(f"/webhooks/{webhook_id}")
    console.print(f"webhook {webhook_id} deleted")
