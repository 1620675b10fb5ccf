"""The figures laid out once as labelled tables, for every reader alike: the page renders them (with
a bar chart beside each), the CSV and the XLSX write them. Values stay typed here (counts, days,
cents, percent); each reader formats them its own way."""

from __future__ import annotations

from dataclasses import dataclass

from workflow.figures.data import Figures
from workflow.lifecycle import N_

TEXT, COUNT, DAYS, MONEY, PERCENT, DATE = "text", "count", "days", "money", "percent", "date"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = TEXT


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    column: str  # the key of the column the value is from (its kind formats the value)


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple, ...]
    note: str = ""
    chart: tuple[Bar, ...] = ()  # what the chart beside the table shows: one bar per row
    chart_title: str = ""

    def kind(self, key: str) -> str:
        return next(column.kind for column in self.columns if column.key == key)


def _funnel(figures: Figures) -> Table:
    return Table(
        "funnel",
        N_("Vom Gespräch zum Bescheid"),
        (
            Column("stage", N_("Stufe")),
            Column("reached", N_("Erreicht"), COUNT),
            Column("declined", N_("Abgelehnt"), COUNT),
            Column("withdrawn", N_("Zurückgezogen"), COUNT),
        ),
        tuple((s.label, s.reached, s.declined, s.withdrawn) for s in figures.funnel),
        note=N_(
            "Ein Antrag zählt auf jeder Stufe in dem Zeitraum, in dem er sie zum ersten Mal erreicht hat; "
            "Ablehnungen und Rücknahmen bei der Stufe, auf der der Antrag zuletzt stand."
        ),
        chart=tuple(Bar(s.label, s.reached, "reached") for s in figures.funnel),
        chart_title=N_("Erreichte Stufen"),
    )


def _times(figures: Figures) -> Table:
    return Table(
        "times",
        N_("Bearbeitungszeiten"),
        (
            Column("stretch", N_("Abschnitt")),
            Column("count", N_("Anzahl"), COUNT),
            Column("median_days", N_("Median (Kalendertage)"), DAYS),
            Column("p90_days", N_("90. Perzentil (Kalendertage)"), DAYS),
            Column("median_working_days", N_("Median (Arbeitstage)"), DAYS),
            Column("p90_working_days", N_("90. Perzentil (Arbeitstage)"), DAYS),
            Column("within", N_("Innerhalb der Frist"), COUNT),
            Column("within_share", N_("Anteil innerhalb der Frist"), PERCENT),
        ),
        tuple(
            (
                t.label,
                t.count,
                t.median_days,
                t.p90_days,
                t.median_working_days,
                t.p90_working_days,
                t.within_promise,
                t.within_share,
            )
            for t in figures.times
        ),
        note=N_(
            "Arbeitstage: Montag bis Freitag ohne die gesetzlichen Feiertage in Niedersachsen. Die Frist "
            "der Stellungnahme: 14 Kalendertage nach Eingang der Langfassung (nach der Geschäftsordnung "
            "des Bündnisses), an einem Wochenende oder Feiertag verschoben auf den nächsten Arbeitstag."
        ),
        chart=tuple(Bar(t.label, t.median_days or 0, "median_days") for t in figures.times),
        chart_title=N_("Median in Kalendertagen"),
    )


def _amounts(figures: Figures) -> list[Table]:
    tables = []
    for amounts in figures.amounts:
        columns = (
            Column("group", amounts.label),
            Column("requested_count", N_("Langfassungen"), COUNT),
            Column("requested", N_("Beantragt"), MONEY),
            Column("endorsed_count", N_("Befürwortet (Anzahl)"), COUNT),
            Column("endorsed", N_("Befürwortet"), MONEY),
            Column("granted_count", N_("Bewilligt (Anzahl)"), COUNT),
            Column("granted", N_("Bewilligt"), MONEY),
        )

        def line(row, label=None):
            return (
                label or row.label,
                row.requested_count,
                row.requested_cents,
                row.endorsed_count,
                row.endorsed_cents,
                row.granted_count,
                row.granted_cents,
            )

        rows = tuple(line(r) for r in amounts.rows) + (line(amounts.total),)
        tables.append(
            Table(
                f"amounts_{amounts.dimension}",
                {
                    "field": N_("Beträge nach Handlungsfeld"),
                    "district": N_("Beträge nach Landkreis"),
                    "funding_object": N_("Beträge nach Fördergegenstand"),
                }[amounts.dimension],
                columns,
                rows,
                note=N_(
                    "Beantragt: Langfassungen, die im Zeitraum eingereicht wurden, mit der beantragten "
                    "Förderung; befürwortet: positive Stellungnahmen im Zeitraum; bewilligt: "
                    "Zuwendungsbescheide im Zeitraum. Ein Antrag zählt bei jedem Handlungsfeld und "
                    "Landkreis, den er nennt; die Zeilen ergeben daher mehr als die Summe."
                )
                if amounts.dimension != "funding_object"
                else N_(
                    "Beantragt: Langfassungen, die im Zeitraum eingereicht wurden; befürwortet: positive "
                    "Stellungnahmen im Zeitraum; bewilligt: Zuwendungsbescheide im Zeitraum."
                ),
                chart=tuple(Bar(r.label, r.requested_cents, "requested") for r in amounts.rows),
                chart_title=N_("Beantragte Förderung"),
            )
        )
    return tables


def _budget(figures: Figures) -> Table:
    return Table(
        "budget",
        N_("Budget je Förderzeitraum"),
        (
            Column("period", N_("Förderzeitraum")),
            Column("starts_on", N_("Beginn"), DATE),
            Column("ends_on", N_("Ende"), DATE),
            Column("total", N_("Budget gesamt"), MONEY),
            Column("committed", N_("Gebunden"), MONEY),
            Column("granted", N_("Bewilligt"), MONEY),
            Column("remaining", N_("Verbleibend"), MONEY),
        ),
        tuple(
            (
                b.name,
                b.starts_on,
                b.ends_on,
                b.total_cents,
                b.committed_cents,
                b.granted_cents,
                b.remaining_cents,
            )
            for b in figures.budgets
        ),
        note=N_(
            "Jeder Förderzeitraum, der in den gewählten Zeitraum fällt, mit seinem ganzen Budget (wie auf "
            "der Budgetseite)."
        ),
    )


def tables(figures: Figures, with_budget: bool = True) -> list[Table]:
    out = [_funnel(figures), _times(figures), *_amounts(figures)]
    if with_budget:
        out.append(_budget(figures))
    return out


# -- the bar charts (server-side SVG) ---------------------------------------------------------------

CHART_WIDTH, BAR_MAX, ROW_HEIGHT = 640, 440, 44


def chart(table: Table) -> dict | None:
    """The geometry of a horizontal bar chart (label above each bar, the value after it) in a
    viewBox of CHART_WIDTH units; None when there is nothing to draw."""
    if not table.chart:
        return None
    largest = max((bar.value for bar in table.chart), default=0) or 1
    bars = []
    for index, bar in enumerate(table.chart):
        width = round(BAR_MAX * bar.value / largest, 1) if bar.value else 0
        y = index * ROW_HEIGHT
        bars.append(
            {
                "label": bar.label,
                "value": bar.value,
                "column": bar.column,
                "label_y": y + 14,
                "bar_y": y + 20,
                "width": width,
                "value_x": width + 8,
                "value_y": y + 33,
            }
        )
    return {"width": CHART_WIDTH, "height": len(bars) * ROW_HEIGHT + 4, "bars": bars}
