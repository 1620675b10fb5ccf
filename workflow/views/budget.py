"""The alliance's budget per funding period, for the coordination and the partners."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from workflow.services import budget
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
