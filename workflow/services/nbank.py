"""The NBank stage: the submission, the grant notice or the refusal, each with its document
(checked by content, stored as the next version) in the same transaction as the transition."""

from __future__ import annotations

import io

from workflow.models import Application, User
from workflow.rules import nbank
from workflow.services import documents
from workflow.services.documents import PDF

DOCUMENT_KINDS = {
    "record_nbank_submission": "nbank_application",
    "record_grant": "grant_notice",
    "record_nbank_decline": "nbank_decline",
}
MAX_BYTES = 10 * documents.MB


def _upload(value):
    """(stream, filename) of an upload: a werkzeug FileStorage, bytes, (bytes, name) or a file."""
    if isinstance(value, tuple):  # (bytes, file name), as the demo gives it
        return io.BytesIO(value[0]), value[1]
    if isinstance(value, (bytes, bytearray)):
        return io.BytesIO(value), "dokument.pdf"
    stream = getattr(value, "stream", value)
    return stream, getattr(value, "filename", None) or "dokument.pdf"


def document_recorder(trigger: str):
    def store(application: Application, actor: User | None, data: dict) -> dict:
        stream, filename = _upload(data["document"])
        inspected = documents.inspect(stream, (PDF,), max_bytes=MAX_BYTES)
        document = documents.stage(application, DOCUMENT_KINDS[trigger], inspected, filename, actor)
        recorded = {
            "document": {
                "id": document.id,
                "kind": document.kind,
                "version": document.version,
                "filename": document.filename,
                "sha256": document.sha256,
            }
        }
        if trigger == "record_nbank_submission":
            recorded["nbank_reference"] = nbank.normalise_reference(data.get("nbank_reference"))
        return recorded

    return store

