"""Uploads are checked by content, limited in size, kept as versions."""

from __future__ import annotations

import io
import zipfile

import pytest
from pypdf import PdfReader, PdfWriter

from tests.conftest import make_pdf
from workflow.models import Document, Event
from workflow.services import documents
from workflow.services.documents import DOCX, PDF, XLSX
from workflow.services.errors import RuleViolation


def _encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(1))))
    writer.encrypt("geheim")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _office(kind: str, extra_bytes: int = 0) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<x/>")
        if extra_bytes:
            archive.writestr("bomb.bin", b"\0" * extra_bytes)
    return out.getvalue()


def test_a_real_pdf_is_accepted_and_its_pages_counted():
    inspected = documents.inspect(io.BytesIO(make_pdf(3)), (PDF,), max_pages=3)
    assert (inspected.media_type, inspected.pages) == (PDF, 3)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "leer"),
        (b"Das ist Text, kein PDF.", "keine PDF-Datei"),
        (b"%PDF-1.7\nkaputt", "keine lesbare PDF-Datei"),
        (make_pdf(4), "4 Seiten; erlaubt sind höchstens 3"),
        (_encrypted_pdf(), "verschlüsselt"),
        (_office("docx"), "keine PDF-Datei"),  # a Word file renamed .pdf
    ],
)
def test_bad_pdfs_are_refused_in_german(data, message):
    with pytest.raises(RuleViolation, match=message):
        documents.inspect(io.BytesIO(data), (PDF,), max_pages=3)


def test_size_is_limited_while_reading():
    class Endless(io.RawIOBase):
        reads = 0

        def read(self, n=-1):
            Endless.reads += 1
            return b"%" * 65536

    with pytest.raises(RuleViolation, match="größer als 1 MB"):
        documents.inspect(Endless(), (PDF,), max_bytes=1024 * 1024)
    assert Endless.reads <= 17  # stopped just past the limit, never read whole


def test_office_documents_are_recognised_by_content_and_zip_bombs_refused():
    assert documents.inspect(io.BytesIO(_office("docx")), (PDF, DOCX, XLSX)).media_type == DOCX
    assert documents.inspect(io.BytesIO(_office("xlsx")), (PDF, DOCX, XLSX)).media_type == XLSX
    with pytest.raises(RuleViolation, match="unzulässig gepackt"):
        documents.inspect(io.BytesIO(_office("docx", extra_bytes=150 * 1024 * 1024)), (DOCX,))


def test_uploads_are_versions_under_generated_names(world):
    application = world.application("sketch_draft")
    sponsor = world.user("applicant-bildungswerk")
    first = documents.store(
        application,
        "sketch",
        documents.inspect(io.BytesIO(make_pdf(1)), (PDF,)),
        "../../etc/Skizze <v1>.pdf",
        sponsor,
    )
    second = documents.store(
        application, "sketch", documents.inspect(io.BytesIO(make_pdf(2)), (PDF,)), "Skizze.pdf", sponsor
    )
    assert (first.version, second.version) == (1, 2)
    assert first.filename == "Skizze_v1.pdf" and "/" not in first.filename
    assert first.storage_key != second.storage_key and "." not in first.storage_key
    assert documents.current(application, "sketch").id == second.id
    assert documents.path_of(first).read_bytes().startswith(b"%PDF-")
    assert Document.query.count() == 2
    uploads = Event.query.filter_by(application_id=application.id, kind="document_uploaded").all()
    assert [e.data["version"] for e in uploads] == [1, 2]
