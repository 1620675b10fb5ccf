"""Backup and restore of the database and the stored documents together, as one archive.

The archive is logical (one JSON line per row, every table, plus the document files), so it
restores into SQLite or PostgreSQL alike. It is read in one transaction, so it is consistent; the
document files are immutable (a new upload is a new file), so copying those the rows name is too.
"""

from __future__ import annotations

import io
import json
import tarfile
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.migration import MigrationContext

from workflow.extensions import db
from workflow.models import Document, Letter, Statement
from workflow.models.types import UTC, UTCDateTime, utcnow
from workflow.services.documents import storage_root
from workflow.services.errors import RuleViolation

FORMAT = "antragsweg-backup/1"


def _tables() -> list[sa.Table]:
    return list(db.metadata.sorted_tables)  # parents before children


def _encode(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _decode(column: sa.Column, value):
    if value is None:
        return None
    if isinstance(column.type, UTCDateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, sa.DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, sa.Date):
        return date.fromisoformat(value)
    return value


def _revision(connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def backup(target: Path) -> dict:
    """Write everything to `target` (a .tar.gz); returns the manifest."""
    counts: dict[str, int] = {}
    with db.engine.connect() as plain:
        # One snapshot for every table (SQLite's read transaction is one already).
        isolation = "REPEATABLE READ" if plain.dialect.name == "postgresql" else "SERIALIZABLE"
        connection = plain.execution_options(isolation_level=isolation)
        with connection.begin(), tarfile.open(target, "w:gz") as archive:
            for table in _tables():
                buffer = io.BytesIO()
                rows = connection.execute(sa.select(table).order_by(*table.primary_key.columns))
                counts[table.name] = 0
                for row in rows.mappings():
                    line = json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False)
                    buffer.write(line.encode() + b"\n")
                    counts[table.name] += 1
                _add(archive, f"tables/{table.name}.jsonl", buffer.getvalue())
            # Every stored file: uploads, and the statements and letters as issued.
            keys = [
                key
                for model in (Document, Statement, Letter)
                for key in connection.execute(sa.select(model.storage_key)).scalars()
            ]
            root = storage_root()
            for key in keys:
                archive.add(str(root / key), arcname=f"documents/{key}")
            manifest = {
                "format": FORMAT,
                "created_at": utcnow().isoformat(),
                "revision": _revision(connection),
                "dialect": connection.dialect.name,
                "rows": counts,
                "documents": len(keys),
            }
            _add(archive, "manifest.json", json.dumps(manifest, indent=2).encode())
    return manifest


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(utcnow().timestamp())
    archive.addfile(info, io.BytesIO(data))


def restore(source: Path, *, replace: bool = False) -> dict:
    """Restore an archive into this (migrated) database. Refuses a non-empty database unless
    `replace`; refuses an archive of another schema revision."""
    with tarfile.open(source, "r:gz") as archive:
        manifest = json.loads(archive.extractfile("manifest.json").read())
        if manifest.get("format") != FORMAT:
            raise RuleViolation("Das ist keine Sicherung von Antragsweg.")
        with db.engine.begin() as connection:
            if manifest["revision"] != _revision(connection):
                raise RuleViolation(
                    f"Die Sicherung hat den Datenbankstand {manifest['revision']}, die Datenbank "
                    f"{_revision(connection)}. Bitte zuerst `flask --app wsgi init-db`."
                )
            tables = _tables()
            existing = sum(
                connection.execute(sa.select(sa.func.count()).select_from(t)).scalar() for t in tables
            )
            if existing and not replace:
                raise RuleViolation("Die Datenbank ist nicht leer; zum Ersetzen --replace angeben.")
            for table in reversed(tables):
                connection.execute(table.delete())
            for table in tables:
                member = archive.extractfile(f"tables/{table.name}.jsonl")
                rows = [
                    {k: _decode(table.c[k], v) for k, v in json.loads(line).items() if k in table.c}
                    for line in member.read().decode().splitlines()
                    if line
                ]
                for start in range(0, len(rows), 1000):
                    connection.execute(table.insert(), rows[start : start + 1000])
                _reset_sequence(connection, table)
        root = storage_root()
        for member in archive.getmembers():
            if member.name.startswith("documents/") and member.isfile():
                name = Path(member.name).name
                if name != member.name.removeprefix("documents/"):
                    continue  # never write outside the storage folder
                (root / name).write_bytes(archive.extractfile(member).read())
    return manifest


def _reset_sequence(connection, table: sa.Table) -> None:
    """PostgreSQL: the next id after a restore follows the highest restored id."""
    if connection.dialect.name != "postgresql":
        return
    pk = list(table.primary_key.columns)
    if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer) or not pk[0].autoincrement:
        return
    # Table and column names from our own metadata, never from input.
    connection.exec_driver_sql(
        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "  # noqa: S608  # nosec B608
        f"COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"
    )
