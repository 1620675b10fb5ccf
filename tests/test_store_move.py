"""`flask move-documents --to database|folder`: every file copied and checked, a second run copies
nothing, a file that does not match its hash is reported and not copied."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import sqlalchemy as sa

from tests import stored
from tests.conftest import make_pdf
from workflow.extensions import db
from workflow.models import StoredFile
from workflow.services import documents, statements, storage, store_move


def _documents(world):
    sponsor = world.user("applicant-bildungswerk")
    application = world.application("sketch_draft")
    sketch = documents.store(
        application, "sketch", documents.inspect(io.BytesIO(make_pdf(1)), (documents.PDF,)), "S.pdf", sponsor
    )
    statement = statements.latest(world.application("endorsed"))
    return application, sketch, statement


def _move(app, to):
    return app.test_cli_runner().invoke(args=["move-documents", "--to", to])


def test_folder_to_database_and_back(app, world, login):
    application, sketch, statement = _documents(world)
    files = {key for key, *_ in store_move.named_files()}
    assert len(files) >= 3  # the sketch, the statement, the assessment letter

    result = _move(app, "database")
    assert result.exit_code == 0, result.output
    assert f"Von folder nach database: {len(files)} kopiert und geprüft, 0 waren schon da" in result.output
    assert set(db.session.scalars(sa.select(StoredFile.key))) == files

    again = _move(app, "database")
    assert again.exit_code == 0 and f"0 kopiert und geprüft, {len(files)} waren schon da" in again.output

    # The folder gone, the database serves everything.
    folder = Path(app.config.get("DOCUMENT_STORAGE") or Path(app.instance_path) / "documents")
    shutil.rmtree(folder)
    app.config["DOCUMENT_STORE"] = "database"
    try:
        response = login("applicant-bildungswerk").get(f"/antraege/{application.id}/dokumente/{sketch.id}")
        assert response.status_code == 200 and hashlib.sha256(response.data).hexdigest() == sketch.sha256
        assert hashlib.sha256(statements.stored_bytes(statement)).hexdigest() == statement.sha256
    finally:
        app.config["DOCUMENT_STORE"] = "folder"

    back = _move(app, "folder")
    assert back.exit_code == 0 and f"Von database nach folder: {len(files)} kopiert" in back.output
    assert stored.keys() >= files
    assert storage.read_bytes(sketch.storage_key, sketch.sha256, sketch.size)[:5] == b"%PDF-"


def test_a_file_that_does_not_match_is_reported_and_not_copied(app, world):
    _, sketch, statement = _documents(world)
    count = len(store_move.named_files())
    stored.tamper(sketch.storage_key)
    stored.remove(statement.storage_key)

    result = _move(app, "database")
    assert result.exit_code != 0
    assert (
        f"{count - 2} kopiert und geprüft, 0 waren schon da, 1 mit falschem Prüfwert, 1 fehlen"
        in result.output
    )
    assert f"Prüfwert stimmt nicht, nicht kopiert: documents {sketch.id}" in result.output
    assert f"In keinem Speicher vorhanden: statements {statement.id}" in result.output
    in_database = set(db.session.scalars(sa.select(StoredFile.key)))
    assert sketch.storage_key not in in_database and len(in_database) == count - 2
    assert not db.session.scalar(
        sa.select(sa.func.count())
        .select_from(storage.StoredChunk)
        .where(storage.StoredChunk.key == sketch.storage_key)
    )


def test_a_damaged_copy_in_the_target_is_copied_again(app, world):
    _, sketch, _ = _documents(world)
    assert _move(app, "database").exit_code == 0
    app.config["DOCUMENT_STORE"] = "database"
    try:
        stored.tamper(sketch.storage_key)
    finally:
        app.config["DOCUMENT_STORE"] = "folder"
    result = _move(app, "database")
    assert result.exit_code == 0 and "1 kopiert und geprüft" in result.output
    storage.verify(sketch.storage_key, sketch.sha256, sketch.size, using=storage.store("database"))


def test_an_unknown_target_is_refused(app, ctx):
    result = _move(app, "s3")
    assert result.exit_code == 2 and "'s3' is not one of" in result.output
