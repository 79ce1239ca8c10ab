"""``smartpdu run`` and ``smartpdu demo``: start the controller with its API on the twin."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import typer
from rich.console import Console
from rich.panel import Panel

from smartpdu.config import ConfigError, RackConfig, load_config

_out = Console()
_err = Console(stderr=True, soft_wrap=True)

ADMIN_PASSWORD_ENV = "SMARTPDU_ADMIN_PASSWORD"


def _load(path: Path) -> RackConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        _err.print(f"[bold red]invalid configuration:[/] {exc.source}")
        for issue in exc.issues:
            _err.print(f"  [yellow]{issue.path}[/]: {issue.message}", highlight=False)
        raise typer.Exit(2) from None


def _announce(url: str, user: str, password: str | None) -> None:
    lines = [f"[bold]URL[/]        {url}", f"[bold]API[/]        {url}api/v1/docs"]
    lines.append(f"[bold]Redfish[/]    {url}redfish/v1")
    if password:
        lines.append(f"[bold]Login[/]      {user} / [bold yellow]{password}[/]")
        lines.append("[dim]This password is shown once; change it after the first login.[/]")
    else:
        lines.append(f"[bold]Login[/]      {user} (password set at first run or by flag/env)")
    lines.append("[dim]Ctrl-C stops the controller (energy and events are flushed).[/]")
    _out.print(Panel("\n".join(lines), title="smartpdu is running", expand=False))


def _serve(
    cfg: RackConfig,
    data_dir: Path,
    db: str | None,
    host: str,
    port: int,
    admin_password: str | None,
    seed: int,
    certfile: str | None,
    keyfile: str | None,
    accept_broken_chain: bool = False,
    allow_insecure_http: bool = False,
) -> None:
    from smartpdu.access import PolicyError, check_password_policy
    from smartpdu.api.transport import InsecureListenError, check_listen_security
    from smartpdu.cli.audit_check import BrokenChainError, check_chain_before_start
    from smartpdu.runtime.server import ServeOptions, serve

    try:
        check_listen_security(
            host, tls=certfile is not None, allow_insecure_http=allow_insecure_http
        )
        if admin_password is not None:
            check_password_policy(admin_password, "admin")
    except (InsecureListenError, PolicyError) as exc:
        _err.print(f"[bold red]cannot start:[/] {exc}")
        raise typer.Exit(2) from None
    try:
        url = db or f"sqlite:///{data_dir.resolve() / 'smartpdu.db'}"
        for failure in check_chain_before_start(url, data_dir, accept_broken=accept_broken_chain):
            _err.print(f"[bold red]audit chain broken (accepted, recorded):[/] {failure}")
    except BrokenChainError as exc:
        _err.print(f"[bold red]refusing to start:[/] {exc}")
        raise typer.Exit(3) from None
    options = ServeOptions(
        config=cfg,
        data_dir=data_dir,
        db_url=db,
        host=host,
        port=port,
        admin_password=admin_password,
        seed=seed,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
    )
    try:
        asyncio.run(serve(options, _announce))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        _err.print(f"[bold red]cannot start:[/] {exc}")
        raise typer.Exit(1) from None


def run(
    config: Path = typer.Option(..., "--config", "-c", help="Rack configuration YAML"),
    db: str | None = typer.Option(
        None, "--db", help="sqlite:///path or postgresql://... (default: SQLite in --data-dir)"
    ),
    data_dir: Path = typer.Option(
        Path("var/smartpdu"), "--data-dir", help="Device key, SQLite database"
    ),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8080, "--port", help="0 picks a free port"),
    admin_password: str | None = typer.Option(
        None, "--admin-password", envvar=ADMIN_PASSWORD_ENV, help="First-run admin password"
    ),
    seed: int = typer.Option(0, "--seed", help="Twin random seed"),
    tls_cert: str | None = typer.Option(None, "--tls-cert", help="PEM certificate (enables TLS)"),
    tls_key: str | None = typer.Option(None, "--tls-key", help="PEM private key"),
    accept_broken_chain: bool = typer.Option(
        False,
        "--accept-broken-chain",
        help="Start even if the event log fails verification (recorded as a critical event)",
    ),
    allow_insecure_http: bool = typer.Option(
        False,
        "--allow-insecure-http",
        help="Serve plain HTTP on a non-loopback --host (credentials travel in clear)",
    ),
) -> None:
    """Run the controller for CONFIG on the digital twin, serving REST and Redfish."""
    cfg = _load(config)
    _serve(
        cfg,
        data_dir,
        db,
        host,
        port,
        admin_password,
        seed,
        tls_cert,
        tls_key,
        accept_broken_chain,
        allow_insecure_http,
    )


def demo(
    port: int = typer.Option(0, "--port", help="0 picks a free port"),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Keep state here (default: a fresh temporary directory)"
    ),
    admin_password: str | None = typer.Option(
        None, "--admin-password", envvar=ADMIN_PASSWORD_ENV, help="Admin password to set"
    ),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Start the simulated demo rack on 127.0.0.1 and print the URL and admin credentials."""
    from smartpdu.runtime.factory import _demo_config_path

    cfg = _load(_demo_config_path())
    target = data_dir or Path(tempfile.mkdtemp(prefix="smartpdu-demo-"))
    _out.print(f"[dim]demo state in {target}[/]")
    _serve(cfg, target, None, "127.0.0.1", port, admin_password, seed, None, None)


__all__ = ["ADMIN_PASSWORD_ENV", "demo", "run"]
