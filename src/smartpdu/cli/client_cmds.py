"""Client commands that talk to a running instance over the native API, plus offline audit.

``smartpdu status``, ``smartpdu events [--follow]``, ``smartpdu export energy`` use HTTP (httpx)
with ``--url`` (``SMARTPDU_URL``) and ``--token`` or ``--user``/``--password``
(``SMARTPDU_USER``/``SMARTPDU_PASSWORD``); without them, the client profile that
``smartpdu demo`` writes (:mod:`smartpdu.cli.profile`). ``smartpdu audit verify`` reads the store directly and
needs no running instance.

Mounting (root app)::

    from smartpdu.cli.client_cmds import audit_app, events, export_app, status
    app.command("status")(status)
    app.command("events")(events)
    app.add_typer(export_app, name="export")
    app.add_typer(audit_app, name="audit")
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from smartpdu.cli.event_tail import PAGE, latest_events, poll_new
from smartpdu.cli.profile import load_profile

__all__ = [
    "ApiClient",
    "ClientError",
    "audit_app",
    "audit_verify_cmd",
    "client_app",
    "default_step",
    "events",
    "export_app",
    "export_energy",
    "status",
]

DEFAULT_URL = "http://127.0.0.1:8080"
console = Console()
err = Console(stderr=True)


class ClientError(RuntimeError):
    """The instance answered with an error or could not be reached; message says what to do."""


def _problem_text(r: httpx.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return f"HTTP {r.status_code}: {r.text[:200]}"
    detail = body.get("detail") if isinstance(body, dict) else None
    return f"HTTP {r.status_code}: {detail or body}"


class ApiClient:
    """A logged-in HTTP session against ``/api/v1``; logs out on close if it logged in."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        user: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._http = httpx.Client(base_url=url.rstrip("/") + "/api/v1", timeout=timeout)
        self._owned = False
        if token is None:
            if not user or password is None:
                self._http.close()
                raise ClientError(
                    "no credentials: pass --token, or --user and --password "
                    "(or set SMARTPDU_USER / SMARTPDU_PASSWORD)"
                )
            r = self._request("POST", "/auth/login", json={"username": user, "password": password})
            token = r.json()["token"]
            self._owned = True
        self._http.headers["Authorization"] = f"Bearer {token}"

    def _request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            r = self._http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise ClientError(
                f"cannot reach {self._http.base_url}: {exc}; is the instance running?"
            ) from None
        if r.status_code >= 400:
            raise ClientError(_problem_text(r))
        return r

    def get(self, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v is not None}
        return self._request("GET", path, params=clean).json()

    def post(self, path: str, *, headers: dict[str, str] | None = None, **body: Any) -> Any:
        """POST a JSON body; a problem response raises ClientError with its detail."""
        return self._request("POST", path, json=body or None, headers=headers).json()

    def patch(self, path: str, **body: Any) -> Any:
        """PATCH a JSON body; a problem response raises ClientError with its detail."""
        return self._request("PATCH", path, json=body).json()

    def delete(self, path: str) -> None:
        """DELETE; a problem response raises ClientError with its detail."""
        self._request("DELETE", path)

    def stream_lines(self, path: str, **params: Any) -> Iterator[str]:
        """Yield lines of a streaming GET (SSE), no read timeout."""
        try:
            with self._http.stream(
                "GET", path, params=params, timeout=httpx.Timeout(10.0, read=None)
            ) as r:
                if r.status_code >= 400:
                    r.read()
                    raise ClientError(_problem_text(r))
                yield from r.iter_lines()
        except httpx.HTTPError as exc:
            raise ClientError(f"stream from {self._http.base_url} ended: {exc}") from None

    def close(self) -> None:
        if self._owned:
            with suppress(httpx.HTTPError):
                self._http.post("/auth/logout")
        self._http.close()


# -- shared options ---------------------------------------------------------------------------
UrlOpt = typer.Option(
    None,
    "--url",
    envvar="SMARTPDU_URL",
    help=f"Instance base URL (default: the demo's client profile, else {DEFAULT_URL})",
)
TokenOpt = typer.Option(None, "--token", envvar="SMARTPDU_TOKEN", help="Bearer token")
UserOpt = typer.Option(None, "--user", envvar="SMARTPDU_USER", help="Username")
PasswordOpt = typer.Option(None, "--password", envvar="SMARTPDU_PASSWORD", help="Password")


