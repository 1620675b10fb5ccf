"""Commands of the signing certificate: `signing-certificate install FILE | show | remove` (the
administrator's way; coordinators use the settings page)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask


def _alliance(slug: str):
    import sqlalchemy as sa

    from workflow.extensions import db
    from workflow.models import Alliance

    alliance = db.session.scalar(sa.select(Alliance).where(Alliance.slug == slug))
    if alliance is None:
        raise click.ClickException(f"Kein Bündnis mit dem Kürzel {slug}.")
    return alliance


def _show(summary: dict) -> None:
    from workflow.formatting import local_date

    click.echo(f"Inhaber:       {summary['subject']}")
    click.echo(f"Aussteller:    {summary['issuer']}")
    click.echo(f"Gültig:        {local_date(summary['not_before'])} bis {local_date(summary['not_after'])}")
    click.echo(f"SHA-256:       {summary['fingerprint']}")
    click.echo(f"Signaturen:    PAdES {summary['level']}")
    if summary["expired"]:
        click.echo("Achtung: Das Zertifikat ist abgelaufen.")
    elif summary["expiring"]:
        click.echo("Achtung: Das Zertifikat läuft in weniger als 30 Tagen ab.")


def register(app: Flask) -> None:
    @app.cli.group("signing-certificate")
    def signing_certificate():
        """The alliance's signing certificate (PKCS#12) for statements and letters."""

    @signing_certificate.command("install")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--alliance", "alliance_slug", default="non", show_default=True)
    @click.option("--password", prompt="Passwort des PKCS#12-Containers", hide_input=True)
    def install(file: Path, alliance_slug: str, password: str):
        """Install (or replace) the certificate from a PKCS#12 file (.p12/.pfx)."""
        from workflow.services import signing
        from workflow.services.errors import DomainError

        alliance = _alliance(alliance_slug)
        try:
            signing.install(alliance, None, file.read_bytes()[: signing.MAX_PKCS12_BYTES + 1], password)
        except DomainError as error:
            raise click.ClickException(error.message) from error
        click.echo(f"Signaturzertifikat für {alliance.name} installiert:")
        _show(signing.summary(alliance.id))

    @signing_certificate.command("show")
    @click.option("--alliance", "alliance_slug", default="non", show_default=True)
    def show(alliance_slug: str):
        """Show the installed certificate: subject, issuer, validity."""
        from workflow.services import signing

        alliance = _alliance(alliance_slug)
        summary = signing.summary(alliance.id)
        if summary is None:
            click.echo(f"{alliance.name}: kein Signaturzertifikat; Dokumente werden unsigniert ausgestellt.")
            return
        _show(summary)

    @signing_certificate.command("remove")
    @click.option("--alliance", "alliance_slug", default="non", show_default=True)
    @click.confirmation_option(
        prompt="Zertifikat und Schlüssel löschen? Dokumente werden dann unsigniert ausgestellt."
    )
    def remove(alliance_slug: str):
        """Remove the certificate and its key; documents are issued unsigned from then on."""
        from workflow.services import signing

        alliance = _alliance(alliance_slug)
        if signing.remove(alliance, None):
            click.echo(f"Signaturzertifikat von {alliance.name} entfernt.")
        else:
            click.echo(f"{alliance.name} hat kein Signaturzertifikat.")
