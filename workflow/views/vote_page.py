"""The vote page (`/antraege/<id>/votum`): what a partner needs to decide, and the ballot.

The forms on it post to the existing operations (ballot, conflict, objection) with `seite=votum`;
those views show a refusal here and come back here after success (see `back_here`)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from forms.ballot import BallotForm, ConflictForm, ObjectionForm
from workflow.models import Application
from workflow.rules.voting import CRITERIA
from workflow.services import vote_page
from workflow.views.lookup import visible_application

bp = Blueprint("vote_page", __name__)

FROM_HERE = "votum"  # the value of the forms' hidden `seite` field


def from_here() -> bool:
    """The form that was posted came from the vote page."""
    return request.form.get("seite") == FROM_HERE


def back_here(application: Application):
    return redirect(url_for("vote_page.show", application_id=application.id) + "#ihr-votum", 303)


@bp.get("/antraege/<int:application_id>/votum")
@login_required
def show(application_id: int):
    from workflow.views.applications import PAGE_OPTIONS

    application = visible_application(application_id, PAGE_OPTIONS)
    if not vote_page.may_open(current_user, application):
        return redirect(url_for("applications.show", application_id=application.id) + "#votum", 303)
    return render(application)


def render(application: Application, status: int = 200, **form_overrides):
    """The page; `form_overrides` replace a form with the refused one (its errors shown, what was
    entered kept), e.g. ballot_form=form."""
    data = vote_page.read(application, current_user)
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