def resolve_target(url: str | None, token: str | None, user: str | None) -> tuple[str, str | None]:
    """The URL and token to use: flags first, else the client profile (its token only when it
    is for the same URL and no other credentials were given), else the default URL."""
    profile = load_profile()
    if profile is None:
        return url or DEFAULT_URL, token
    target = url or profile.url
    same = target.rstrip("/") == profile.url.rstrip("/")
    if token is None and user is None and same:
        token = profile.token
    return target, token


@contextmanager
def _client(
    url: str | None, token: str | None, user: str | None, password: str | None
) -> Iterator[ApiClient]:
    url, token = resolve_target(url, token, user)
    try:
        client = ApiClient(url, token=token, user=user, password=password)
    except ClientError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    try:
        yield client
    except ClientError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        client.close()


def _f(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


# -- status -----------------------------------------------------------------------------------
def status(
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
    pdu: str | None = typer.Option(None, "--pdu", help="Only this PDU"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables"),
) -> None:
    """Show PDUs and their outlets (state, current, power, energy) of a running instance."""
    with _client(url, token, user, password) as c:
        pdus = [p for p in c.get("/pdus") if pdu is None or p["id"] == pdu]
        if pdu is not None and not pdus:
            raise ClientError(f"no PDU {pdu!r} on this instance")
        outlets = {p["id"]: c.get(f"/pdus/{p['id']}/outlets") for p in pdus}
    if as_json:
        print(json.dumps({"pdus": pdus, "outlets": outlets}, indent=2))
        return
    t = Table(title="PDUs")
    for col in ("PDU", "Name", "Feed", "Power W", "Energy kWh", "Outlets on"):
        t.add_column(col, justify="right" if col not in ("PDU", "Name") else "left")
    for p in pdus:
        energy = None if p["energy_wh"] is None else p["energy_wh"] / 1000
        t.add_row(
            p["id"],
            p["name"],
            p["feed"],
            _f(p["power_w"], 0),
            _f(energy, 3),
            f"{p['outlets_on']}/{p['outlet_count']}",
        )
    console.print(t)
    for p in pdus:
        ot = Table(title=f"Outlets of {p['id']}")
        for col in ("Outlet", "Name", "State", "A", "W", "Wh", "Branch", "Priority"):
            left = col in ("Outlet", "Name", "State", "Branch", "Priority")
            ot.add_column(col, justify="left" if left else "right")
        for o in outlets[p["id"]]:
            state = o["state"] + (" (locked out)" if o["locked_out"] else "")
            colour = "green" if o["state"] == "on" else "dim"
            ot.add_row(
                o["id"],
                o["name"],
                f"[{colour}]{state}[/{colour}]",
                _f(o["current_a"]),
                _f(o["power_w"], 1),
                _f(o["energy_wh"], 1),
                o["branch"],
                o["priority"],
            )
        console.print(ot)


# -- events -----------------------------------------------------------------------------------
def _event_line(e: dict[str, Any]) -> str:
    actor = f" by {e['actor']}" if e.get("actor") else ""
    return (
        f"{e['pdu_id']}#{e['sequence_id']} {e['timestamp_utc']} {e['severity'].upper():8} "
        f"{e['event_code']} [{e['source']}]{actor}: {e['message']}"
    )


def events(
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
    since_seq: int = typer.Option(0, "--since-seq", min=0, help="Only sequence_id > this"),
    limit: int = typer.Option(100, "--limit", min=1, max=1000, help="Backlog size"),
    pdu: str | None = typer.Option(None, "--pdu", help="Only this PDU"),
    follow: bool = typer.Option(
        False, "--follow", "-f", help="Show the latest --limit events, then every new one"
    ),
    interval: float = typer.Option(
        1.0, "--interval", min=0.1, max=60.0, help="With --follow: seconds between polls"
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line"),
) -> None:
    """Print events (oldest first); with --follow, the latest ones and then new ones live.

    --follow never skips an event: it keeps one cursor (sequence_id) per PDU and asks for
    everything after it; with --since-seq it resumes after that sequence_id instead.
    """

    def show(e: dict[str, Any]) -> None:
        print(json.dumps(e) if as_json else _event_line(e), flush=True)

    with _client(url, token, user, password) as c:
        if not follow:
            page = c.get("/events", since_seq=since_seq, limit=limit, pdu_id=pdu)
            for e in page["events"]:
                show(e)
            return

        def fetch(pdu_id: str, after: int) -> list[dict[str, Any]]:
            page = c.get("/events", since_seq=after, limit=PAGE, pdu_id=pdu_id)
            return list(page["events"])

        pdu_ids = [pdu] if pdu else [p["id"] for p in c.get("/pdus")]
        if since_seq:
            cursors = dict.fromkeys(pdu_ids, since_seq)
            backlog = poll_new(fetch, cursors)
        else:
            backlog, cursors = latest_events(fetch, pdu_ids, limit)
        for e in backlog:
            show(e)
        try:
            while True:
                time.sleep(interval)
                for e in poll_new(fetch, cursors):
                    show(e)
        except KeyboardInterrupt:
            return


# -- export -----------------------------------------------------------------------------------
export_app = typer.Typer(help="Export data from a running instance.", no_args_is_help=True)


def _when(text: str | None, default: datetime) -> datetime:
    if text is None:
        return default
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 / RFC 3339 time") from None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


@export_app.command("energy")
def export_energy(
    start: str | None = typer.Option(
        None, "--from", help="RFC 3339 start (default: today 00:00 UTC)"
    ),
    end: str | None = typer.Option(None, "--to", help="RFC 3339 end (default: now)"),
    fmt: str = typer.Option("csv", "--format", help="csv or json"),
    output: Path | None = typer.Option(None, "--output", "-o", help="File (default: stdout)"),
    step: int | None = typer.Option(
        None, "--step", min=1, help="Bucket width in seconds (default: 60, wider for long ranges)"
    ),
    pdu: str | None = typer.Option(None, "--pdu", help="Only this PDU (default: all)"),
    channel: str | None = typer.Option(None, "--channel", help="Only this channel, e.g. outlet/7"),
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
) -> None:
    """Export energy per channel and bucket (energy_wh at bucket end, delta_wh within it).

    Without options: today (00:00 UTC until now) in 1-minute steps, every channel of every PDU.
    What was chosen is said on stderr, and so is an empty result.
    """
    if fmt not in ("csv", "json"):
        raise typer.BadParameter("--format must be csv or json")
    now = datetime.now(UTC)
    t_end = _when(end, now)
    t_start = _when(start, t_end.replace(hour=0, minute=0, second=0, microsecond=0))
    if t_start >= t_end:
        t_start = t_end - timedelta(hours=1)  # just after midnight: the last hour instead
    chosen = step if step is not None else default_step(t_start, t_end)
    if start is None or end is None or step is None:
        err.print(
            f"exporting energy from {t_start.isoformat()} to {t_end.isoformat()} in "
            f"{chosen} s steps (set --from/--to/--step to change)"
        )
    with _client(url, token, user, password) as c:
        pdu_ids = [pdu] if pdu else [p["id"] for p in c.get("/pdus")]
        data = [
            c.get(
                "/energy",
                pdu_id=pid,
                step=chosen,
                channel=channel,
                **{"from": t_start.isoformat(), "to": t_end.isoformat()},
            )
            for pid in pdu_ids
        ]
    rows = sum(len(ch["points"]) for d in data for ch in d["channels"])
    if rows == 0:
        err.print(
            f"no energy readings between {t_start.isoformat()} and {t_end.isoformat()}: registers "
            "are stored once a minute, so a rack started moments ago has none yet; try again "
            "later or widen --from/--to"
        )
    text = _energy_json(data) if fmt == "json" else _energy_csv(data)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {rows} rows to {output}")


def default_step(start: datetime, end: datetime, max_buckets: int = 20_000) -> int:
    """60 s, or the smallest whole number of minutes keeping the export within the API limit."""
    minutes = -(-(end - start).total_seconds() // (60 * max_buckets))
    return 60 * max(1, int(minutes))


def _energy_csv(data: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["pdu_id", "channel", "ts", "energy_wh", "delta_wh"])
    for d in data:
        for ch in d["channels"]:
            for p in ch["points"]:
                w.writerow([d["pdu_id"], ch["channel"], p["ts"], p["energy_wh"], p["delta_wh"]])
    return buf.getvalue()


def _energy_json(data: list[dict[str, Any]]) -> str:
    return json.dumps({"pdus": data}, indent=2) + "\n"


# -- audit (offline) --------------------------------------------------------------------------
audit_app = typer.Typer(help="Verify the tamper-evident event log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify_cmd(
    db: str | None = typer.Option(
        None, "--db", help="Store URL (default: SQLite smartpdu.db in --data-dir)"
    ),
    data_dir: Path = typer.Option(
        Path("var/smartpdu"), "--data-dir", help="Holds device_key.pub.pem (the public key)"
    ),
    public_key: Path | None = typer.Option(
        None, "--public-key", help="Public key PEM (default: <data-dir>/device_key.pub.pem)"
    ),
    pdu: str | None = typer.Option(None, "--pdu", help="Only this PDU (default: every PDU)"),
    head_file: Path | None = typer.Option(
        None,
        "--head-file",
        help="Signed heads kept outside the database (default: <data-dir>/audit_head.json)",
    ),
) -> None:
    """Verify every event and signed checkpoint, and that the tail matches the signed head
    kept outside the database; exit 1 naming the first bad sequence_id."""
    from smartpdu.events.audit import AUDIT_HEAD_FILENAME, audit_verify, read_head_file
    from smartpdu.events.signing import KEY_FILENAME, PUBLIC_KEY_FILENAME, load_public_key
    from smartpdu.storage.factory import open_store

    key_path = public_key or data_dir / PUBLIC_KEY_FILENAME
    try:
        if key_path.exists():
            key = load_public_key(key_path)
        elif (data_dir / KEY_FILENAME).exists():
            from cryptography.hazmat.primitives.serialization import load_pem_private_key

            priv = load_pem_private_key((data_dir / KEY_FILENAME).read_bytes(), password=None)
            key = priv.public_key()  # type: ignore[assignment]
        else:
            err.print(f"[red]error:[/red] no public key at {key_path}; pass --public-key")
            raise typer.Exit(2)
    except (ValueError, OSError) as exc:
        err.print(f"[red]error:[/red] cannot load the public key {key_path}: {exc}")
        raise typer.Exit(2) from None
    head_path = head_file or data_dir / AUDIT_HEAD_FILENAME
    if head_file is not None and not head_file.exists():
        err.print(f"[red]error:[/red] no audit head file at {head_file}")
        raise typer.Exit(2)
    try:
        heads = read_head_file(head_path)
    except ValueError as exc:
        console.print(f"[red]FAIL[/red] {exc}")
        raise typer.Exit(1) from None
    if not heads:
        err.print(
            f"[yellow]no audit head file at {head_path}: a cut tail after the last stored "
            "checkpoint cannot be detected[/yellow]"
        )
    url = db or f"sqlite:///{(data_dir / 'smartpdu.db').resolve()}"
    try:
        store = open_store(url)
    except Exception as exc:
        err.print(f"[red]error:[/red] cannot open store {url}: {exc}")
        raise typer.Exit(2) from None
    try:
        pdus = [pdu] if pdu else sorted(set(store.event_pdu_ids()) | set(heads))
        if not pdus:
            err.print("[yellow]no events stored[/yellow]")
        for pid in pdus:
            result = audit_verify(store, pid, key, heads.get(pid))  # type: ignore[arg-type]
            if not result.ok:
                console.print(
                    f"[red]FAIL[/red] {pid}: first bad sequence_id "
                    f"{result.first_bad_sequence_id}: {result.reason}"
                )
                raise typer.Exit(1)
            console.print(f"[green]OK[/green] {pid}: {result.reason}")
    finally:
        store.close()


client_app = typer.Typer(help="Client commands (status, events, export, audit).")
client_app.command("status")(status)
client_app.command("events")(events)
client_app.add_typer(export_app, name="export")
client_app.add_typer(audit_app, name="audit")
