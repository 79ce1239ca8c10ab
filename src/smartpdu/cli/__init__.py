"""The ``smartpdu`` command line: one typer app, sub-apps per area."""

from smartpdu.cli.main import app

__all__ = ["app"]
