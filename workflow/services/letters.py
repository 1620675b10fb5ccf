"""The assessment letter as a document: issued once with the decision (invite, revision, decline)
as a PDF/A-3 with the letter's data embedded, signed when the alliance has a certificate, stored
with its SHA-256 and served from storage on every download (never rendered again).

Letters of decisions taken before letters were stored have no file; their PDF is rendered on
request, unsigned, as it always was (`legacy_pdf`)."""

from __future__ import annotations

import hashlib
import io
import json

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader

from workflow.extensions import db
from workflow.models import Application, Event, Letter, User
from workflow.models.event import jsonable
from workflow.models.types import utcnow
from workflow.services import assessment, documents, pdf, signing, storage
from workflow.services.errors import NotFound
from workflow.services.statements import PDF_VARIANT, issue_pdf

RECORD_FORMAT = "antragsweg-ersteinschaetzung/1"
RECORD_NAME = "ersteinschaetzung.json"
TEMPLATE = "letters/assessment_pdf.html"


def _render(context: dict, record: dict) -> tuple[bytes, dict[str, pdf.Box]]:
    payload = json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True).encode()
    return pdf.render_with_boxes(
        TEMPLATE,
        context,
        pdf_variant=PDF_VARIANT,
        attachments=(pdf.JsonAttachment(RECORD_NAME, "Angaben des Schreibens (JSON)", payload),),
    )


def issue(application: Application, decision: str, data: dict, actor: User | None) -> Letter:
    """Render, sign (when there is a certificate) and store the letter, in the caller's transaction."""
    number = (
        db.session.scalar(
            sa.select(sa.func.max(Letter.number)).where(Letter.application_id == application.id)
        )
        or 0
    ) + 1
    reference = f"{application.reference}/E{number}"
    issued_at = utcnow().replace(microsecond=0)
    content = assessment.letter_content(application, decision, data, actor.name if actor else None, issued_at)
    content["reference"] = reference
    record = jsonable(
        {
            "format": RECORD_FORMAT,
            "alliance": {"slug": application.alliance.slug, "name": application.alliance.name},
            "letter": {
                "reference": reference,
                "application": application.reference,
                "decision": decision,
                "heading": content["heading"],
                "issued_at": issued_at,
                "issued_by": content["signer"],
            },
            "content": content,
        }
    )
    address = content["coordination_address"]
    place = address[-1].split(" ", 1)[-1] if address else ""
    with force_locale("de"):  # issued once, in the language of the procedure, whoever clicks
        data_, code, signed_by = issue_pdf(
            application.alliance,
            lambda context: _render(context, record),
            {"letter": content},
            reference=reference,
            reason=f"Ergebnis der Ersteinschätzung {reference}",
            place=place,
        )
    letter = Letter(
        alliance_id=application.alliance_id,
        application_id=application.id,
        number=number,
        reference=reference,
        decision=decision,
        record=record,
        sha256=hashlib.sha256(data_).hexdigest(),
        size=len(data_),
        pages=len(PdfReader(io.BytesIO(data_)).pages),
        storage_key=documents.write_file(data_),
        check_code_hash=signing.code_hash(code),
        signed_by=signed_by,
        issued_by_id=actor.id if actor else None,
        issued_at=issued_at,
    )
    db.session.add(letter)
    db.session.flush()
    return letter


def letter_issuer(decision: str):
    def _effect(application: Application, actor: User | None, data: dict) -> dict:
        letter = issue(application, decision, data, actor)
        return {
            "letter_reference": letter.reference,
            "letter_sha256": letter.sha256,
            "letter_signed_by": letter.signed_by,
        }

    _effect.__name__ = f"_issue_letter_{decision}"
    return _effect


def of_event(event: Event) -> Letter | None:
    """The letter issued with this decision, or None (a decision from before letters were stored)."""
    reference = (event.data or {}).get("letter_reference")
    return by_reference(reference) if reference else None


def by_reference(reference: str) -> Letter | None:
    return db.session.scalar(sa.select(Letter).where(Letter.reference == reference))


def latest(application: Application) -> Letter | None:
    return db.session.scalar(
        sa.select(Letter)
        .where(Letter.application_id == application.id)
        .order_by(Letter.number.desc())
        .limit(1)
    )


def stored_bytes(letter: Letter) -> bytes:
    """The stored PDF, exactly as issued; refuses to serve a file whose hash no longer matches."""
    try:
        return storage.read_bytes(
            letter.storage_key,
            letter.sha256,
            letter.size,
            label=f"letter {letter.reference}",
            message="Die gespeicherte Datei des Schreibens stimmt nicht mehr mit ihrem Prüfwert überein und "
            "wird deshalb nicht ausgeliefert. Bitte wenden Sie sich an die Netzwerkkoordination.",
        )
    except storage.StoredFileMissing:
        current_app.logger.error("letter %s: stored file is missing", letter.reference)
        raise NotFound(_l("Die Datei des Schreibens ist nicht mehr vorhanden.")) from None


def legacy_pdf(content: dict) -> bytes:
    """The PDF of a letter from before letters were stored: rendered on request, unsigned."""
    return pdf.render(TEMPLATE, {"letter": content})
