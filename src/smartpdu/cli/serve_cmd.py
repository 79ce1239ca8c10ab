"""``smartpdu run`` and ``smartpdu demo``: start the controller with its API on the twin."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.panel import Panel

from smartpdu.cli.profile import ClientProfile, save_profile
from smartpdu.config import ConfigError, RackConfig, load_config

if TYPE_CHECKING:
    from smartpdu.app.server import Started
    from smartpdu.twin.scenario import Scenario

_out = Console()
_err = Console(stderr=True, soft_wrap=True)

ADMIN_PASSWORD_ENV = "SMARTPDU_ADMIN_PASSWORD"
DEMO_PORT = 8080
DEMO_PORT_TRIES = 100


def _load(path: Path) -> RackConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        _err.print(f"[bold red]invalid configuration:[/] {exc.source}")
        for issue in exc.issues:
            _err.print(f"  [yellow]{issue.path}[/]: {issue.message}", highlight=False)
        raise typer.Exit(2) from None


def _announce(started: Started, profile: str | None = None) -> None:
    url, user, password = started.url, started.username, started.generated_password
    lines = [f"[bold]URL[/]        {url}", f"[bold]API[/]        {url}api/v1/docs"]
    lines.append(f"[bold]Redfish[/]    {url}redfish/v1")
    if password:
        lines.append(f"[bold]Login[/]      {user} / [bold yellow]{password}[/]")
        lines.append("[dim]This password is shown once; change it after the first login.[/]")
    else:
        lines.append(f"[bold]Login[/]      {user} (password set at first run or by flag/env)")
    if profile:
        lines.append(f"[bold]Client[/]     smartpdu status  [dim](profile {profile})[/]")
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
    import_config: bool = False,
    scenario: Path | None = None,
    *,
    port_tries: int = 1,
    announce: Callable[[Started], Awaitable[None] | None] = _announce,
) -> None:
    from smartpdu.access import PolicyError, check_password_policy
    from smartpdu.api.transport import InsecureListenError, check_listen_security
    from smartpdu.app.server import ServeOptions, serve
    from smartpdu.cli.audit_check import BrokenChainError, check_chain_before_start

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
    timeline = _load_scenario(scenario, cfg) if scenario is not None else None
    options = ServeOptions(
        scenario=timeline,
        config=cfg,
        data_dir=data_dir,
        db_url=db,
        host=host,
        port=port,
        admin_password=admin_password,
        seed=seed,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        port_search=port_tries,
        import_config=import_config,
    )
    from smartpdu.app.datadir_lock import DataDirBusyError

    try:
        asyncio.run(serve(options, announce))
    except KeyboardInterrupt:
        pass
    except DataDirBusyError as exc:
        _err.print(f"[bold red]cannot start:[/] {exc}")
        raise typer.Exit(1) from None
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
    import_config: bool = typer.Option(
        False,
        "--import-config",
        help="Apply --config as a new, audited version (otherwise the stored active version of "
        "an existing data dir wins; --config only seeds a new one)",
    ),
    scenario: Path | None = typer.Option(
        None,
        "--scenario",
        help="Play this scenario timeline on the live twin (demos, training, tests)",
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
        import_config,
        scenario,
    )


def _load_scenario(path: Path, cfg: RackConfig) -> Scenario:
    """The scenario at ``path``, checked against the rack; exit 2 naming every problem."""
    from smartpdu.twin.scenario import ScenarioError, check_scenario, load_scenario

    try:
        timeline = load_scenario(path)
        problems = check_scenario(timeline, cfg)
        if problems:
            raise ScenarioError(problems, str(path))
    except ConfigError as exc:
        _err.print(f"[bold red]invalid:[/] {exc.source} ({len(exc.issues)} problem(s))")
        for issue in exc.issues:
            _err.print(f"  [yellow]{issue.path}[/]: {issue.message}", highlight=False)
        raise typer.Exit(2) from None
    return timeline


async def _announce_with_profile(started: Started) -> None:
    """Open an admin session for the local client commands and save it as the client profile."""
    from smartpdu.access import Principal, Role

    session = await started.auth.create_session(
        Principal(started.username, Role.ADMIN), interface="cli"
    )
    path = save_profile(
        ClientProfile(
            url=started.url.rstrip("/"),
            user=started.username,
            token=session.token,
            expires_utc=session.expires_utc.isoformat(),
        )
    )
    _announce(started, str(path))


def demo(
    port: int = typer.Option(
        DEMO_PORT, "--port", help="First port to try (the next free one is used); 0: any"
    ),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Keep state here (default: a fresh temporary directory)"
    ),
    admin_password: str | None = typer.Option(
        None, "--admin-password", envvar=ADMIN_PASSWORD_ENV, help="Admin password to set"
    ),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Start the simulated demo rack on 127.0.0.1 (port 8080 or the next free one), print the
    URL and admin credentials, and save a client profile so ``smartpdu status`` just works."""
    from smartpdu.app.factory import demo_config_path

    cfg = _load(demo_config_path())
    target = data_dir or Path(tempfile.mkdtemp(prefix="smartpdu-demo-"))
    _out.print(f"[dim]demo state in {target}[/]")
    _serve(
        cfg, target, None, "127.0.0.1", port, admin_password, seed, None, None,
        port_tries=DEMO_PORT_TRIES, announce=_announce_with_profile,
    )  # fmt: skip


__all__ = ["ADMIN_PASSWORD_ENV", "demo", "run"]
