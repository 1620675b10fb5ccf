"""`flask --app wsgi create-alliance SLUG NAME --coordinator-email …`: a further alliance."""

from __future__ import annotations

import click
from flask import Flask

from workflow.services.errors import DomainError


def register(app: Flask) -> None:
    @app.cli.command("create-alliance")
    @click.argument("slug")
    @click.argument("name")
    @click.option("--coordinator-email", required=True, help="E-Mail-Adresse der Netzwerkkoordination")
    @click.option("--coordinator-name", default="", help="Name der Person")
    @click.option("--committee-name", default="Lenkungskreis", show_default=True)
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    def create_alliance(slug, name, coordinator_email, coordinator_name, committee_name, password):
        """Set up a further alliance (default rules, funding objects 1–3) with its coordinator."""
        from workflow.services import alliances

        try:
            alliance, user = alliances.create_alliance(
                slug, name, coordinator_email, coordinator_name, password, committee_name
            )
        except DomainError as error:
            raise click.ClickException(error.message) from error
        click.echo(f"Bündnis angelegt: {alliance.name} ({alliance.slug}); Koordination: {user.email}")
