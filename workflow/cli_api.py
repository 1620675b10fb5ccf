"""Commands of the API: `flask --app wsgi create-token EMAIL [--name NAME]`."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask

from workflow.extensions import db
from workflow.services.errors import DomainError


def register(app: Flask) -> None:
    @app.cli.command("create-token")
    @click.argument("email")
    @click.option("--name", default="Kommandozeile", show_default=True, help="Wofür das Token ist")
    def create_token(email, name):
        """Create an API token for an account; the token is printed once and never stored."""
        from workflow.models import User
        from workflow.services import accounts, tokens

        user = db.session.scalar(sa.select(User).where(User.email == accounts.normalise_email(email)))
        if user is None or not user.active:
            raise click.ClickException(f"Es gibt kein aktives Konto für {email}.")
        try:
            _, plain = tokens.create(user, name)
        except DomainError as error:
            raise click.ClickException(error.message) from error
        click.echo(
            f"API-Token für {user.email} ({user.role_label}), nur dieses eine Mal angezeigt:", err=True
        )
        click.echo(plain)
