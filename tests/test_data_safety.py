"""Data that survives: a tamper-evident event log, backup and restore, migrations both ways, GDPR."""

from __future__ import annotations

import io
import json
import os
import uuid

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from tests import stored
from tests.conftest import _empty_tables, make_pdf
from workflow import create_app
from workflow.extensions import db
from workflow.models import Application, Ballot, Document, Event, Statement, User
from workflow.services import documents, statements
from workflow.services.backup import backup, restore
from workflow.services.errors import RuleViolation
from workflow.services.integrity import verify_log
from workflow.services.privacy import export_person
from workflow.votes import casting


def test_every_event_is_chained_to_its_predecessor(world):
    application = world.application("partner_vote")
    events = Event.query.filter_by(application_id=application.id).order_by(Event.id).all()
    assert events[0].prev_hash is None
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    assert verify_log() == (Event.query.count(), None)


def test_verify_log_names_the_first_changed_event(app, world):
    application = world.application("endorsed")
    target = Event.query.filter_by(application_id=application.id, trigger="issue_statement").one()
    with db.engine.begin() as connection:  # tampering behind the app's back
        connection.execute(
            sa.text("UPDATE events SET data = :data WHERE id = :id"),
            {"data": json.dumps({"decision": "endorse", "statement": "gefälscht"}), "id": target.id},
        )
    db.session.expire_all()
    checked, broken = verify_log()
    assert broken is not None and broken.event_id == target.id
    assert "verändert" in broken.reason
    result = app.test_cli_runner().invoke(args=["verify-log"])
    assert result.exit_code != 0 and f"Ereignis {target.id}" in result.output


def test_verify_log_notices_a_deleted_event(world):
    application = world.application("sketch_assessment")
    events = Event.query.filter_by(application_id=application.id).order_by(Event.id).all()
    with db.engine.begin() as connection:  # its texts first (they refer to it)
        connection.execute(sa.text("DELETE FROM event_texts WHERE event_id = :id"), {"id": events[1].id})
        connection.execute(sa.text("DELETE FROM events WHERE id = :id"), {"id": events[1].id})
    db.session.expire_all()
    _, broken = verify_log()
    assert broken is not None and broken.event_id == events[2].id


def test_two_events_cannot_claim_the_same_predecessor(world):
    application = world.application("sketch_draft")
    last = Event.query.filter_by(application_id=application.id).order_by(Event.id.desc()).first()
    assert last.prev_hash is not None
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO events (alliance_id, application_id, kind, data, created_at, prev_hash, hash) "
                "VALUES (:a, :p, 'forged', '{}', :t, :prev, 'x')"
            ),
            {
                "a": last.alliance_id,
                "p": application.id,
                "t": last.created_at.replace(tzinfo=None),
                "prev": last.prev_hash,
            },
        )


def test_backup_destroy_restore_finds_everything(app, world, tmp_path):
    application = world.application("partner_vote")
    application_id = application.id
    casting.cast_ballot(application, world.user("partner-dgb"), "reject", "Zu teuer.")
    document = documents.store(
        application,
        "long_form",
        documents.inspect(io.BytesIO(make_pdf(2)), (documents.PDF,)),
        "Langfassung.pdf",
        world.user("applicant-bildungswerk"),
    )
    before = {
        t.name: db.session.execute(sa.select(t).order_by(*t.primary_key.columns)).all()
        for t in db.metadata.sorted_tables
    }
    original = stored.raw(document.storage_key)
    document_id, partner_id = document.id, world.user("partner-agv").id
    archive = tmp_path / "sicherung.tar.gz"
    result = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output

    db.session.remove()
    _empty_tables()  # destroy: every row …
    stored.remove(document.storage_key)  # … and the file

    result = app.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    after = {
        t.name: db.session.execute(sa.select(t).order_by(*t.primary_key.columns)).all()
        for t in db.metadata.sorted_tables
    }
    assert after == before
    assert stored.raw(db.session.get(Document, document_id).storage_key) == original
    assert verify_log()[1] is None
    # the app goes on working after a restore (sequences continue after the restored ids)
    casting.cast_ballot(
        db.session.get(Application, application_id), db.session.get(User, partner_id), "approve"
    )
    assert Ballot.query.count() == 2


def test_backup_keeps_the_statement_files(app, world, tmp_path):
    """A statement's PDF is a stored file too: a restore serves it again, unchanged."""
    application = world.application("endorsed")
    statement = statements.latest(application)
    original, statement_id = statements.stored_bytes(statement), statement.id
    archive = tmp_path / "sicherung.tar.gz"
    backup(archive)
    stored.remove(statement.storage_key)
    db.session.remove()
    _empty_tables()

    restore(archive)
    assert statements.stored_bytes(db.session.get(Statement, statement_id)) == original


def test_restore_refuses_a_non_empty_database_and_foreign_files(app, world, tmp_path):
    world.application("consultation")
    archive = tmp_path / "s.tar.gz"
    backup(archive)
    with pytest.raises(RuleViolation, match="nicht leer"):
        restore(archive)
    bogus = tmp_path / "bogus.tar.gz"
    import tarfile

    with tarfile.open(bogus, "w:gz") as tar:
        data = json.dumps({"format": "something else"}).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(RuleViolation, match="keine Sicherung"):
        restore(bogus, replace=True)


def test_gdpr_export_and_erasure_keep_the_decision_records(app, world):
    application = world.application("partner_vote")
    partner = world.user("partner-dgb")
    email, name = partner.email, partner.name
    casting.cast_ballot(application, partner, "reject", "Nicht überzeugend.")
    exported = export_person(partner)
    assert exported["account"]["email"] == partner.email
    assert exported["ballots"][0]["comment"] == "Nicht überzeugend."
    assert any(e["kind"] == "ballot_cast" for e in exported["events"])
    result = app.test_cli_runner().invoke(args=["erase-person", email, "--yes"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    erased = db.session.get(User, partner.id)
    assert email != erased.email and name != erased.name and not erased.active
    assert Ballot.query.filter_by(cast_by_id=partner.id).count() == 1  # the decision stays
    assert verify_log()[1] is None
    login = app.test_client().post("/anmelden", data={"email": email, "password": "Antragsweg-Demo1"})
    assert login.status_code == 401


def _scratch_database_url(tmp_path) -> tuple[str, callable]:
    """A database of its own for the migration test, of the same kind as the suite's."""
    base = os.environ.get("ANTRAGSWEG_TEST_DATABASE_URL")
    if not base:
        return "sqlite:///" + str(tmp_path / "migrations.sqlite3"), lambda: None
    name = f"aw_migrations_{uuid.uuid4().hex[:8]}"
    server = sa.create_engine(base.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")

    def drop():
        with server.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        server.dispose()

    return base.rsplit("/", 1)[0] + "/" + name, drop


def test_every_migration_upgrades_and_downgrades_cleanly(tmp_path):
    url, drop = _scratch_database_url(tmp_path)
    scratch = create_app(
        {"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path / "instance")}
    )
    try:
        with scratch.app_context():
            upgrade()
            tables_at_head = set(sa.inspect(db.engine).get_table_names())
            downgrade(revision="base")
            assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert set(sa.inspect(db.engine).get_table_names()) == tables_at_head
            db.engine.dispose()
    finally:
        drop()
