"""The alliance's budget per funding period, for the coordination and the partners; the funding
periods themselves, set by the coordination."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from forms.budget import FundingPeriodForm
from workflow.extensions import db
from workflow.lifecycle import COORDINATOR
from workflow.models import Alliance
from workflow.services import budget
from workflow.services.errors import RuleViolation
from workflow.views import navigation

bp = Blueprint("budget", __name__)

navigation.register(_l("Budget"), "budget.index", ("coordinator", "partner"), order=40)


@bp.get("/budget")
@login_required
def index():
    if not budget.may_see(current_user):
        abort(403)
    period_id = request.args.get("zeitraum", type=int)
    return render_template("budget/index.html", overview=budget.overview(current_user, period_id))


def _coordinators_alliance() -> Alliance:
    if current_user.role != COORDINATOR:
        abort(403)
    return db.session.get(Alliance, current_user.alliance_id)


def _save(form: FundingPeriodForm, alliance: Alliance, period_id: int | None) -> bool:
    """Parse, call the one operation; a refusal goes to the field it names."""
    if not form.validate_on_submit():
        return False
    try:
        period, changed = budget.save_period(alliance, current_user, period_id=period_id, **form.values())
    except RuleViolation as refusal:
        target = form._fields.get(refusal.field)  # WTForms' own map of the form's fields
        if target is not None:
            target.errors = [*target.errors, *refusal.messages]
        else:
            form.form_errors.extend(refusal.messages)
        return False
    flash(
        gettext("Förderzeitraum „%(name)s“ gespeichert.", name=period.name)
        if changed
        else gettext("Es wurde nichts geändert."),
        "success",
    )
    return True


def _periods_page(alliance: Alliance, form: FundingPeriodForm, status: int):
    return render_template(
        "budget/periods.html",
        periods=budget.alliance_periods(alliance),
        form=form,
        history=budget.period_history(alliance),
    ), status


@bp.route("/budget/zeitraeume", methods=["GET", "POST"])
@login_required
def periods():
    alliance = _coordinators_alliance()
    form = FundingPeriodForm()
    if _save(form, alliance, None):
        return redirect(url_for(".periods"), 303)
    return _periods_page(alliance, form, 422 if request.method == "POST" else 200)


@bp.route("/budget/zeitraeume/<int:period_id>", methods=["GET", "POST"])
@login_required
def edit_period(period_id: int):
    alliance = _coordinators_alliance()
    period = budget.period_of(alliance, period_id)  # another alliance's: 404
    form = FundingPeriodForm(obj=period if request.method == "GET" else None)
    if _save(form, alliance, period.id):
        return redirect(url_for(".periods"), 303)
    return render_template("budget/period.html", period=period, form=form), (
        422 if request.method == "POST" else 200
    )
