"""The figures page of an alliance (the coordination; its observers read it without the budget,
which they do not see elsewhere either) and its CSV and XLSX exports, for a year or a period."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, send_file, stream_with_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from workflow.extensions import db
from workflow.figures import data, exports, queries
from workflow.figures.forms import SpanForm
from workflow.figures.tables import MONEY, chart, tables
from workflow.formatting import money
from workflow.lifecycle import COORDINATOR, OBSERVER
from workflow.models import Alliance
from workflow.services import access, budget
from workflow.services.exports import XLSX_MIMETYPE
from workflow.views import navigation
from workflow.views.guards import allowed_to

bp = Blueprint("figures", __name__)

navigation.register(_l("Kennzahlen"), "figures.index", (COORDINATOR, OBSERVER), order=45)


def _cell(kind: str, value) -> str:
    """A value as the page shows it (money with its non-breaking space, as everywhere)."""
    return money(value) if kind == MONEY and value is not None else exports.text(kind, value)


def _reader() -> Alliance:
    """The alliance whose figures the person may read: their own (the routes are
    `allowed_to("see_figures")`: coordinator or observer)."""
    return db.session.get(Alliance, current_user.alliance_id)


def _chosen(alliance: Alliance) -> tuple[SpanForm, data.Span | None]:
    form = SpanForm(request.args, periods=budget.alliance_periods(alliance))
    if not form.validate():
        return form, None
    period = form.period()
    return form, data.period_span(period) if period else data.year_span(form.year())


def _figures(alliance: Alliance, span: data.Span) -> tuple[list, bool]:
    with_budget = access.may(current_user, "see_budget")
    figures = queries.figures([alliance.id], span, with_budget=with_budget)
    return tables(figures, with_budget=with_budget), with_budget


@bp.get("/kennzahlen")
@login_required
@allowed_to("see_figures")
def index():
    alliance = _reader()
    form, span = _chosen(alliance)
    if span is None:
        return render_template("figures/index.html", form=form, alliance=alliance, span=None), 422
    laid_out, with_budget = _figures(alliance, span)
    return render_template(
        "figures/index.html",
        form=form,
        alliance=alliance,
        span=span,
        tables=[(table, chart(table)) for table in laid_out],
        with_budget=with_budget,
        query=request.query_string.decode(),
        cell=_cell,
    )


@bp.get("/kennzahlen.<any(csv, xlsx):fmt>")
@login_required
@allowed_to("see_figures")
def export(fmt: str):
    alliance = _reader()
    form, span = _chosen(alliance)
    if span is None:
        return render_template("figures/index.html", form=form, alliance=alliance, span=None), 422
    laid_out, _ = _figures(alliance, span)
    heading = (
        f"Kennzahlen {alliance.name}, {span.name} ({span.first_day:%d.%m.%Y} bis {span.last_day:%d.%m.%Y})"
    )
    filename = exports.filename(alliance.slug, span.name, fmt)
    if fmt == "csv":
        headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
        return Response(
            stream_with_context(exports.csv_stream(heading, laid_out)),
            mimetype="text/csv; charset=utf-8",
            headers=headers,
        )
    file, size = exports.xlsx_file(heading, laid_out)
    response = send_file(
        file, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=filename, conditional=False
    )
    response.content_length = size
    response.headers["Cache-Control"] = "no-store"
    return response
