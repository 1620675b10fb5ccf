"""The vote's HTML: the vote page (`/antraege/<id>/votum`), the vote section of the application
page, and the forms that cast a ballot, declare a conflict, object to a circulation and record a
session's agenda item.

The forms keep the addresses and endpoint names they have always had (`applications.cast_ballot`,
`applications.declare_conflict`, `sessions.object_to_circulation`, `sessions.record`): they are
routes of those blueprints, registered here (this module is imported before the blueprints are
registered, see views/__init__.py). The forms on the vote page post with `seite=votum`; a refusal
is shown there and success comes back there (`back_here`)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from forms.ballot import BallotForm, ConflictForm, ObjectionForm
from forms.sessions import record_form
from workflow.models import Application
from workflow.rules.voting import CRITERIA
from workflow.services import access, sessions
from workflow.services.errors import RuleViolation
from workflow.views import applications as application_pages
from workflow.views import sessions as session_pages
from workflow.views.guards import coordinator_required
from workflow.views.lookup import visible_application
from workflow.views.sections import section
from workflow.votes import casting, page, queries, session_items, to_session

bp = Blueprint("vote_page", __name__)

FROM_HERE = "votum"  # the value of the forms' hidden `seite` field


def from_here() -> bool:
    """The form that was posted came from the vote page."""
    return request.form.get("seite") == FROM_HERE


def back_here(application: Application):
    return redirect(url_for("vote_page.show", application_id=application.id) + "#ihr-votum", 303)


@section("vote", "applications/_vote.html", order=50, title=_l("Votum der Bündnispartner"), anchor="votum")
def _vote_section(application: Application, user) -> dict | None:
    vote = application.current_vote
    if vote is None:
        return None
    panel = queries.panel(vote, user)
    ballot_data = (panel.get("own_ballot") or {}) | {"organisation_id": panel["own_organisation_id"]}
    return {
        "panel": panel,
        "ballot_form": BallotForm(prefix="ballot", data=ballot_data),
        "conflict_form": ConflictForm(prefix="conflict"),
        "objection_form": ObjectionForm(prefix="objection"),
        "criteria": CRITERIA,
        "links_vote_page": access.may(user, "open_vote_page", application),
    }


@bp.get("/antraege/<int:application_id>/votum")
@login_required
def show(application_id: int):
    application = visible_application(application_id, application_pages.PAGE_OPTIONS)
    if not access.may(current_user, "open_vote_page", application):
        return redirect(url_for("applications.show", application_id=application.id) + "#votum", 303)
    return render(application)


def render(application: Application, status: int = 200, **form_overrides):
    """The page; `form_overrides` replace a form with the refused one (its errors shown, what was
    entered kept), e.g. ballot_form=form."""
    data = page.read(application, current_user)
    panel = data["panel"]
    ballot_data = (panel.get("own_ballot") or {}) | {"organisation_id": panel["own_organisation_id"]}
    forms = {
        "ballot_form": BallotForm(prefix="ballot", data=ballot_data, formdata=None),
        "conflict_form": ConflictForm(prefix="conflict", formdata=None),
        "objection_form": ObjectionForm(prefix="objection", formdata=None),
    } | form_overrides
    return render_template(
        "votes/page.html", application=application, page=data, criteria=CRITERIA, **forms
    ), status


def _post(application: Application, form, form_name: str, operation, done: LazyString):
    """A posted form of the vote: call the operation, then back to the page it came from (the vote
    page or the application page) with `done`, or that page again with the refusal."""
    if form.validate_on_submit():
        try:
            operation(form)
        except RuleViolation as refusal:
            form.form_errors.extend(refusal.messages)
        else:
            flash(str(done), "success")
            if from_here():
                return back_here(application)
            return redirect(url_for("applications.show", application_id=application.id) + "#votum", 303)
    if from_here():
        return render(application, status=422, **{form_name: form})
    return application_pages._render_show(application, status=422, **{form_name: form})


@application_pages.bp.post("/antraege/<int:application_id>/votum")
@login_required
def cast_ballot(application_id: int):
    application = visible_application(application_id)
    return _post(
        application,
        BallotForm(prefix="ballot"),
        "ballot_form",
        lambda form: casting.cast_ballot(
            application,
            current_user,
            form.choice.data,
            form.comment.data,
            organisation_id=form.organisation_id.data,
            **form.ratings(),
        ),
        _l("Ihr Votum ist gespeichert. Sie können es bis zum Ende der Frist ändern."),
    )


@application_pages.bp.post("/antraege/<int:application_id>/befangenheit")
@login_required
def declare_conflict(application_id: int):
    application = visible_application(application_id)
    return _post(
        application,
        ConflictForm(prefix="conflict"),
        "conflict_form",
        lambda form: casting.declare_conflict(application, current_user, form.reason.data),
        _l("Ihre Befangenheit ist vermerkt; Ihre Organisation stimmt nicht ab."),
    )


@session_pages.bp.post("/antraege/<int:application_id>/widerspruch")
@login_required
def object_to_circulation(application_id: int):
    application = visible_application(application_id)
    return _post(
        application,
        ObjectionForm(prefix="objection"),
        "objection_form",
        lambda form: to_session.object_to_circulation(application, current_user, form.reason.data),
        _l("Ihr Widerspruch ist vermerkt: Über den Antrag wird in der nächsten Sitzung abgestimmt."),
    )


def _agenda_item(session_id: int, application_id: int) -> None:
    """404 for a session or an application the person may not see (before the 403)."""
    sessions.get(session_id, current_user)
    visible_application(application_id)


@session_pages.bp.route("/sitzungen/<int:session_id>/antraege/<int:application_id>", methods=["GET", "POST"])
@login_required
@coordinator_required(found=_agenda_item)
def record(session_id: int, application_id: int):
    session = sessions.get(session_id, current_user)  # NotFound (404) when not visible
    application = visible_application(application_id)
    vote = application.current_vote
    if vote is None or vote.session_id != session.id:
        abort(404)
    organisations = vote.eligible_organisations()
    form_class = record_form(organisations)
    existing = {b.organisation_id: b for b in vote.ballots}
    attendance = {a.organisation_id: a.present for a in session.attendance}
    data = {}
    for org in organisations:
        ballot = existing.get(org.id)
        data[f"p{org.id}_attendance"] = "present" if attendance.get(org.id) else "absent"
        if ballot is not None:
            data[f"p{org.id}_choice"] = ballot.choice
            data[f"p{org.id}_comment"] = ballot.comment or ""
            for name, value in ballot.ratings().items():
                data[f"p{org.id}_{name}"] = str(value) if value else ""
    form = form_class(data=data)
    status = 200
    if form.validate_on_submit():
        try:
            session_items.record_session_item(
                application, current_user, session, form.entries(), close=form.close.data
            )
        except RuleViolation as refusal:
            form.form_errors.extend(refusal.messages)
            status = 422
        else:
            flash(gettext("Das Ergebnis der Sitzung ist erfasst."), "success")
            return redirect(url_for("sessions.show", session_id=session.id), 303)
    elif form.errors:
        status = 422
    return render_template(
        "sessions/record.html",
        session=session,
        application=application,
        form=form,
        earlier={
            org.name: gettext(existing[org.id].choice_label) for org in organisations if org.id in existing
        },
    ), status
