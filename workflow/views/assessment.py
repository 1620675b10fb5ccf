"""The first assessment: the coordinator's inbox, consultations with NBank, MS and partners, read
access and comments (never shown to the sponsor), and the result as a letter (HTML and PDF)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from forms.assessment import CommentForm, ConsultationNoteForm, GrantAccessForm
from workflow.models import Application
from workflow.services import access, assessment, letters
from workflow.services.errors import RuleViolation
from workflow.views import navigation
from workflow.views.applications import _render_show
from workflow.views.lookup import visible_application
from workflow.views.sections import section

bp = Blueprint("assessment", __name__)

navigation.register(_l("Eingang"), "assessment.inbox", ("coordinator",), order=5)


def _assessment_summary(data: dict) -> str:
    internal = data["internal"]
    return " · ".join(
        (
            ngettext(
                "%(num)d Abstimmung mit beteiligten Stellen",
                "%(num)d Abstimmungen mit beteiligten Stellen",
                len(internal["consultations"]),
            ),
            ngettext("%(num)d Kommentar", "%(num)d Kommentare", len(internal["comments"])),
        )
    )


@section(
    "assessment",
    "applications/_assessment.html",
    order=40,
    title=_l("Ersteinschätzung (intern)"),
    anchor="ersteinschaetzung",
    summary=_assessment_summary,
    open_in=("sketch_submitted", "sketch_assessment"),
)
def _assessment_section(application: Application, user) -> dict | None:
    internal = assessment.internal(application, user)
    if internal is None:
        return None
    return {
        "internal": internal,
        "consultation_form": ConsultationNoteForm(prefix="consultation"),
        "grant_form": GrantAccessForm(prefix="grant", organisations=internal["organisations"]),
        "comment_form": CommentForm(prefix="comment"),
    }


@section(
    "letter",
    "applications/_letter.html",
    order=45,
    title=_l("Ergebnis der Ersteinschätzung"),
    anchor="ergebnis",
)
def _letter_section(application: Application, user) -> dict | None:
    letter = assessment.letter(application)
    return {"letter": letter} if letter else None


@bp.get("/eingang")
@login_required
def inbox():
    if not current_user.is_coordinator:
        abort(403)
    return render_template("assessment/inbox.html", inbox=assessment.inbox(current_user))


def _after(application: Application, message: str):
    flash(message, "success")
    return redirect(url_for("applications.show", application_id=application.id) + "#ersteinschaetzung", 303)


@bp.post("/antraege/<int:application_id>/ersteinschaetzung/abstimmung")
@login_required
def record_consultation(application_id: int):
    application = visible_application(application_id)
    form = ConsultationNoteForm(prefix="consultation")
    if form.validate_on_submit():
        try:
            assessment.record_consultation(
                application, current_user, form.party.data, form.held_on.data, form.statement.data
            )
        except RuleViolation as refusal:
            form.form_errors.extend(refusal.messages)
        else:
            return _after(application, gettext("Die Abstimmung ist erfasst."))
    if not access.may_record_assessment(current_user, application):
        abort(403)
    return _render_show(application, consultation_form=form, status=422)


@bp.post("/antraege/<int:application_id>/ersteinschaetzung/freigabe")
@login_required
def grant_access(application_id: int):
    application = visible_application(application_id)
    if not access.may_record_assessment(current_user, application):
        abort(403)
    organisations = [(o.id, o.name) for o in assessment.consultable_organisations(application)]
    form = GrantAccessForm(prefix="grant", organisations=organisations)
    if form.validate_on_submit():
        try:
            assessment.grant_access(application, current_user, form.organisation_id.data, form.question.data)
        except RuleViolation as refusal:
            form.form_errors.extend(refusal.messages)
        else:
            return _after(
                application, gettext("Die Skizze ist freigegeben; die Stelle wurde benachrichtigt.")
            )
    return _render_show(application, grant_form=form, status=422)


@bp.post("/antraege/<int:application_id>/ersteinschaetzung/kommentar")
@login_required
def comment(application_id: int):
    application = visible_application(application_id)
    form = CommentForm(prefix="comment")
    if form.validate_on_submit():
        try:
            assessment.comment(application, current_user, form.body.data)
        except RuleViolation as refusal:
            form.form_errors.extend(refusal.messages)
        else:
            return _after(
                application, gettext("Ihr Kommentar ist gespeichert (für den Projektträger nicht sichtbar).")
            )
    if not access.may_comment_assessment(current_user, application):
        abort(403)
    return _render_show(application, comment_form=form, status=422)


def _letter_or_404(application_id: int) -> dict:
    letter = assessment.letter(visible_application(application_id))
    if letter is None:
        abort(404)
    return letter


@bp.get("/antraege/<int:application_id>/ersteinschaetzung/schreiben")
@login_required
def letter(application_id: int):
    return render_template(
        "letters/assessment_page.html", letter=_letter_or_404(application_id), application_id=application_id
    )


@bp.get("/antraege/<int:application_id>/ersteinschaetzung/schreiben.pdf")
@login_required
def letter_pdf(application_id: int):
    letter = _letter_or_404(application_id)
    issued = letters.by_reference(letter["issued"]["reference"]) if letter["issued"] else None
    # As issued and stored; a letter from before letters were stored is rendered as it always was.
    response = make_response(letters.stored_bytes(issued) if issued else letters.legacy_pdf(letter))
    response.headers["Content-Type"] = "application/pdf"
    filename = issued.filename if issued else f"Ersteinschaetzung-{letter['reference']}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
