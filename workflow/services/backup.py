"""Backup and restore of the database and the stored documents together, as one archive.

The archive is logical (one JSON line per row, every table, plus the document files), so it
restores into SQLite or PostgreSQL alike, and into either document store (services/storage.py)
whichever store it was written from. It is read in one transaction, so it is consistent; the
stored files are immutable (a new upload is a new file), so copying those the rows name is too.
Each file is copied chunk by chunk and checked against the hash its row recorded.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from alembic.migration import MigrationContext
from flask_babel import lazy_gettext as _l

from workflow.extensions import db
from workflow.models.types import UTC, UTCDateTime, utcnow
from workflow.services import storage
from workflow.services.errors import RuleViolation

FORMAT = "antragsweg-backup/1"


# The database store's own tables: their bytes go into the archive as documents/<key>, not as rows.
STORE_TABLES = ("stored_files", "stored_file_chunks")


def _tables() -> list[sa.Table]:
    return [t for t in db.metadata.sorted_tables if t.name not in STORE_TABLES]  # parents first


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
            keys = _stored_files(connection)
            for key, (sha256, size) in keys.items():
                info = tarfile.TarInfo(f"documents/{key}")
                info.size, info.mtime = size, int(utcnow().timestamp())
                with storage.open(key, sha256, size) as reader:
                    archive.addfile(info, reader)
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


def _stored_files(connection) -> dict[str, tuple[str, int]]:
    """Every file a row names, with its hash and size: documents, statements and letters alike
    (any table's `storage_key`)."""
    keys: dict[str, tuple[str, int]] = {}
    for table in _tables():
        if "storage_key" in table.c:
            c = table.c
            rows = connection.execute(
                sa.select(c.storage_key, c.sha256, c.size).where(c.storage_key.is_not(None))
            )
            keys |= {key: (sha256, size) for key, sha256, size in rows}
    return keys


# Archives written into a folder (the nightly timer) carry their time in the name, so rotation
# needs no file times (which a copy changes) and touches nothing else in the folder.
ARCHIVE_NAME = "antragsweg-{:%Y-%m-%dT%H%M%SZ}.tar.gz"
ARCHIVE_PATTERN = re.compile(r"antragsweg-(\d{4}-\d{2}-\d{2}T\d{6}Z)\.tar\.gz")


def backup_into(directory: Path, *, keep_days: int | None = None) -> tuple[Path, dict, list[Path]]:
    """Write a new archive into `directory`; then, if `keep_days` is given, delete the archives
    there that are older than that many days. The new archive appears under its name only once it
    is complete, and nothing is deleted unless it was written."""
    if keep_days is not None and keep_days < 1:
        raise RuleViolation(_l("--keep-days muss mindestens 1 sein: die neue Sicherung bleibt immer."))
    now = utcnow()
    target = directory / ARCHIVE_NAME.format(now)
    partial = directory / f".{target.name}.partial"
    try:
        manifest = backup(partial)
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    removed = rotate(directory, keep_days, now=now, keep=target) if keep_days is not None else []
    return target, manifest, removed


def rotate(directory: Path, keep_days: int, *, now: datetime, keep: Path) -> list[Path]:
    """Delete the archives in `directory` written more than `keep_days` days before `now`."""
    removed = []
    for path in sorted(directory.iterdir()):
        match = ARCHIVE_PATTERN.fullmatch(path.name)
        if not match or path == keep or not path.is_file():
            continue
        written = datetime.strptime(match.group(1), "%Y-%m-%dT%H%M%SZ").replace(tzinfo=UTC)
        if now - written > timedelta(days=keep_days):
            path.unlink()
            removed.append(path)
    return removed


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
            raise RuleViolation(_l("Das ist keine Sicherung von Antragsweg."))
        with db.engine.begin() as connection:
            if manifest["revision"] != _revision(connection):
                raise RuleViolation(
                    _l(
                        "Die Sicherung hat den Datenbankstand %(revision)s, die Datenbank %(current)s. Bitte "
                        "zuerst `flask --app wsgi init-db`.",
                        revision=manifest["revision"],
                        current=_revision(connection),
                    )
                )
            tables = _tables()
            existing = sum(
                connection.execute(sa.select(sa.func.count()).select_from(t)).scalar() for t in tables
            )
            if existing and not replace:
                raise RuleViolation(_l("Die Datenbank ist nicht leer; zum Ersetzen --replace angeben."))
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
        _restore_files(archive, replace=replace)
    return manifest


def _restore_files(archive: tarfile.TarFile, *, replace: bool) -> None:
    """Into the configured store, chunk by chunk; each checked against its restored row."""
    target = storage.store()
    with db.engine.connect() as connection:
        expected = _stored_files(connection)
    if replace and target.name == "database":  # what the replaced rows named goes with them
        for key in list(target.keys()):
            target.delete(key)
    changed = []
    for member in archive.getmembers():
        if member.name.startswith("documents/") and member.isfile():
            name = Path(member.name).name
            if name != member.name.removeprefix("documents/") or name not in expected:
                continue  # never outside the store, nothing no row names
            if target.name == "database" and target.exists(name):  # a file keeps its key
                target.delete(name)
            stored = target.put(archive.extractfile(member), key=name)
            if (stored.sha256, stored.size) != expected[name]:
                changed.append(name)
    db.session.commit()
    if changed:
        raise RuleViolation(
            "Die Sicherung ist wiederhergestellt, aber diese Dateien stimmen nicht mit ihrem Prüfwert "
            "überein: " + ", ".join(changed)
        )


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
