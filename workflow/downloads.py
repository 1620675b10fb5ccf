"""Sending a stored document as an attachment, streamed from the document store chunk by chunk
(views and the API alike): never the whole file in memory, never unchecked bytes (see
services/storage.py: the reader holds back the end of a file that does not match its hash)."""

from __future__ import annotations

import io

from flask import send_file

from workflow.models import Document
from workflow.services import documents


def send_document(document: Document):
    response = send_file(
        documents.reader(document),
        mimetype=document.media_type,
        as_attachment=True,
        download_name=document.filename,  # send_file quotes it as RFC 6266 wants
        max_age=0,
        etag=False,
        conditional=False,
    )
    response.content_length = document.size
    response.headers["Cache-Control"] = "private, no-store"
    return response


def send_pdf(data: bytes, filename: str):
    """A PDF made on request (a protocol, a session's papers): an attachment, never cached."""
    response = send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=filename,
        max_age=0,
        etag=False,
        conditional=False,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
