"""An application's documents: every version, an upload, one file."""

from __future__ import annotations

from flask import jsonify, request

from workflow.api import bp, serializers
from workflow.api.loading import APP, answer, caller, visible
from workflow.api.problems import ApiError, field_errors
from workflow.api.registry import ID, ok, route
from workflow.api.validation import MAX_ID
from workflow.downloads import send_document
from workflow.extensions import db
from workflow.models import Document
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


@route(
    bp,
    "GET",
    f"{APP}/documents",
    summary="Dokumente des Antrags (alle Fassungen)",
    tag="Dokumente",
    responses=ok("DocumentList"),
)
def list_documents(application_id: int):
    user = caller()
    application = visible(application_id)
    return jsonify(
        {
            "items": [
                serializers.document(d)
                for d in documents.versions(application)
                if long_forms.may_see_document(user, application, d)
            ]
        }
    )


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
    responses=ok("Document", "Gespeichert", 201),
)
def upload_document(application_id: int):
    user = caller()
    application = visible(application_id)
    if not access.may_upload(user, application):
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
    data = serializers.document(document)
    return answer(data, 201, data["url"])


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
    document = db.session.get(Document, document_id) if 0 < document_id <= MAX_ID else None
    if (
        document is None
        or document.application_id != application.id
        or not long_forms.may_see_document(caller(), application, document)
    ):
        raise ApiError(404, "Dieses Dokument gibt es nicht.")
    return send_document(document)
