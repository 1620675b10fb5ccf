"""The document store (services/storage.py): the folder and the database behind one interface,
written and read in chunks, every read checked against the recorded SHA-256."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import stored
from tests.conftest import _empty_tables, make_pdf
from workflow.extensions import db
from workflow.models import Document, Statement, StoredChunk, StoredFile
from workflow.services import documents, statements, storage
from workflow.services.backup import backup, restore


def _folder(app) -> Path:
    return Path(app.config.get("DOCUMENT_STORAGE") or Path(app.instance_path) / "documents")


def test_put_open_delete_in_chunks(ctx, document_store):
    data = os.urandom(3 * storage.CHUNK + 1234)
    put = storage.put(io.BytesIO(data))
    db.session.commit()
    assert (put.sha256, put.size) == (hashlib.sha256(data).hexdigest(), len(data))
    target = storage.store()
    assert target.name == document_store and target.exists(put.key) and put.key in set(target.keys())
    assert [len(c) for c in target.chunks(put.key)] == [storage.CHUNK] * 3 + [1234]
    with storage.open(put.key, put.sha256, put.size) as reader:
        assert reader.read() == data
    if document_store == "database":  # the bytes are in the database, one row per chunk
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredChunk)) == 4
        assert not (_folder(ctx) / put.key).exists()
    else:
        assert (_folder(ctx) / put.key).read_bytes() == data
    target.delete(put.key)
    db.session.commit()
    assert not target.exists(put.key) and put.key not in set(target.keys())
    with pytest.raises(storage.StoredFileMissing):
        storage.read_bytes(put.key, put.sha256, put.size)


def test_a_rolled_back_write_leaves_nothing(ctx, document_store):
    before = stored.keys()  # the folder keeps earlier tests' files: only this write counts
    put = storage.put(b"%PDF- nie gespeichert")
    assert storage.store().exists(put.key)
    db.session.rollback()
    assert not storage.store().exists(put.key) and stored.keys() == before


@pytest.mark.parametrize("change", ["tamper", "truncate", "extend"])
def test_changed_bytes_are_never_handed_out_whole(ctx, document_store, change):
    """A changed file raises before its last chunk leaves the reader: what was read of it is
    never the whole file, and nothing says it was."""
    data = os.urandom(2 * storage.CHUNK + 10)
    put = storage.put(data)
    db.session.commit()
    if change == "tamper":
        stored.tamper(put.key)
    else:
        stored.overwrite(put.key, data[:-1] if change == "truncate" else data + b"x")
    received = bytearray()
    with (
        pytest.raises(storage.StoredFileChanged, match="Prüfwert"),
        storage.open(put.key, put.sha256, put.size) as reader,
    ):
        while chunk := reader.read(8192):
            received += chunk
    assert len(received) < len(data)
    with pytest.raises(storage.StoredFileChanged):
        storage.verify(put.key, put.sha256, put.size)


def _sketch(world, pages=1):
    application = world.application("sketch_draft")
    document = documents.store(
        application,
        "sketch",
        documents.inspect(io.BytesIO(make_pdf(pages)), (documents.PDF,)),
        "Skizze.pdf",
        world.user("applicant-bildungswerk"),
    )
    return application, document


def test_a_download_comes_from_the_configured_store(app, world, login, document_store):
    application, document = _sketch(world)
    url = f"/antraege/{application.id}/dokumente/{document.id}"
    response = login("applicant-bildungswerk").get(url)
    assert response.status_code == 200 and response.headers["Content-Length"] == str(document.size)
    assert hashlib.sha256(response.data).hexdigest() == document.sha256
    assert response.headers["Content-Disposition"] == "attachment; filename=Skizze.pdf"
    in_folder = (_folder(app) / document.storage_key).exists()
    assert in_folder == (document_store == "folder")


def test_a_changed_document_is_refused_with_409_and_a_missing_one_404(world, login, document_store):
    application, document = _sketch(world)
    url = f"/antraege/{application.id}/dokumente/{document.id}"
    stored.tamper(document.storage_key)
    response = login("applicant-bildungswerk").get(url)
    assert response.status_code == 409 and b"%PDF" not in response.data
    assert "Prüfwert" in response.text
    stored.remove(document.storage_key)
    response = login("applicant-bildungswerk").get(url)
    assert response.status_code == 404 and "nicht mehr vorhanden" in response.text


def test_a_statement_is_stored_and_checked_in_either_store(world, document_store):
    application = world.application("endorsed")
    statement = statements.latest(application)
    assert stored.raw(statement.storage_key) == statements.stored_bytes(statement)
    stored.tamper(statement.storage_key)
    with pytest.raises(statements.StoredFileChanged):
        statements.stored_bytes(statement)


@pytest.mark.parametrize("restore_into", ["folder", "database"])
def test_backup_and_restore_carry_the_files_of_either_store(app, world, tmp_path, document_store, restore_into):
    """Written from one store, restored into the same or the other: every document and statement
    comes back byte for byte, checked against its row."""
    _, document = _sketch(world)
    statement = statements.latest(world.application("endorsed"))
    kept = {
        (Document, document.id): stored.raw(document.storage_key),
        (Statement, statement.id): stored.raw(statement.storage_key),
    }
    archive = tmp_path / "sicherung.tar.gz"
    assert backup(archive)["documents"] >= len(kept)  # and the assessment letter
    for row in (document, statement):
        stored.remove(row.storage_key)
    db.session.remove()
    _empty_tables()
    app.config["DOCUMENT_STORE"] = restore_into
    restore(archive)
    for (model, row_id), data in kept.items():
        row = db.session.get(model, row_id)
        assert storage.read_bytes(row.storage_key, row.sha256, row.size) == data
    in_database = db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile))
    assert (in_database > 0) == (restore_into == "database")


def test_backup_refuses_a_changed_file(world, tmp_path, document_store):
    _, document = _sketch(world)
    stored.tamper(document.storage_key)
    with pytest.raises(storage.StoredFileChanged):
        backup(tmp_path / "sicherung.tar.gz")


def test_an_unknown_store_is_a_clear_error(app, ctx):
    app.config["DOCUMENT_STORE"] = "s3"
    try:
        with pytest.raises(storage.RuleViolation, match="Unbekannter Dokumentenspeicher 's3'"):
            storage.store()
    finally:
        app.config["DOCUMENT_STORE"] = "folder"
