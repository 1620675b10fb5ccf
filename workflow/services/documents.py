"""Uploads: checked by their content (not their name), size-limited while being read, stored under
generated names outside the web root, kept as versions, served as attachments."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.filters import ASCII85Decode, ASCIIHexDecode
from pypdf.generic import ArrayObject, StreamObject

from workflow.extensions import db
from workflow.models import Application, User
from workflow.models.document import DOCUMENT_KINDS, Document
from workflow.models.event import log_event
from workflow.models.event_kinds import DOCUMENT_UPLOADED
from workflow.services import access, storage
from workflow.services.errors import NotAllowed, NotFound, RuleViolation

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TYPE_NAMES = {PDF: "PDF", DOCX: "Word (DOCX)", XLSX: "Excel (XLSX)"}
MB = 1024 * 1024
MAX_UNPACKED = 100 * MB  # a DOCX/XLSX, or a PDF's content, that unpacks to more is a bomb
MAX_PDF_PAGES_READ = 500
INFLATE_CHUNK = MB  # at most this much unpacked data in memory at a time
PACKED_BADLY = _l("Die Datei ist beschädigt oder unzulässig gepackt.")


@dataclass(frozen=True)
class Inspected:
    media_type: str
    data: bytes
    sha256: str
    pages: int | None


def read_limited(stream, max_bytes: int) -> bytes:
    """Read at most max_bytes; refuse a larger file without reading it whole."""
    chunks, total = [], 0
    while True:
        chunk = stream.read(64 * 1024)
        if not chunk:
            break
        total += len(chunk)
        if total > max_bytes:
            raise RuleViolation(
                _l("Die Datei ist größer als %(megabytes)s MB.", megabytes=max_bytes // MB), field="file"
            )
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise RuleViolation(_l("Die Datei ist leer."), field="file")
    return data


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
                    raise RuleViolation(PACKED_BADLY, field="file")
                _unpack_within_limit(archive)
                if "[Content_Types].xml" in names and "word/document.xml" in names:
                    return DOCX
                if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
                    return XLSX
        # A broken, truncated, encrypted or oddly packed archive is no document we accept.
        except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, ValueError):
            return None
    return None


def _unpack_within_limit(archive: zipfile.ZipFile) -> None:
    """Unpack every member chunk by chunk, counting: headers that understate the sizes do not
    help a bomb, since zipfile stops at the stated size and the checksum then fails."""
    total = 0
    for info in archive.infolist():
        with archive.open(info) as member:
            while chunk := member.read(INFLATE_CHUNK):
                total += len(chunk)
                if total > MAX_UNPACKED:
                    raise RuleViolation(PACKED_BADLY, field="file")


# -- PDF bombs: content streams that unpack to far more than the file holds ------------------------

_FLATE = frozenset({"/FlateDecode", "/Fl"})
_ASCII = {
    "/ASCIIHexDecode": ASCIIHexDecode,
    "/AHx": ASCIIHexDecode,
    "/ASCII85Decode": ASCII85Decode,
    "/A85": ASCII85Decode,
}


def _get(obj, key: str):
    """A PDF dictionary's entry, resolved if it is a reference (dict.get would not)."""
    value = obj.get(key) if hasattr(obj, "get") else None
    return value.get_object() if value is not None else None


