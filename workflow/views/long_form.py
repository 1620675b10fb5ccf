"""The long form: overview with completeness, one page per section, NBank's document."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from forms.long_form import BLANK_LINES, SECTION_FORMS, LongFormDocumentForm, line_errors
from workflow.downloads import send_document
from workflow.extensions import db
from workflow.formatting import euro_input
from workflow.models import Application, Document, FundingObject
from workflow.models.long_form import SECTIONS_BY_KEY
from workflow.services import access, long_forms
from workflow.services.errors import RuleViolation
from workflow.views.lookup import visible_application
from workflow.views.sections import section

bp = Blueprint("long_form", __name__)


def _long_form_summary(data: dict) -> str:
    overview = data["overview"]
    return ngettext(
        "%(num)d von %(total)d Abschnitten vollständig",
        "%(num)d von %(total)d Abschnitten vollständig",
        overview["complete"],
        total=overview["total"],
    )


@section(
    "long_form",
    "long_form/_section.html",
    order=40,
    title=_l("Langfassung"),
    anchor="langfassung",
    summary=_long_form_summary,
    open_in=("long_form_draft", "long_form_submitted"),
)
def _long_form_section(application: Application, user) -> dict | None:
    if not long_forms.may_view(user, application):
        return None
    return {
        "overview": long_forms.overview(application),
        "plans": long_forms.plans(application, user),
        "editable": long_forms.may_edit(user, application),
    }


@bp.get("/antraege/<int:application_id>/langfassung")
@login_required
def show(application_id: int):
    application = visible_application(application_id)
    if not long_forms.may_view(current_user, application):
        abort(404)
    return _render_show(application)


def _render_show(application: Application, upload_form=None, status: int = 200):
    return render_template(
        "long_form/show.html",
        application=application,
        data=long_forms.content(application, current_user),
        upload_form=upload_form or LongFormDocumentForm(),
    ), status


def _form_for(application: Application, key: str):
    """The section's form: filled from the stored long form on GET, from the request on POST."""
    form_class = SECTION_FORMS[key]
    kwargs = {}
    if key == "partners":
        kwargs["partners"] = long_forms.partner_organisations(application)
    if key == "classification":
        kwargs["funding_objects"] = db.session.scalars(
            sa.select(FundingObject)
            .where(FundingObject.alliance_id == application.alliance_id)
            .order_by(FundingObject.number)
        ).all()
    if request.method == "POST":
        form = form_class(**kwargs)
        if key in ("costs", "financing") and request.form.get("more"):
            for _ in range(BLANK_LINES):
                form.lines.append_entry()
        return form
    long_form = application.long_form
    data: dict = {}
    if key == "partners" and long_form:
        data = {"partner_ids": long_form.project_partner_ids, "other_partners": long_form.other_partners}
    elif key == "classification":
        data = {
            "funding_object_id": application.funding_object_id or 0,
            "fields_of_action": application.fields_of_action,
            "districts": application.districts,
        }
    elif key == "costs" and long_form:
        data = {
            "lines": [
                {
                    "category": line.category,
                    "description": line.description,
                    "salary_group": line.salary_group,
                    "unit_cost_cents": line.unit_cost_cents,
                    "hours": line.hours,
                    "amount_cents": None if line.category == "personnel" else line.amount_cents,
                }
                for line in long_form.cost_lines
            ]
        }
    elif key == "financing" and long_form:
        data = {
            "lines": [
                {"source": line.source, "description": line.description, "amount_cents": line.amount_cents}
                for line in long_form.financing_lines
            ]
        }
    elif long_form:
        data = {name: getattr(long_form, name) for name in long_forms.SECTION_FIELDS.get(key, ())}
    form = form_class(data=data, **kwargs)
    if key in ("costs", "financing"):
        for _ in range(BLANK_LINES):
            form.lines.append_entry()
    return form


@bp.route("/antraege/<int:application_id>/langfassung/<key>", methods=["GET", "POST"])
@login_required
def edit(application_id: int, key: str):
    application = visible_application(application_id)
    if key not in SECTIONS_BY_KEY:
        abort(404)
    if not long_forms.may_edit(current_user, application):
        abort(403)
    form = _form_for(application, key)
    status = 200
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            long_forms.save_section(application, current_user, key, form.values())
        except RuleViolation as refusal:
            errors.extend(refusal.messages)
            status = 422
        else:
            flash(
                gettext("Abschnitt „%(title)s“ gespeichert.", title=gettext(SECTIONS_BY_KEY[key].title)),
                "success",
            )
            if request.form.get("more"):
                return redirect(url_for(".edit", application_id=application.id, key=key, mehr=1), 303)
            return redirect(url_for(".show", application_id=application.id) + f"#abschnitt-{key}", 303)
    elif form.errors:
        status = 422
        if key in ("costs", "financing"):
            errors.extend(line_errors(form))
    if request.method == "GET" and request.args.get("mehr") and key in ("costs", "financing"):
        for _ in range(BLANK_LINES):
            form.lines.append_entry()
    return render_template(
        "long_form/edit.html",
        application=application,
        section=SECTIONS_BY_KEY[key],
        form=form,
        errors=errors,
        plans=long_forms.plans(application, current_user),
        carried=long_forms.carried(application) if key == "costs" else None,
        euro_input=euro_input,
    ), status


@bp.post("/antraege/<int:application_id>/langfassung/dokument")
@login_required
def upload(application_id: int):
    application = visible_application(application_id)
    if not long_forms.may_edit(current_user, application):
        abort(403)
    form = LongFormDocumentForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            document = long_forms.store_document(application, current_user, upload.stream, upload.filename)
        except RuleViolation as refusal:
            form.file.errors = [*form.file.errors, *refusal.messages]
        else:
            flash(
                gettext("Formular der NBank hochgeladen (Version %(version)s).", version=document.version),
                "success",
            )
            return redirect(url_for(".show", application_id=application.id) + "#dokument", 303)
    return _render_show(application, upload_form=form, status=422)


@bp.get("/antraege/<int:application_id>/langfassung/dokument/<int:document_id>")
@login_required
def download(application_id: int, document_id: int):
    application = visible_application(application_id)
    document = db.session.get(Document, document_id)
    if not access.may_download(current_user, application, document) or document.kind != "long_form":
        abort(404)
    return send_document(document)
