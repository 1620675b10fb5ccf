"""The statement: drafting it after a closed vote (the page of the `issue_statement` trigger),
downloading it as issued, correcting it; the vote protocol as a PDF."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from forms.statement import CorrectStatementForm
from forms.transitions import IssueStatementForm
from workflow import formatting
from workflow.downloads import send_document
from workflow.extensions import db
from workflow.models import Application, Document
from workflow.services import access, documents, statements
from workflow.services import lifecycle as lifecycle_service
from workflow.services.errors import RuleViolation
from workflow.services.nbank import DOCUMENT_KINDS as NBANK_DOCUMENT_KINDS
from workflow.views.lookup import visible_application
from workflow.views.sections import section

bp = Blueprint("statements", __name__)


# How the long form was discussed, as a phrase that fits the sentence (never "im Sitzung").
_DISCUSSED_IN = {"circulation": "im Umlaufverfahren", "session": "in einer Sitzung"}


def _suggested_reasoning(vote: dict, committee: str) -> str:
    """The statement's text to start from, in the language the statement is issued in; the
    committee's name is quoted, so any name (Lenkungskreis, Steuerungsgruppe …) reads right."""
    tally = vote["tally"]
    with formatting.in_record_language():
        voted = ngettext(
            "%(num)s von %(eligible)s stimmberechtigten Bündnispartnern hat abgestimmt",
            "%(num)s von %(eligible)s stimmberechtigten Bündnispartnern haben abgestimmt",
            tally["cast"],
            eligible=tally["eligible"],
        )
        counted = formatting.choice_counts(tally)
    return (
        f"Das Gremium „{committee}“ hat die Langfassung {_DISCUSSED_IN[vote['mode']]} beraten. "
        f"{voted}: {counted}. Ergebnis: {vote['outcome_label']}."
    )


def draft_page(application: Application, trigger):
    """GET: the statement pre-filled from the record; POST: issue it (fires `issue_statement`)."""
    facts = statements.draft(application)
    form = IssueStatementForm()
    allowed = [d["value"] for d in facts["decisions"]]
    form.decision.choices = [c for c in form.decision.choices if c.value in allowed]
    if request.method == "GET":
        if len(allowed) == 1:
            form.decision.data = allowed[0]
        form.statement.data = _suggested_reasoning(facts["vote"], application.alliance.committee_name)
    status = 200
    if form.validate_on_submit():
        try:
            lifecycle_service.fire(application, trigger.name, current_user, form.recorded())
        except RuleViolation as refusal:
            form.form_errors.extend(refusal.messages)
            status = 422
        else:
            statement = statements.latest(application)
            flash(
                gettext(
                    "Die Stellungnahme %(reference)s ist ausgestellt und gespeichert (SHA-256 %(hash)s…). Der "
                    "Antragsteller ist benachrichtigt.",
                    reference=statement.reference,
                    hash=statement.sha256[:16],
                ),
                "success",
            )
            return redirect(url_for("applications.show", application_id=application.id) + "#stellungnahme")
    elif form.errors:
        status = 422
    return render_template(
        "statements/draft.html", application=application, trigger=trigger, form=form, facts=facts
    ), status


@bp.get("/antraege/<int:application_id>/stellungnahme/<int:version>.pdf")
@login_required
def download(application_id: int, version: int):
    application = visible_application(application_id)
    statement = statements.get(application, version)
    data = statements.stored_bytes(statement)
    return (
        data,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="{statement.filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@bp.get("/antraege/<int:application_id>/votum/protokoll.pdf")
@login_required
def protocol(application_id: int):
    application = visible_application(application_id)
    if not statements.may_read_protocol(current_user, application):
        abort(403)
    data = statements.protocol(application, current_user)
    return (
        data,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="Abstimmungsprotokoll_{application.reference}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/antraege/<int:application_id>/stellungnahme/berichtigen", methods=["GET", "POST"])
@login_required
def correct(application_id: int):
    application = visible_application(application_id)
    if not current_user.is_coordinator:
        abort(403)
    previous = statements.latest(application)
    if previous is None:
        abort(404)
    form = CorrectStatementForm()
    if request.method == "GET":
        texts = previous.record["statement"]
        form.replaces_version.data = str(previous.version)
        for name in ("statement", "conditions", "recommendations", "requested_changes"):
            form[name].data = texts.get(name) or ""
    status = 200
    if form.validate_on_submit():
        try:
            statement = statements.correct(application, current_user, form.values())
        except RuleViolation as refusal:
            form.form_errors.extend(refusal.messages)
            status = 422
        else:
            flash(
                gettext(
                    "Die berichtigte Stellungnahme %(reference)s ist ausgestellt.",
                    reference=statement.reference,
                ),
                "success",
            )
            return redirect(url_for("applications.show", application_id=application.id) + "#stellungnahme")
    elif form.errors:
        status = 422
    return render_template(
        "statements/correct.html", application=application, form=form, previous=previous
    ), status


@section("statement", "statements/_section.html", order=60, title=_l("Stellungnahme"), anchor="stellungnahme")
def _statement_section(application: Application, user) -> dict | None:
    issued = statements.versions(application)
    may_protocol = statements.may_read_protocol(user, application)
    if not issued and not may_protocol:
        return None
    return {
        "statements": [
            {
                "version": s.version,
                "reference": s.reference,
                "decision": s.decision_label,
                "issued_at": s.issued_at,
                "issued_by": s.issued_by.name,
                "sha256": s.sha256,
                "pages": s.pages,
                "replaces": s.replaces.reference if s.replaces else None,
                "correction_reason": s.correction_reason,
                "signed_by": s.signed_by,
                "current": i == 0,
            }
            for i, s in enumerate(issued)
        ],
        "may_correct": bool(issued) and user.is_coordinator,
        "may_protocol": may_protocol,
    }


@bp.get("/antraege/<int:application_id>/nbank-dokumente/<int:document_id>")
@login_required
def nbank_document(application_id: int, document_id: int):
    application = visible_application(application_id)
    document = db.session.get(Document, document_id)
    if (
        not access.may_download(current_user, application, document)
        or document.kind not in NBANK_DOCUMENT_KINDS.values()
    ):
        abort(404)
    return send_document(document)


@section(
    "nbank_documents",
    "statements/_nbank_documents.html",
    order=70,
    title=_l("Unterlagen der NBank"),
    anchor="nbank",
)
def _nbank_documents_section(application: Application, user) -> dict | None:
    rows = [
        {
            "id": d.id,
            "kind": d.kind_label,
            "version": d.version,
            "filename": d.filename,
            "uploaded_at": d.uploaded_at,
            "uploaded_by": d.uploaded_by.name,
            "sha256": d.sha256,
        }
        for d in documents.versions(application)
        if d.kind in NBANK_DOCUMENT_KINDS.values()
    ]
    return {"documents": rows} if rows else None
