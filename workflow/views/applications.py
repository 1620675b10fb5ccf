"""The applications: lists, the application page, editing, the lifecycle actions (the vote's
section and forms: workflow/votes/views.py)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from forms.application import ApplicationForm
from forms.transitions import FORMS
from workflow.extensions import db
from workflow.lifecycle import STATES, STATES_BY_NAME
from workflow.models import Application, FundingObject, Organisation, Vote
from workflow.models.organisation import partners_of
from workflow.services import access, applications, revisions
from workflow.services import lifecycle as lifecycle_service
from workflow.services.errors import RuleViolation
from workflow.views import navigation
from workflow.views.lookup import visible_application
from workflow.views.presenters import organisations_named, timeline
from workflow.views.sections import render_data
from workflow.votes import closing, timing

bp = Blueprint("applications", __name__)

navigation.register(_l("Anträge"), "applications.index", ("coordinator", "partner", "observer"), order=10)
navigation.register(_l("Meine Anträge"), "applications.index", ("applicant",), order=10)
navigation.register(_l("Beratung anfragen"), "applications.new", ("applicant",), order=20)


# What the application page's sections read, loaded with the application in one round trip (the
# to-one relations joined) instead of one lazy query each.
PAGE_OPTIONS = (
    joinedload(Application.alliance),
    joinedload(Application.applicant),
    joinedload(Application.funding_object),
    joinedload(Application.sketch),
    joinedload(Application.long_form),
    # The votes with their ballots, recusals and objections (a few rows each): one query.
    selectinload(Application.votes).joinedload(Vote.ballots),
    selectinload(Application.votes).joinedload(Vote.recusals),
    selectinload(Application.votes).joinedload(Vote.objections),
    joinedload(Application.fields),  # a handful of rows each: joining them costs less than a query
    joinedload(Application.district_rows),
    selectinload(Application.documents),
)


def _funding_objects() -> list[FundingObject]:
    return list(
        db.session.scalars(
            sa.select(FundingObject)
            .where(FundingObject.alliance_id == current_user.alliance_id)
            .order_by(FundingObject.number)
        )
    )


@bp.get("/")
@login_required
def index():
    state = request.args.get("status") or None
    if state not in STATES_BY_NAME:
        state = None
    rows = applications.list_for(current_user, state=state)
    return render_template(
        "applications/index.html",
        applications=rows,
        states=STATES,
        selected_state=state,
        may_create=current_user.role == "applicant",
    )


@bp.route("/antraege/neu", methods=["GET", "POST"])
@login_required
def new():
    if current_user.role != "applicant":
        abort(403)
    form = ApplicationForm(funding_objects=_funding_objects())
    if form.validate_on_submit():
        application = lifecycle_service.create_application(current_user, **form.values())
        flash(
            gettext("Ihre Beratungsanfrage ist eingegangen. Die Netzwerkkoordination meldet sich bei Ihnen."),
            "success",
        )
        return redirect(url_for(".show", application_id=application.id))
    return render_template("applications/edit.html", form=form, application=None), (
        422 if form.errors else 200
    )


@bp.get("/antraege/<int:application_id>")
@login_required
def show(application_id: int):
    return _render_show(visible_application(application_id, PAGE_OPTIONS))


def _render_show(application: Application, status: int = 200, **form_overrides):
    """The application page; `form_overrides` replace a section's form (a refused submission
    shown again with its errors), e.g. ballot_form=form."""
    events = lifecycle_service.history(application)  # read first: the sections find it
    # The timeline names partners (ballots, recusals, session records): read with the vote panel's.
    organisations = {o.id: o for o in partners_of(application.alliance_id)}
    missing = organisations_named(events) - organisations.keys()
    if missing:
        organisations |= {
            o.id: o
            for o in db.session.scalars(
                sa.select(Organisation).where(
                    Organisation.alliance_id == application.alliance_id, Organisation.id.in_(missing)
                )
            )
        }
    sections = render_data(application, current_user, form_overrides)
    return render_template(
        "applications/show.html",
        application=application,
        state=STATES_BY_NAME[application.state],
        actions=access.allowed_triggers(current_user, application),
        may_edit=access.may_edit(current_user, application),
        sections=sections,
        revision=revisions.open_request(application, current_user),
        timeline=timeline(application, events, organisations, current_user),
    ), status


@bp.route("/antraege/<int:application_id>/bearbeiten", methods=["GET", "POST"])
@login_required
def edit(application_id: int):
    application = visible_application(application_id)
    if not access.may_edit(current_user, application):
        abort(403)
    form = ApplicationForm(
        obj=application if request.method == "GET" else None, funding_objects=_funding_objects()
    )
    if request.method == "GET":
        form.funding_object_id.data = application.funding_object_id or 0
        form.fields_of_action.data = application.fields_of_action
        form.districts.data = application.districts
    if form.validate_on_submit():
        applications.update(application, current_user, form.values())
        flash(gettext("Gespeichert."), "success")
        return redirect(url_for(".show", application_id=application.id))
    return render_template("applications/edit.html", form=form, application=application), (
        422 if form.errors else 200
    )


@bp.route("/antraege/<int:application_id>/aktion/<trigger>", methods=["GET", "POST"])
@login_required
def act(application_id: int, trigger: str):
    application = visible_application(application_id)
    if trigger not in FORMS:
        abort(404)
    definition = lifecycle_service.ensure_may_fire(application, trigger, current_user)
    if trigger == "issue_statement":  # drafted on its own page, pre-filled from the record
        from workflow.views.statements import draft_page

        return draft_page(application, definition)
    notes = None
    if trigger == "open_vote":
        form = FORMS[trigger](
            sessions=timing.session_choices(application.alliance_id, application),
            committee=application.alliance.committee_name,
        )
        if request.method == "GET":  # the rules' deadline, prefilled and editable
            form.deadline.data = timing.default_circulation_deadline(application.alliance)
        notes = timing.open_vote_notes(
            application, form.mode.data, form.deadline.data, form.session_id.data or None
        )
    else:
        form = FORMS[trigger]()
    status = 200
    if form.validate_on_submit():
        try:
            lifecycle_service.fire(application, trigger, current_user, form.recorded())
        except RuleViolation as refusal:
            form.form_errors.extend(refusal.messages)
            status = 422
        else:
            flash(gettext("„%(label)s“ ist erledigt.", label=gettext(definition.label)), "success")
            return redirect(url_for(".show", application_id=application.id))
    elif form.errors:
        status = 422
    # Closing freezes the tally: the coordinator sees it, and the outcome, before confirming.
    preview = closing.closing_preview(application) if trigger == "close_vote" else None
    return render_template(
        "applications/act.html",
        application=application,
        trigger=definition,
        form=form,
        notes=notes,
        closing=preview,
    ), status
