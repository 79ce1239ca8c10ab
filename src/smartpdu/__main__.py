"""``python -m smartpdu`` runs the CLI."""

from smartpdu.cli import app

app()
