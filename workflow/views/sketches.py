"""The project sketch: the form (saved as a draft at any time, with an optional PDF), the sketch and
the "what happens next" sections of the application page, document downloads."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from forms.sketch import LIMITS, SketchForm
from workflow.downloads import send_document
from workflow.extensions import db
from workflow.models import Application, Document
from workflow.services import access, assessment, sketches
from workflow.services.errors import RuleViolation
from workflow.views.applications import _funding_objects
from workflow.views.lookup import visible_application
from workflow.views.sections import section

bp = Blueprint("sketches", __name__)


@section("next", "applications/_next.html", order=5, title=_l("Wie es weitergeht"), anchor="weiter")
def _next_section(application: Application, user) -> dict | None:
    return assessment.next_step(application, user)


def _sketch_summary(data: dict) -> str:
    parts = [
        ngettext("%(num)d Angabe fehlt", "%(num)d Angaben fehlen", len(data["missing"]))
        if data["missing"]
        else gettext("vollständig")
    ]
    if data["pdfs"]:
        parts.append(gettext("PDF in Version %(version)s", version=data["pdfs"][0]["version"]))
    parts.append(ngettext("%(num)d Projektpartner", "%(num)d Projektpartner", len(data["partners"])))
    return " · ".join(parts)


@section(
    "sketch",
    "applications/_sketch.html",
    order=20,
    title=_l("Projektskizze"),
    anchor="skizze",
    summary=_sketch_summary,
    open_in=("consultation", "sketch_draft", "sketch_submitted", "sketch_assessment"),
)
def _sketch_section(application: Application, user) -> dict | None:
    if application.state == "consultation" and application.sketch is None:
        return None
    return sketches.overview(application, user)


def _form(application: Application, submitted: bool = False) -> SketchForm:
    choices = {
        "funding_objects": _funding_objects(),
        "partners": sketches.alliance_partners(application.alliance_id),
    }
    if submitted:  # what was sent (Flask-WTF reads the form and its files)
        return SketchForm(**choices)
    form = SketchForm(formdata=None, **choices)
    sketch = application.sketch
    form.title.data = application.title
    form.summary.data = application.summary
    form.funding_object_id.data = application.funding_object_id or 0
    form.fields_of_action.data = application.fields_of_action
    form.districts.data = application.districts
    form.total_cost_cents.data = application.total_cost_cents
    form.requested_grant_cents.data = application.requested_grant_cents
    for name in sketches.SKETCH_FIELDS:
        form[name].data = getattr(sketch, name) if sketch else None
    form.partner_organisation_ids.data = [
        p.organisation_id for p in application.project_partners if p.organisation_id
    ]
    form.other_partners.data = "\n".join(p.name for p in application.project_partners if p.name)
    return form


@bp.route("/antraege/<int:application_id>/skizze", methods=["GET", "POST"])
@login_required
def edit(application_id: int):
    application = visible_application(application_id)
    if not access.may_edit_sketch(current_user, application):
        abort(403)
    if request.method == "GET":
        return _page(application, _form(application))
    form = _form(application, submitted=True)
    if not form.validate_on_submit():
        return _page(application, form, 422)
    try:
        sketches.save_draft(application, current_user, form.values())
    except RuleViolation as refusal:
        form.form_errors.extend(refusal.messages)
        return _page(application, form, 422)
    upload = form.sketch_pdf.data
    if upload is not None and getattr(upload, "filename", None):
        try:
            sketches.upload_pdf(application, current_user, upload.stream, upload.filename)
        except RuleViolation as refusal:
            form.sketch_pdf.errors = [
                *refusal.messages,
                "Ihr Entwurf ist gespeichert; nur die Datei wurde nicht übernommen.",
            ]
            return _page(application, form, 422)
        flash(gettext("Der Entwurf und die PDF-Datei sind gespeichert."), "success")
    else:
        flash(gettext("Der Entwurf ist gespeichert. Sie können jederzeit weiterschreiben."), "success")
    if request.form.get("then") == "submit":
        return redirect(url_for("applications.act", application_id=application.id, trigger="submit_sketch"))
    return redirect(url_for(".edit", application_id=application.id), 303)


def _page(application: Application, form: SketchForm, status: int = 200):
    db.session.refresh(application)
    counts = {name: len(form[name].data or "") for name in LIMITS}
    return render_template(
        "sketches/edit.html",
        application=application,
        form=form,
        limits=LIMITS,
        counts=counts,
        overview=sketches.overview(application, current_user),
    ), status


@bp.get("/antraege/<int:application_id>/dokumente/<int:document_id>")
@login_required
def download(application_id: int, document_id: int):
    """A document of an application, only to those who may see the application; always as an
    attachment (never shown inline by the browser)."""
    application = visible_application(application_id)
    document = db.session.get(Document, document_id)
    if not access.may_download(current_user, application, document):
        abort(404)
    return send_document(document)
