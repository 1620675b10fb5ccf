"""`flask --app wsgi verify-statement FILE`: is this PDF a statement issued here, unchanged?"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.command("verify-statement")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    def verify_statement(file: Path):
        """Check a statement PDF against the statements issued by this instance (SHA-256).

        Exit status 0: issued here and unchanged; 1: not (or changed)."""
        from workflow.services import statements

        ok, message = statements.verify(file)
        click.echo(message)
        raise SystemExit(0 if ok else 1)
