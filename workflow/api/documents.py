"""An application's documents: every version, an upload, one file."""

from __future__ import annotations

from typing import Literal

from flask import jsonify, request, url_for

from workflow import models
from workflow.api import bp
from workflow.api.loading import APP, answer, caller, visible
from workflow.api.problems import ApiError, field_errors
from workflow.api.registry import ID, ok, route
from workflow.api.shapes import DateTime, Named, Shape, named
from workflow.api.validation import MAX_ID
from workflow.downloads import send_document
from workflow.extensions import db
from workflow.models.document import DOCUMENT_KINDS
from workflow.services import access, documents, long_forms, sketches
from workflow.services.documents import DOCX, PDF, XLSX

# Uploaded on their own; the NBank's documents come with their trigger.
UPLOAD_KINDS = ("sketch", "long_form", "other")
UPLOAD = {
    "type": "object",
    "properties": {
        "kind": {"enum": list(UPLOAD_KINDS), "title": "Dokumentart"},
        "file": {"type": "string", "format": "binary", "title": "Datei (PDF, DOCX oder XLSX)"},
    },
    "required": ["kind", "file"],
}
FILE = {"type": "string", "format": "binary"}


class Document(Shape):
    """Eine Fassung eines Dokuments des Antrags."""

    id: int
    kind: Literal[tuple(DOCUMENT_KINDS)]
    kind_label: str
    version: int
    filename: str
    media_type: str
    size: int
    sha256: str
    pages: int | None
    uploaded_at: DateTime
    uploaded_by: Named
    url: str


class DocumentList(Shape):
    items: list[Document]


def document_of(item: models.Document) -> Document:
    return Document(
        id=item.id,
        kind=item.kind,
        kind_label=str(item.kind_label),
        version=item.version,
        filename=item.filename,
        media_type=item.media_type,
        size=item.size,
        sha256=item.sha256,
        pages=item.pages,
        uploaded_at=item.uploaded_at,
        uploaded_by=named(item.uploaded_by),
        url=url_for("api.download_document", application_id=item.application_id, document_id=item.id),
    )


@route(
    bp,
    "GET",
    f"{APP}/documents",
    summary="Dokumente des Antrags (alle Fassungen)",
    tag="Dokumente",
    responses=ok(DocumentList),
)
def list_documents(application_id: int):
    user = caller()
    application = visible(application_id)
    items = [document_of(d) for d in documents.versions(application) if access.may(user, "download", d)]
    return jsonify(DocumentList(items=items).plain())


@route(
    bp,
    "POST",
    f"{APP}/documents",
    summary="Dokument hochladen (neue Fassung seiner Art)",
    description="multipart/form-data mit `kind` und `file`. Geprüft wird der Inhalt, nicht der Name. "
    "`sketch`: die Projektskizze als PDF mit höchstens 3 Seiten, solange sie ein Entwurf ist; `long_form`: "
    "die Langfassung im Formular der NBank (PDF, DOCX oder XLSX), solange sie bearbeitet wird; `other`: "
    "ein sonstiges Dokument. Die Dokumente der NBank (Antrag, Bescheid, Ablehnung) kommen mit ihrem "
    "Auslöser (`…/transitions/record_nbank_submission` usw.).",
    tag="Dokumente",
    multipart=UPLOAD,
    errors=(403, 404),
    responses=ok(Document, "Gespeichert", 201),
)
def upload_document(application_id: int):
    user = caller()
    application = visible(application_id)
    if not access.may(user, "upload", application):
        raise ApiError(403, "Sie dürfen zu diesem Antrag keine Dokumente hochladen.")
    kind, upload = request.form.get("kind", ""), request.files.get("file")
    messages = {}
    if kind not in UPLOAD_KINDS:
        messages["kind"] = ["Erlaubt sind: " + ", ".join(UPLOAD_KINDS) + "."]
    if upload is None:
        messages["file"] = ["Bitte senden Sie eine Datei im Feld „file“."]
    if messages:
        raise ApiError(
            422,
            "Bitte prüfen Sie die Angaben: " + "; ".join(f"{k}: {v[0]}" for k, v in messages.items()),
            errors=field_errors(messages),
        )
    # The same operation as the page of each kind (with its rule of who may upload when).
    if kind == "sketch":
        document = sketches.upload_pdf(application, user, upload.stream, upload.filename)
    elif kind == "long_form":
        document = long_forms.store_document(application, user, upload.stream, upload.filename)
    else:
        document = documents.upload(application, kind, upload.stream, upload.filename, user)
    data = document_of(document)
    return answer(data.plain(), 201, data.url)


@route(
    bp,
    "GET",
    f"{APP}/documents/<{ID}:document_id>",
    summary="Die Datei eines Dokuments (als Anhang)",
    tag="Dokumente",
    responses={200: ("Die Datei", FILE, (PDF, DOCX, XLSX))},
)
def download_document(application_id: int, document_id: int):
    application = visible(application_id)
    document = db.session.get(models.Document, document_id) if 0 < document_id <= MAX_ID else None
    if (
        document is None
        or document.application_id != application.id
        or not access.may(caller(), "download", document)
    ):
        raise ApiError(404, "Dieses Dokument gibt es nicht.")
    return send_document(document)
