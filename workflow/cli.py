"""Commands: `flask --app wsgi init-db | seed-demo | create-user | diagram`."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from workflow.extensions import db
from workflow.lifecycle import ROLES, mermaid_diagram
from workflow.services.errors import DomainError


def register(app: Flask) -> None:
    from workflow import cli_maintenance

    cli_maintenance.register(app)
    from workflow import cli_alliances

    cli_alliances.register(app)
    from workflow import cli_stage3

    cli_stage3.register(app)
    from workflow import cli_api

    cli_api.register(app)
    from workflow import cli_signing

    cli_signing.register(app)

    @app.cli.command("init-db")
    def init_db():
        """Create or upgrade the database schema (Alembic migrations)."""
        upgrade()
        click.echo(f"Datenbank bereit: {db.engine.url.render_as_string(hide_password=True)}")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Nichts tun, wenn es schon Daten gibt.")
    def seed_demo(if_empty):
        """Fill the database with the demo alliance, its people and an application in every state."""
        from workflow import demo
        from workflow.models import Alliance

        if db.session.scalar(sa.select(sa.func.count()).select_from(Alliance)):
            if if_empty:
                click.echo("Es gibt schon Daten; keine Demodaten angelegt.")
                return
            raise click.ClickException("Die Datenbank enthält schon Daten.")
        summary = demo.seed()
        click.echo(summary)

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", type=click.Choice(ROLES), required=True)
    @click.option("--organisation", required=True, help="Name der Organisation")
    @click.option("--alliance", "alliance_slug", default="non", show_default=True)
    @click.option("--name", default="", help="Name der Person")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    def create_user(email, role, organisation, alliance_slug, name, password):
        """Create an account (and its organisation, if it does not exist)."""
        from workflow.services import accounts

        try:
            user = accounts.create_user(
                email=email,
                name=name,
                role=role,
                organisation=organisation,
                password=password,
                alliance_slug=alliance_slug,
            )
        except DomainError as error:
            raise click.ClickException(error.message) from error
        click.echo(f"Konto angelegt: {user.email} ({user.role_label}, {user.organisation.name})")

    @app.cli.command("demo-totp")
    def demo_totp():
        """Print the current second-factor code of the demo coordinator (demo accounts only)."""
        import pyotp

        from workflow.demo import DEMO_DOMAIN
        from workflow.models import User

        users = db.session.scalars(
            sa.select(User).where(User.email.endswith("@" + DEMO_DOMAIN), User.totp_secret.is_not(None))
        )
        for user in users:
            click.echo(f"{user.email}: {pyotp.TOTP(user.totp_secret).now()}")

    @app.cli.command("send-mail")
    @click.option("--loop", is_flag=True, help="Weiterlaufen und die Warteschlange laufend senden.")
    @click.option(
        "--interval",
        type=click.FloatRange(0.05, 600),
        default=2.0,
        show_default=True,
        help="Sekunden zwischen zwei Blicken in die Warteschlange, wenn nichts wartet.",
    )
    def send_mail(loop, interval):
        """Send the queued mail (the outbox); with --loop until stopped (the mailer service)."""
        from workflow.services import mail

        sent = mail.run_sender(interval=interval) if loop else mail.send_pending()
        click.echo(f"{sent} E-Mails versandt.")

    @app.cli.command("tick")
    def tick():
        """Periodic work: close due votes, queue reminders and digests, then send queued mail (safe to
        run every minute)."""
        from workflow.services import jobs

        for name, count in jobs.run_all().items():
            click.echo(f"{name}: {'FEHLER' if count < 0 else count}")

    @app.cli.command("diagram")
    def diagram():
        """Print the lifecycle as a Mermaid state diagram."""
        click.echo(mermaid_diagram(), nl=False)
