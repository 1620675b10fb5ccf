"""Upgrades without loss: the demo as the last release stored it (a backup archive at that
release's schema, tests/fixtures/upgrade/demo-<revision>.tar.gz, made by
tests/fixtures/make_upgrade_fixture.py) is loaded into a database built at that revision, upgraded
to the newest migration, and then every row must still be there with the same values, every
event chain must verify, every document and statement must be served unchanged, and every
application page must open. On SQLite and on PostgreSQL (whichever the suite runs on).

A migration that changes stored values on purpose declares them in DECLARED_CHANGES: the column,
which rows (a condition on the row as archived), the value they get, and why; anything else that
differs fails the test, in those columns' other rows too.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from pypdf import PdfReader

from tests import stored
from tests.test_data_safety import _scratch_database_url
from workflow import create_app, demo
from workflow.extensions import db
from workflow.models import Application, Document, Event, Statement
from workflow.services import statements
from workflow.services.integrity import verify_log

FIXTURES = Path(__file__).parent / "fixtures" / "upgrade"
ARCHIVES = sorted(FIXTURES.glob("demo-*.tar.gz"))


@dataclass(frozen=True)
class Declared:
    """A change a migration makes on purpose: in the rows `rows` picks (as archived), the column
    becomes `value`."""

    why: str
    rows: Callable[[dict], bool] = lambda row: True
    value: object = None


# (table, column) → what a migration changes on purpose; (table, None): the table is gone.
DECLARED_CHANGES: dict[tuple[str, str | None], Declared] = {
    ("votes", "deadline_at"): Declared(
        "0015: a vote moved to a session has no circulation deadline any more (the day it had stays "
        "in its open_vote event)",
        rows=lambda row: row["mode"] == "session",
        value=None,
    ),
}


class Archive:
    def __init__(self, path: Path):
        self.path = path
        with tarfile.open(path, "r:gz") as tar:
            self.manifest = json.loads(tar.extractfile("manifest.json").read())
            self.rows = {
                member.name.removeprefix("tables/").removesuffix(".jsonl"): [
                    json.loads(line) for line in tar.extractfile(member).read().decode().splitlines() if line
                ]
                for member in tar.getmembers()
                if member.name.startswith("tables/")
            }
            self.files = {
                Path(member.name).name: tar.extractfile(member).read()
                for member in tar.getmembers()
                if member.name.startswith("documents/") and member.isfile()
            }

    @property
    def revision(self) -> str:
        return self.manifest["revision"]


def _value(column: sa.Column, value):
    """One comparable form of a stored value: aware UTC datetimes, dates, the rest as JSON has it."""
    if value is None:
        return None
    if isinstance(column.type, sa.DateTime):
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if isinstance(column.type, sa.Date):
        return value if isinstance(value, date) else date.fromisoformat(value)
    if isinstance(column.type, sa.JSON) and isinstance(value, str):
        return json.loads(value)
    return value


def _reflected(connection) -> dict[str, sa.Table]:
    metadata = sa.MetaData()
    metadata.reflect(bind=connection)
    return {name: table for name, table in metadata.tables.items() if name != "alembic_version"}


def load(archive: Archive) -> None:
    """Insert the archive's rows through the tables as they are at its revision (reflected, not
    today's models), and put its files into the document store."""
    with db.engine.begin() as connection:
        tables = _reflected(connection)
        assert set(tables) == set(archive.rows), "the archive is not of this revision's schema"
        ordered = [t for t in _sorted(tables) if archive.rows[t.name]]
        for table in ordered:
            rows = []
            for row in archive.rows[table.name]:
                assert set(row) == set(table.c.keys()), table.name
                rows.append(
                    {
                        key: (
                            _value(table.c[key], value).replace(tzinfo=None)
                            if isinstance(table.c[key].type, sa.DateTime) and value is not None
                            else _value(table.c[key], value)
                        )
                        for key, value in row.items()
                    }
                )
            connection.execute(table.insert(), rows)
            _reset_sequence(connection, table)
    for name, data in archive.files.items():
        stored.overwrite(name, data)


def _sorted(tables: dict[str, sa.Table]) -> list[sa.Table]:
    metadata = next(iter(tables.values())).metadata
    return [t for t in metadata.sorted_tables if t.name in tables]


def _reset_sequence(connection, table: sa.Table) -> None:
    if connection.dialect.name != "postgresql":
        return
    pk = list(table.primary_key.columns)
    if len(pk) == 1 and isinstance(pk[0].type, sa.Integer):
        connection.exec_driver_sql(  # our own table names, never input
            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "  # noqa: S608  # nosec B608
            f"COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"
        )


def differences(archive: Archive, connection) -> list[str]:
    """Every row of the archive, compared column by column with what the database holds now."""
    found = []
    tables = _reflected(connection)
    for name, rows in archive.rows.items():
        if name not in tables:
            if (name, None) not in DECLARED_CHANGES:
                found.append(f"table {name} is gone ({len(rows)} rows)")
            continue
        table = tables[name]
        key = [c.name for c in table.primary_key.columns]
        held = {tuple(row[k] for k in key): row for row in connection.execute(sa.select(table)).mappings()}
        for row in rows:
            current = held.get(tuple(row[k] for k in key))
            if current is None:
                found.append(f"{name} {dict(zip(key, (row[k] for k in key), strict=True))} is gone")
                continue
            for column, value in row.items():
                if column not in table.c:
                    found.append(f"{name}.{column} is gone")
                    break
                before, after = _value(table.c[column], value), _value(table.c[column], current[column])
                declared = DECLARED_CHANGES.get((name, column))
                if declared is not None and declared.rows(row):
                    before = _value(table.c[column], declared.value)  # what it is meant to become
                if before != after:
                    found.append(f"{name} {row[key[0]]}: {column} was {before!r}, is {after!r}")
    return found