def _inflate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Inflate a Flate stream given in chunks, yielding at most INFLATE_CHUNK bytes at a time."""
    inflater = zlib.decompressobj()
    for chunk in chunks:
        pending = chunk
        while pending and not inflater.eof:
            out = inflater.decompress(pending, INFLATE_CHUNK)
            pending = inflater.unconsumed_tail
            if out:
                yield out
        if inflater.eof:
            return
    while not inflater.eof:  # what zlib still holds once all input is in
        out = inflater.decompress(b"", INFLATE_CHUNK)
        if not out:
            return
        yield out


def unpacked_size(stream: StreamObject, limit: int) -> int:
    """How many bytes a PDF stream's filters make of it, counted chunk by chunk and only until
    past `limit`: never the whole stream in memory. Streams without Flate count as stored (the
    other filters are bounded by pypdf)."""
    filters = _get(stream, "/Filter")
    names = (
        [str(f.get_object()) for f in filters] if isinstance(filters, ArrayObject) else [str(filters or "")]
    )
    data = getattr(stream, "_data", b"") or b""  # the stored, still encoded octets (pypdf's attribute)
    while names and names[0] in _ASCII:  # these only shrink what they decode
        data = _ASCII[names.pop(0)].decode(data)
    if not names or names[0] not in _FLATE:
        return len(data)
    stages: Iterable[bytes] = [data]
    while names and names[0] in _FLATE:
        stages = _inflate(stages)
        names.pop(0)
    total = 0
    try:
        for chunk in stages:
            total += len(chunk)
            if total > limit:
                break
    except zlib.error:
        pass  # broken data: pypdf judges it when it reads the page
    return total


def _content_streams(page) -> Iterator[StreamObject]:
    contents = _get(page, "/Contents")
    for item in contents if isinstance(contents, ArrayObject) else [contents]:
        item = item.get_object() if item is not None else None
        if isinstance(item, StreamObject):
            yield item


def _form_xobjects(resources, seen: set[int]) -> Iterator[StreamObject]:
    """The form XObjects a page draws (and those they draw): text extraction reads them too."""
    xobjects = _get(resources, "/XObject")
    for ref in (xobjects if hasattr(xobjects, "values") else {}).values():
        stream = ref.get_object()
        if (
            isinstance(stream, StreamObject)
            and _get(stream, "/Subtype") == "/Form"
            and id(stream) not in seen
        ):
            seen.add(id(stream))
            yield stream
            yield from _form_xobjects(_get(stream, "/Resources"), seen)


def _refuse_pdf_bomb(reader: PdfReader) -> None:
    """Every page's content, and what the first page draws, may unpack to MAX_UNPACKED at most."""
    first = reader.pages[0]
    streams = [s for page in reader.pages for s in _content_streams(page)]
    streams += list(_form_xobjects(_get(first, "/Resources"), set()))
    unpacked = 0
    for stream in streams:
        unpacked += unpacked_size(stream, MAX_UNPACKED - unpacked)
        if unpacked > MAX_UNPACKED:
            raise RuleViolation(
                _l(
                    "Die PDF-Datei ist unzulässig gepackt: ihr Inhalt ergibt entpackt mehr als %(megabytes)s MB.",
                    megabytes=MAX_UNPACKED // MB,
                ),
                field="file",
            )


def _pdf_pages(data: bytes) -> int:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise RuleViolation(
                _l(
                    "Die PDF-Datei ist verschlüsselt oder passwortgeschützt. Bitte laden Sie sie ohne Schutz hoch."
                ),
                field="file",
            )
        pages = len(reader.pages)
        if pages == 0 or pages > MAX_PDF_PAGES_READ:
            raise RuleViolation(_l("Die PDF-Datei hat keine lesbaren Seiten."), field="file")
        _refuse_pdf_bomb(reader)  # before anything unpacks a stream whole
        reader.pages[0].extract_text()  # the first page must really parse
        return pages
    except RuleViolation:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError) as exc:
        raise RuleViolation(_l("Die Datei ist keine lesbare PDF-Datei."), field="file") from exc
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds of errors on broken files
        raise RuleViolation(_l("Die Datei ist keine lesbare PDF-Datei."), field="file") from exc


def inspect(
    stream, allowed: tuple[str, ...], max_bytes: int = 10 * MB, max_pages: int | None = None
) -> Inspected:
    """Check an upload by its content. Raises RuleViolation with a German message."""
    data = read_limited(stream, max_bytes)
    media_type = _sniff(data)
    if media_type not in allowed:
        expected = " oder ".join(TYPE_NAMES[t] for t in allowed)
        raise RuleViolation(_l("Die Datei ist keine %(expected)s-Datei.", expected=expected), field="file")
    pages = _pdf_pages(data) if media_type == PDF else None
    if max_pages is not None and pages is not None and pages > max_pages:
        raise RuleViolation(
            _l(
                "Die PDF-Datei hat %(pages)s Seiten; erlaubt sind höchstens %(max_pages)s.",
                pages=pages,
                max_pages=max_pages,
            ),
            field="file",
        )
    return Inspected(media_type, data, hashlib.sha256(data).hexdigest(), pages)


