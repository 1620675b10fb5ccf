"""The start pages (the coordinator's cockpit, the partner's and the sponsor's), the coordinator's
table of all applications and its exports (CSV, XLSX)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from forms.overview import FilterForm
from workflow.extensions import db
from workflow.lifecycle import COORDINATOR
from workflow.models import FundingObject
from workflow.services import exports, overview
from workflow.views import navigation, panels
from workflow.views.guards import coordinator_required

bp = Blueprint("dashboard", __name__)

navigation.register(_l("Übersicht"), "dashboard.start", ("coordinator", "partner", "applicant"), order=5)
navigation.register(_l("Antragstabelle"), "dashboard.table", ("coordinator",), order=15)


@bp.get("/start")
@login_required
def start():
    user = current_user
    if user.role == COORDINATOR:
        entries, total = overview.due_list(user.alliance_id)
        return render_template(
            "dashboard/cockpit.html",
            counts=overview.state_counts(user.alliance_id),
            due=entries,
            due_total=total,
            panels=panels.render_data(user),
        )
    if user.role == "partner":
        return render_template(
            "dashboard/partner.html", start=overview.partner_start(user), panels=panels.render_data(user)
        )
    if user.role == "applicant":
        return render_template("dashboard/sponsor.html", applications=overview.sponsor_start(user))
    return redirect(url_for("applications.index"))


def _filter_form() -> FilterForm:
    funding_objects = db.session.scalars(
        sa.select(FundingObject)
        .where(FundingObject.alliance_id == current_user.alliance_id)
        .order_by(FundingObject.number)
    )
    return FilterForm(request.args, funding_objects=list(funding_objects))


@bp.get("/uebersicht/antraege")
@login_required
@coordinator_required
def table():
    form = _filter_form()
    if not form.validate():
        return render_template("dashboard/table.html", form=form, page=None, filters=None), 422
    filters = form.filters()
    page = overview.page(current_user.alliance_id, filters, form.seite.data or 1)
    return render_template(
        "dashboard/table.html",
        form=form,
        page=page,
        filters=filters,
        columns=overview.COLUMNS,
        sort_labels=overview.SORT_LABELS,
    )


@bp.get("/uebersicht/antraege.<any(csv, xlsx):fmt>")
@login_required
@coordinator_required
def export(fmt: str):
    form = _filter_form()
    if not form.validate():
        return render_template("dashboard/table.html", form=form, page=None, filters=None), 422
    rows = overview.all_rows(current_user.alliance_id, form.filters())
    filename = f"antraege-{exports.stamp()}.{fmt}"
    if fmt == "csv":
        # Streamed while the rows are read: the generator runs after this view has returned, so
        # it keeps the request's context (and its database session) until the last row is sent.
        headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
        return Response(
            stream_with_context(exports.csv_stream(rows)), mimetype="text/csv; charset=utf-8", headers=headers
        )
    file, size = exports.xlsx_file(rows)
    response = send_file(
        file, mimetype=exports.XLSX_MIMETYPE, as_attachment=True, download_name=filename, conditional=False
    )
    response.content_length = size
    response.headers["Cache-Control"] = "no-store"
    return response


@panels.panel("integrity", "dashboard/_integrity.html", order=90, roles=(COORDINATOR,))
def _integrity_panel(user) -> dict:
    """The last check of the event log; a failed one also as an alert at the top of the page."""
    from workflow.services import integrity

    checks = integrity.last_checks(user.alliance_id)
    alert = checks["latest"] if checks["failed"] else None
    return checks | {"alert": alert, "alert_template": "dashboard/_integrity_alert.html"}