@pytest.fixture(scope="module", params=ARCHIVES, ids=[p.name for p in ARCHIVES])
def upgraded(request, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("upgrade")
    archive = Archive(request.param)
    url, drop = _scratch_database_url(tmp_path)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "upgrade-test",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "WTF_CSRF_ENABLED": False,
            "TOTP_REQUIRED_ROLES": (),
        }
    )
    try:
        with app.app_context():
            upgrade(revision=archive.revision)
            load(archive)
            upgrade()
            yield app, archive
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


def test_there_is_an_archive_of_the_last_release():
    assert ARCHIVES, "tests/fixtures/make_upgrade_fixture.py writes one"


def test_every_row_keeps_its_values(upgraded):
    app, archive = upgraded
    with db.engine.connect() as connection:
        assert differences(archive, connection) == []


def test_every_application_event_chain_document_and_statement_is_readable(upgraded):
    app, archive = upgraded
    assert {a.id: (a.title, a.state) for a in db.session.scalars(sa.select(Application))} == {
        row["id"]: (row["title"], row["state"]) for row in archive.rows["applications"]
    }
    checked, broken = verify_log()
    assert broken is None and checked == len(archive.rows["events"]) == db.session.query(Event).count()
    result = app.test_cli_runner().invoke(args=["verify-log"])
    assert result.exit_code == 0 and "unversehrt" in result.output
    kept = db.session.scalars(sa.select(Document)).all()
    assert len(kept) == len(archive.rows["documents"]) > 0
    for document in kept:
        data = stored.raw(document.storage_key)
        assert hashlib.sha256(data).hexdigest() == document.sha256
    issued = db.session.scalars(sa.select(Statement)).all()
    assert len(issued) == len(archive.rows["statements"]) > 0
    for statement in issued:
        data = statements.stored_bytes(statement)  # refuses a file whose hash changed
        record = json.loads(PdfReader(io.BytesIO(data)).attachments[statements.RECORD_NAME][0])
        assert record["statement"]["reference"] == statement.reference


def test_the_pages_open_after_the_upgrade(upgraded):
    app, archive = upgraded
    client = app.test_client()
    response = client.post(
        "/anmelden", data={"email": f"koordination@{demo.DEMO_DOMAIN}", "password": demo.DEMO_PASSWORD}
    )
    assert response.location.endswith("/anmelden/code")  # the demo coordinator's second factor
    response = client.post("/anmelden/code", data={"code": pyotp.TOTP(demo.DEMO_TOTP_SECRET).now()})
    assert response.status_code == 302 and not response.location.endswith("/anmelden/code")
    for path in ("/start", "/uebersicht/antraege", "/budget", "/sitzungen", "/eingang"):
        assert client.get(path).status_code == 200, path
    for row in archive.rows["applications"]:
        response = client.get(f"/antraege/{row['id']}")
        assert response.status_code == 200 and row["title"] in response.text, row["id"]
    for row in archive.rows["statements"]:
        response = client.get(f"/antraege/{row['application_id']}/stellungnahme/{row['version']}.pdf")
        assert response.status_code == 200 and hashlib.sha256(response.data).hexdigest() == row["sha256"]


def test_the_comparison_notices_lost_and_changed_data(upgraded):
    """The check itself: a row deleted, a value changed, a stored file altered are each found."""
    app, archive = upgraded
    with db.engine.connect() as connection:
        transaction = connection.begin()
        try:
            title = archive.rows["applications"][0]
            connection.execute(
                sa.text("UPDATE applications SET title = 'verändert' WHERE id = :id"), {"id": title["id"]}
            )
            ballot = archive.rows["ballots"][0]
            connection.execute(sa.text("DELETE FROM ballots WHERE id = :id"), {"id": ballot["id"]})
            # A column with a declared change keeps its other rows: a circulation's deadline moved
            # is found, and so is a session vote's deadline put back.
            circulation = next(r for r in archive.rows["votes"] if r["mode"] == "circulation")
            session = next(r for r in archive.rows["votes"] if r["mode"] == "session")
            connection.execute(
                sa.text("UPDATE votes SET deadline_at = :at WHERE id = :id"),
                {"id": circulation["id"], "at": datetime(2027, 1, 8, 22, 59, 59, tzinfo=UTC)},
            )
            connection.execute(
                sa.text("UPDATE votes SET deadline_at = :at WHERE id = :id"),
                {"id": session["id"], "at": datetime(2026, 12, 10, 22, 59, 59, tzinfo=UTC)},
            )
            found = differences(archive, connection)
        finally:
            transaction.rollback()
    assert any("applications" in f and "title" in f for f in found)
    assert any(f.startswith("ballots ") and f.endswith("is gone") for f in found)
    assert any(f.startswith(f"votes {circulation['id']}: deadline_at was ") for f in found), found
    assert any(f.startswith(f"votes {session['id']}: deadline_at was None") for f in found), found
    statement = db.session.scalars(sa.select(Statement).limit(1)).one()
    original = stored.raw(statement.storage_key)
    try:
        stored.overwrite(statement.storage_key, original + b"%")
        with pytest.raises(statements.StoredFileChanged):
            statements.stored_bytes(statement)
    finally:
        stored.overwrite(statement.storage_key, original)
    assert statements.stored_bytes(statement) == original
