"""Uploads are checked by content, limited in size, kept as versions."""

from __future__ import annotations

import io
import zipfile

import pytest
from pypdf import PdfReader, PdfWriter

from tests import stored
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
    assert stored.raw(first.storage_key).startswith(b"%PDF-")
    assert Document.query.count() == 2
    uploads = (
        Event.query.filter_by(application_id=application.id, kind="document_uploaded").order_by(Event.id).all()
    )
    assert [e.data["version"] for e in uploads] == [1, 2]


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("C:\\Users\\bea\\Desktop\\Skizze 2026.pdf", "Skizze_2026.pdf"),  # some browsers send the path
        ("..\\..\\windows\\boot.ini.pdf", "boot.ini.pdf"),
        ("../../etc/passwd\x00.pdf", "passwd.pdf"),
        ("Rechnung\u202efdp.pdf", "Rechnung_fdp.pdf"),
        ("a...b....pdf", "a.b.pdf"),
        ("....pdf", "dokument.pdf"),
        ("x" * 10_000 + ".pdf", "x" * 80 + ".pdf"),
        (None, "dokument.pdf"),
    ],
)
def test_download_names_are_harmless(name, stored):
    assert documents.safe_filename(name, PDF) == stored


@pytest.mark.parametrize("in_form", [False, True], ids=["page content", "form XObject"])
def test_a_pdf_bomb_is_refused_without_unpacking_it_whole(in_form):
    """A 110 kB PDF whose page content (or a form it draws) unpacks to 110 MB: counted chunk by chunk
    and refused past 100 MB, with a few MB in memory at most (pypdf alone would unpack it whole)."""
    import tracemalloc

    from tests.bad_input import pdf_bomb

    bomb = pdf_bomb(in_form=in_form)
    assert len(bomb) < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(
            RuleViolation, match="unzulässig gepackt: ihr Inhalt ergibt entpackt mehr als 100 MB"
        ):
            documents.inspect(io.BytesIO(bomb), (PDF,))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * documents.MB


def test_unpacked_sizes_are_counted_through_every_flate_stage():
    import zlib

    from pypdf.generic import ArrayObject, NameObject, StreamObject

    def stream(data: bytes, *filters: str) -> StreamObject:
        obj = StreamObject()
        obj._data = data  # the stored octets, as pypdf keeps them
        names = [NameObject(f) for f in filters]
        if names:
            obj[NameObject("/Filter")] = ArrayObject(names) if len(names) > 1 else names[0]
        return obj

    content = b"BT /F1 12 Tf (Hallo) Tj ET\n" * 1000
    assert documents.unpacked_size(stream(content), 10**9) == len(content)
    assert documents.unpacked_size(stream(zlib.compress(content), "/FlateDecode"), 10**9) == len(content)
    double = zlib.compress(zlib.compress(b"\0" * (20 * documents.MB)))  # a bomb inside a bomb
    assert documents.unpacked_size(stream(double, "/Fl", "/Fl"), documents.MB) <= 2 * documents.MB
    hex_flate = zlib.compress(content).hex().encode() + b">"
    assert documents.unpacked_size(stream(hex_flate, "/AHx", "/FlateDecode"), 10**9) == len(content)
    assert documents.unpacked_size(stream(b"kein zlib", "/FlateDecode"), 10**9) == 0  # pypdf judges it


def test_a_cut_off_upload_leaves_no_temporary_file_open(app, world, login):
    """werkzeug drops the spooled file of a multipart part it could not finish unclosed; the app
    closes it when the request ends."""
    import gc
    import warnings

    application = world.application("long_form_draft")
    body = (
        b'--grenze\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\n" + b"0" * 600_000  # spooled to disk; no end
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response = login("applicant-bildungswerk").post(
            f"/antraege/{application.id}/langfassung/dokument",
            data=body,
            content_type="multipart/form-data; boundary=grenze",
        )
        gc.collect()
    assert response.status_code == 422 and "Bitte wählen Sie eine Datei aus." in response.text
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert Document.query.count() == 0


def _lying_docx(unpacked: int) -> bytes:
    """A DOCX whose zip headers claim each member is tiny while one of them unpacks to `unpacked` bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<x/>")
        archive.writestr("word/document.xml", b"\0" * unpacked)
    data = bytearray(out.getvalue())
    # Rewrite the stated uncompressed size (local header and central directory) to 10 bytes.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset : start + offset + 4] = (10).to_bytes(4, "little")
            start += 4
    return bytes(data)


def test_a_zip_bomb_that_understates_its_sizes_is_refused():
    """Headers that claim 10 bytes per member pass a check of the stated sizes; unpacking counts."""
    with pytest.raises(RuleViolation):
        documents.inspect(io.BytesIO(_lying_docx(120 * 1024 * 1024)), (DOCX,))
    assert documents.inspect(io.BytesIO(_office("docx")), (DOCX,)).media_type == DOCX