def safe_filename(name: str | None, media_type: str) -> str:
    """A harmless download name: letters, digits, dot, dash, underscore; the right extension. Only
    the last part of a path counts (some browsers send C:\\Users\\…\\skizze.pdf)."""
    name = re.split(r"[\\/]", name or "")[-1]
    stem = unicodedata.normalize("NFKC", Path(name or "dokument").stem)
    stem = re.sub(r"[^\w.-]+", "_", stem, flags=re.UNICODE)
    stem = re.sub(r"\.{2,}", ".", stem).strip("._")[:80].strip("._") or "dokument"
    extension = {PDF: ".pdf", DOCX: ".docx", XLSX: ".xlsx"}[media_type]
    return stem + extension


def store(
    application: Application, kind: str, upload: Inspected, filename: str | None, actor: User
) -> Document:
    """Store a checked upload as the next version of `kind`; the file first, then the record."""
    document = stage(application, kind, upload, filename, actor)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return document


def write_file(data) -> str:
    """Store `data` (bytes or a stream) under a new generated key in the configured store, inside
    the current transaction (a rollback removes it again); return the key."""
    return storage.put(data).key


def stage(
    application: Application, kind: str, upload: Inspected, filename: str | None, actor: User
) -> Document:
    """Like `store`, inside the caller's transaction (the caller commits; a rollback removes the
    file again)."""
    if kind not in DOCUMENT_KINDS:
        raise RuleViolation(_l("Unbekannte Dokumentart."), field="kind")
    version = (
        db.session.scalar(
            sa.select(sa.func.max(Document.version)).where(
                Document.application_id == application.id, Document.kind == kind
            )
        )
        or 0
    ) + 1
    key = write_file(upload.data)
    document = Document(
        alliance_id=application.alliance_id,
        application_id=application.id,
        kind=kind,
        version=version,
        filename=safe_filename(filename, upload.media_type),
        media_type=upload.media_type,
        size=len(upload.data),
        sha256=upload.sha256,
        pages=upload.pages,
        storage_key=key,
        uploaded_by_id=actor.id,
    )
    db.session.add(document)
    log_event(
        application,
        actor,
        DOCUMENT_UPLOADED,
        kind=kind,
        version=version,
        filename=document.filename,
        sha256=upload.sha256,
        pages=upload.pages,
    )
    db.session.flush()
    return document


def versions(application: Application, kind: str | None = None) -> list[Document]:
    """Every version (newest first per kind), from the application's documents loaded once."""
    return [d for d in application.documents if kind is None or d.kind == kind]


def current(application: Application, kind: str) -> Document | None:
    return next(iter(versions(application, kind)), None)


MISSING = _l("Die Datei ist nicht mehr vorhanden.")


def reader(document: Document):
    """The stored file, checked against the hash recorded at upload before any of it is handed
    out (one pass, chunk by chunk) and again while it is read: a missing file is a 404, a changed
    one a 409, never other bytes under the document's name."""
    try:
        storage.verify(document.storage_key, document.sha256, document.size, label=f"document {document.id}")
        return storage.open(
            document.storage_key, document.sha256, document.size, label=f"document {document.id}"
        )
    except storage.StoredFileMissing:
        current_app.logger.error("document %s: stored file %s is missing", document.id, document.storage_key)
        raise NotFound(MISSING) from None


# What each kind of document may be: the types allowed and, for a PDF, the most pages (the sketch
# is "about three pages", DESIGN.md).
UPLOAD_RULES: dict[str, tuple[tuple[str, ...], int | None]] = {
    "sketch": ((PDF,), 3),
    "long_form": ((PDF, DOCX, XLSX), None),
    "nbank_application": ((PDF,), None),
    "grant_notice": ((PDF,), None),
    "nbank_decline": ((PDF,), None),
    "other": ((PDF, DOCX, XLSX), None),
}


def upload(application: Application, kind: str, stream, filename: str | None, actor: User) -> Document:
    """Someone adds a document to an application: checked for the right, the kind and the content,
    then stored as the next version of its kind."""
    if not access.may(actor, "upload", application):
        raise NotAllowed(_l("Sie dürfen zu diesem Antrag keine Dokumente hochladen."))
    if kind not in UPLOAD_RULES:
        raise RuleViolation(_l("Unbekannte Dokumentart."), field="kind")
    allowed, max_pages = UPLOAD_RULES[kind]
    return store(application, kind, inspect(stream, allowed, max_pages=max_pages), filename, actor)
