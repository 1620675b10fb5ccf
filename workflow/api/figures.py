"""The alliance's figures computed from the record (issue 17): the same figures as the page
`/kennzahlen` and its exports, for a calendar year or a funding period."""

from __future__ import annotations

from flask import jsonify

from workflow.api import bp
from workflow.api.loading import caller
from workflow.api.problems import ApiError
from workflow.api.registry import ok, route
from workflow.api.shapes import Day, Shape
from workflow.extensions import db
from workflow.figures import data, queries
from workflow.models import FundingPeriod
from workflow.rules import deadlines
from workflow.services import access
from workflow.services.errors import NotAllowed


class FiguresSpan(Shape):
    """Der Zeitraum der Kennzahlen: ein Kalenderjahr oder ein Förderzeitraum (beide Tage inklusive)."""

    first_day: Day
    last_day: Day
    year: int | None
    period_id: int | None
    name: str


class FunnelStage(Shape):
    """Eine Stufe des Verfahrens: wie viele Anträge sie im Zeitraum erreicht haben, wie viele dort
    abgelehnt und wie viele dort zurückgezogen wurden."""

    key: str
    label: str
    reached: int
    declined: int
    withdrawn: int


class ProcessingTimes(Shape):
    """Bearbeitungszeiten einer Strecke in Tagen (Median, 90. Perzentil), Kalender- und Arbeitstage;
    bei der Stellungnahme, wie viele innerhalb der Frist von 14 Tagen lagen."""

    key: str
    label: str
    count: int
    median_days: float | None
    p90_days: int | None
    median_working_days: float | None
    p90_working_days: int | None
    within_promise: int | None
    within_promise_percent: float | None


class AmountsRow(Shape):
    """Beantragte, befürwortete und bewilligte Beträge (in Cent) und wie viele Anträge je Betrag."""

    key: str
    label: str
    requested_cents: int
    endorsed_cents: int
    granted_cents: int
    requested_count: int
    endorsed_count: int
    granted_count: int


class AmountsBy(Shape):
    """Die Beträge nach einer Gliederung (Handlungsfeld, Landkreis oder Fördergegenstand); ein
    Antrag zählt bei jedem Handlungsfeld und Landkreis, den er nennt."""

    dimension: str
    label: str
    rows: list[AmountsRow]
    total: AmountsRow


class PeriodBudget(Shape):
    """Das virtuelle Budget eines Förderzeitraums, der den Zeitraum berührt (in Cent)."""

    period_id: int
    name: str
    starts_on: Day
    ends_on: Day
    total_cents: int
    committed_cents: int
    granted_cents: int
    remaining_cents: int
    exceeded: bool


class Figures(Shape):
    """Die Kennzahlen des Bündnisses, aus dem Ereignisprotokoll berechnet. Beobachtende erhalten
    kein Budget (`budgets` ist leer), wie auf der Seite."""

    span: FiguresSpan
    funnel: list[FunnelStage]
    times: list[ProcessingTimes]
    amounts: list[AmountsBy]
    budgets: list[PeriodBudget]


def _from(model: type[Shape], item, **values) -> Shape:
    """`model` filled from the fields of the same names of `item` (a dataclass of figures/data.py),
    and `values` for the rest."""
    return model(**{name: getattr(item, name) for name in model.model_fields if name not in values}, **values)


def figures_of(figures: data.Figures) -> Figures:
    return Figures(
        span=_from(FiguresSpan, figures.span),
        funnel=[_from(FunnelStage, stage) for stage in figures.funnel],
        # Not the single stretches (`durations`): they name applications, the figures only count them.
        times=[_from(ProcessingTimes, t, within_promise_percent=t.within_share) for t in figures.times],
        amounts=[
            _from(AmountsBy, a, rows=[_from(AmountsRow, r) for r in a.rows], total=_from(AmountsRow, a.total))
            for a in figures.amounts
        ],
        budgets=[_from(PeriodBudget, b) for b in figures.budgets],
    )


def _span(user, params: dict) -> data.Span:
    if params["period"] is None:
        return data.year_span(params["year"] or deadlines.today().year)
    period = db.session.get(FundingPeriod, params["period"])
    if period is None or period.alliance_id != user.alliance_id:
        raise ApiError(422, "Diesen Förderzeitraum gibt es in Ihrem Bündnis nicht.")
    return data.period_span(period)


@route(
    bp,
    "GET",
    "/figures",
    summary="Kennzahlen des Bündnisses aus dem Ereignisprotokoll (Koordination und Beobachtende)",
    description="Für ein Kalenderjahr (`year`, Standard: das laufende) oder einen Förderzeitraum "
    "(`period`): der Verlauf von der Beratung bis zur Bewilligung mit Ablehnungen und Rücknahmen je "
    "Stufe, die Bearbeitungszeiten (Median und 90. Perzentil, Kalender- und Arbeitstage, der Anteil "
    "der Stellungnahmen innerhalb von 14 Tagen), die Beträge nach Handlungsfeld, Landkreis und "
    "Fördergegenstand und das Budget je Förderzeitraum. Dieselben Zahlen wie die Seite /kennzahlen "
    "und ihre CSV- und XLSX-Exporte.",
    tag="Kennzahlen",
    errors=(403, 422),
    query=[
        {"name": "year", "schema": {"type": "integer", "minimum": 2000, "maximum": 2099}},
        {"name": "period", "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}},
    ],
    responses=ok(Figures),
)
def get_figures(params: dict):
    user = caller()
    if not access.may(user, "see_figures"):
        raise NotAllowed("Die Kennzahlen sehen die Netzwerkkoordination und die Beobachtenden des Bündnisses.")
    with_budget = access.may(user, "see_budget")
    computed = queries.figures([user.alliance_id], _span(user, params), with_budget=with_budget)
    return jsonify(figures_of(computed).plain())
