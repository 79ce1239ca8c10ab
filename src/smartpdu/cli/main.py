"""Root of the ``smartpdu`` CLI; each area registers its sub-app here."""

from __future__ import annotations

import typer

from smartpdu.cli.config_cmd import config_app

app = typer.Typer(
    name="smartpdu",
    help="SmartPDU controller and digital twin.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(config_app, name="config")
