"""Commands of stage 3: `verify-statement FILE` (is this PDF a statement issued here, unchanged?)
and `funding-period` (set an alliance's budget for a funding period; the same operation as the
coordinator's page /budget/zeitraeume, services/budget.save_period)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.command("verify-statement")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    def verify_statement(file: Path):
        """Check a statement or letter PDF: issued here, unchanged, its signature (validated against
        the configured trust roots), signer, signing time, corrected since.

        Exit status 0: issued here, unchanged and (if signed) with its signature intact; 1: not."""
        from workflow.services import authenticity

        ok, message = authenticity.verify_file(file)
        click.echo(message)
        raise SystemExit(0 if ok else 1)

    @app.cli.command("funding-period")
    @click.argument("name")
    @click.argument("starts_on", type=click.DateTime(formats=["%Y-%m-%d", "%d.%m.%Y"]))
    @click.argument("ends_on", type=click.DateTime(formats=["%Y-%m-%d", "%d.%m.%Y"]))
    @click.argument("budget", metavar="BUDGET_EURO")
    @click.option("--alliance", "alliance_slug", default="non", show_default=True)
    def funding_period(name, starts_on, ends_on, budget, alliance_slug):
        """Create or change a funding period's budget, e.g. "Strategieperiode 2024–2027" 2024-01-01
        2027-12-31 2.340.000,00"""
        import sqlalchemy as sa

        from forms.fields import parse_euro
        from workflow.extensions import db
        from workflow.models import Alliance
        from workflow.services import budget as budget_service
        from workflow.services.errors import RuleViolation

        alliance = db.session.scalar(sa.select(Alliance).where(Alliance.slug == alliance_slug))
        if alliance is None:
            raise click.ClickException(f"Kein Bündnis mit dem Kürzel {alliance_slug}.")
        try:
            cents = parse_euro(budget)
        except ValueError as error:
            raise click.ClickException(str(error)) from error
        start, end = date.fromordinal(starts_on.toordinal()), date.fromordinal(ends_on.toordinal())
        existing = budget_service.period_named(alliance, name)  # the name says which period
        try:
            budget_service.save_period(
                alliance, None, name, start, end, cents, period_id=existing.id if existing else None
            )
        except RuleViolation as refusal:
            raise click.ClickException(refusal.message) from refusal
        click.echo(f"Förderzeitraum {name}: {start:%d.%m.%Y} bis {end:%d.%m.%Y}, Budget {budget} €.")
