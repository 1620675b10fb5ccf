"""Commands that keep the data safe: verify-log, backup, restore, export-person, erase-person."""

from __future__ import annotations

import json
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask

from workflow.extensions import db
from workflow.services.errors import DomainError


def register(app: Flask) -> None:
    @app.cli.command("verify-log")
    def verify_log():
        """Check the hash chains of the event log and every row derived from it; names the first
        broken link or differing row. The result is stored for the coordinators' start page."""
        from workflow.services import integrity

        result = integrity.check_and_record("verify-log")
        if result.problem:
            raise click.ClickException(
                f"{result.problem.message} ({result.events} Ereignisse, {result.rows} Zeilen geprüft)"
            )
        click.echo(
            f"Ereignisprotokoll unversehrt: {result.events} Ereignisse und {result.rows} abgeleitete "
            f"Zeilen geprüft ({result.seconds:.1f} s)."
        )

    @app.cli.command("backup")
    @click.argument("target", type=click.Path(path_type=Path))
    @click.option(
        "--keep-days",
        type=int,
        help="Nur mit einem Ordner: ältere Sicherungen darin nach der neuen löschen.",
    )
    def backup(target, keep_days):
        """Write the database and the stored documents into one archive (.tar.gz). TARGET is a
        file, or a folder: then the archive is named by its time, and --keep-days N deletes the
        folder's archives older than N days once the new one is written."""
        from workflow.services import backup as service

        removed = []
        try:
            if target.is_dir():
                target, manifest, removed = service.backup_into(target, keep_days=keep_days)
            elif keep_days is not None:
                raise click.ClickException(f"--keep-days braucht einen Ordner; {target} ist keiner.")
            else:
                manifest = service.backup(target)
        except DomainError as error:
            raise click.ClickException(error.message) from error
        click.echo(
            f"Sicherung geschrieben: {target} ({sum(manifest['rows'].values())} Zeilen, "
            f"{manifest['documents']} Dokumente, Stand {manifest['revision']})"
        )
        for path in removed:
            click.echo(f"Alte Sicherung gelöscht: {path}")

    @app.cli.command("move-documents")
    @click.option(
        "--to", "to", type=click.Choice(["database", "folder"]), required=True, help="Der Zielspeicher."
    )
    def move_documents(to):
        """Copy every stored document, statement and letter into the other document store (the
        folder DOCUMENT_STORAGE or the database), each checked against its hash after copying;
        run again, it copies only what is not there yet. Then set DOCUMENT_STORE to the target."""
        from workflow.services import store_move

        try:
            moved = store_move.move(to)
        except DomainError as error:
            raise click.ClickException(error.message) from error
        click.echo(
            f"Von {moved.source} nach {moved.target}: {moved.copied} kopiert und geprüft, "
            f"{moved.present} waren schon da, {len(moved.changed)} mit falschem Prüfwert, "
            f"{len(moved.missing)} fehlen."
        )
        for what in moved.changed:
            click.echo(f"Prüfwert stimmt nicht, nicht kopiert: {what}")
        for what in moved.missing:
            click.echo(f"In keinem Speicher vorhanden: {what}")
        if not moved.ok:
            raise click.ClickException("Nicht alle Dateien sind im Zielspeicher; siehe oben.")
        click.echo(f'Alle Dateien sind im Zielspeicher. Jetzt DOCUMENT_STORE = "{moved.target}" setzen.')

    @app.cli.command("restore")
    @click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--replace", is_flag=True, help="Vorhandene Daten ersetzen.")
    def restore(source, replace):
        """Restore an archive written by `backup` into this (migrated) database."""
        from workflow.services.backup import restore as run

        try:
            manifest = run(source, replace=replace)
        except DomainError as error:
            raise click.ClickException(error.message) from error
        click.echo(
            f"Wiederhergestellt: {sum(manifest['rows'].values())} Zeilen, {manifest['documents']} Dokumente."
        )

    @app.cli.command("export-person")
    @click.argument("email")
    def export_person(email):
        """Print everything stored about a person as JSON (GDPR Art. 15)."""
        from workflow.services.privacy import export_person as run

        click.echo(json.dumps(run(_person(email)), ensure_ascii=False, indent=2))

    @app.cli.command("erase-person")
    @click.argument("email")
    @click.option("--yes", is_flag=True, help="Ohne Rückfrage.")
    def erase_person(email, yes):
        """Anonymise a person (GDPR Art. 17); decision records are kept for the retention period."""
        from workflow.services.privacy import erase_person as run

        user = _person(email)
        if not yes:
            click.confirm(f"{user.name} <{user.email}> anonymisieren?", abort=True)
        done = run(user)
        click.echo(f"Anonymisiert: Konto {user.id}.")
        for label, counts in (
            ("Gelöscht", done.deleted),
            ("Name und Adresse entfernt aus", done.redacted),
            ("Aufbewahrt (Entscheidungsunterlagen, Aufbewahrungsfrist)", done.retained),
        ):
            if counts:
                click.echo(f"{label}: " + ", ".join(f"{place} ({n})" for place, n in sorted(counts.items())))


def _person(email: str):
    from workflow.models import User

    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"Kein Konto für {email}.")
    return user
