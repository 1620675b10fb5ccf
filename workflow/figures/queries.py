"""The figures of one alliance or several for a span (a calendar year or a funding period), read
from the event log (the `events` table, transitions under DESIGN.md's trigger names) and the
applications as stored. Pure reads; plain dataclasses out. The number of SQL statements does not
depend on the number of applications (one for the events, four for what the applications hold, one
for the alliances, one for the periods and three per funding period for the budget's own rule).

Which event counts where (every moment in Europe/Berlin's calendar; the span's first and last day
are included):

The funnel. An application reaches a stage with its first event of that stage, and counts in the
span in which that first event lies (a sketch submitted again after a revision request counts once,
in the span of its first submission):
  consultations        `record_consultation` (the consultation talk was held)
  sketches submitted   `submit_sketch`
  invited              `invite_long_form`
  long forms submitted `submit_long_form`
  endorsed             `issue_statement` to `endorsed`, or `pass_without_vote`
  submitted to NBank   `record_nbank_submission`
  granted              `record_grant`
Declines count at the stage they end, in the span of the declining event: `decline_sketch` at
"sketches submitted", `issue_statement` to `not_endorsed` at "long forms submitted",
`record_nbank_decline` at "submitted to NBank" (a statement asking for changes is no decline).
A withdrawal (`withdraw`) counts, in its span, at the furthest stage the application had reached
before it (by its own events, whenever they were); one withdrawn before any stage was reached (a
consultation request withdrawn before the talk) counts at "consultations".

Processing times, each counted in the span in which its end lies:
  sketch assessment    from the first `submit_sketch` to the first `invite_long_form`,
                       `decline_sketch` or `request_sketch_revision` after it (the first assessment);
  statement            for every `issue_statement` (any outcome) and `pass_without_vote`: from the
                       latest `submit_long_form` before it (the long form it was given on; time with
                       the sponsor after a revision request is not the alliance's). Within the
                       promise: the statement falls on or before the statement deadline of that
                       submission as the deadlines count it (the alliance's statement days, 14 by
                       default, moved off weekends and Lower Saxony's holidays);
  NBank's decision     for every `record_grant` and `record_nbank_decline`: from the latest
                       endorsement before it to the date of NBank's notice as recorded
                       (`granted_on`/`declined_on`); counted in the span of the recording.
Calendar days are the difference of the two Berlin days; working days count the days after the
start up to and including the end that are working days in Lower Saxony (rules/deadlines.py).
Median: the middle value (the mean of the two middle ones for an even count); 90th percentile: the
nearest rank (the smallest value that at least 90 % of the values do not exceed).

Amounts, as the applications store them (the requested grant follows the long form's ESF+ grant):
requested = applications whose long form was first submitted in the span, with their requested
grant; endorsed = applications endorsed in the span (as in the funnel), with their requested grant;
granted = the `amount_granted` of each `record_grant` in the span. Per field of action and per
district an application counts in each it names (the rows may add up to more than the total); per
funding object in its one (or "none").

The budget per funding period: every period of the alliances that overlaps the span, with the
budget's own rule (FundingPeriod.figures, rules/budget.py), as the budget page shows it.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from workflow.extensions import db
from workflow.figures.data import (
    DIMENSIONS,
    DURATIONS,
    NO_FUNDING_OBJECT,
    STAGE_ORDER,
    STAGES,
    AmountRow,
    Amounts,
    Duration,
    Figures,
    PeriodBudget,
    Span,
    Stage,
    Times,
)
from workflow.lifecycle import N_
from workflow.models import Alliance, Application, Event, FundingObject, FundingPeriod
from workflow.models.alliance import DISTRICTS, FIELDS_OF_ACTION
from workflow.models.application import ApplicationDistrict, ApplicationField
from workflow.models.event_kinds import TRANSITION
from workflow.rules import deadlines

ENDORSING = {("issue_statement", "endorsed"), ("pass_without_vote", "endorsed")}
ASSESSMENT_ENDS = frozenset({"invite_long_form", "decline_sketch", "request_sketch_revision"})
STATEMENTS = frozenset({"issue_statement", "pass_without_vote"})
DECISIONS = {"record_grant": "granted_on", "record_nbank_decline": "declined_on"}
TRIGGERS = (
    "record_consultation",
    "submit_sketch",
    "invite_long_form",
    "decline_sketch",
    "request_sketch_revision",
    "submit_long_form",
    "issue_statement",
    "pass_without_vote",
    "record_nbank_submission",
    "record_grant",
    "record_nbank_decline",
    "withdraw",
)
FIRST_STAGE = {
    "record_consultation": "consultation",
    "submit_sketch": "sketch",
    "invite_long_form": "invited",
    "submit_long_form": "long_form",
    "record_nbank_submission": "nbank",
    "record_grant": "granted",
}


def _stage(trigger: str, to_state: str | None) -> str | None:
    if (trigger, to_state) in ENDORSING:
        return "endorsed"
    return FIRST_STAGE.get(trigger)


def _declined_at(trigger: str, to_state: str | None) -> str | None:
    if trigger == "decline_sketch":
        return "sketch"
    if trigger == "issue_statement" and to_state == "not_endorsed":
        return "long_form"
    if trigger == "record_nbank_decline":
        return "nbank"
    return None


# -- reading ----------------------------------------------------------------------------------------


@dataclass
class _Row:
    application_id: int
    alliance_id: int
    trigger: str
    to_state: str | None
    at: datetime
    data: dict


def _events(alliance_ids: Sequence[int], span: Span) -> dict[int, list[_Row]]:
    """The stage events up to the span's end of every application with one in the span (the
    processing times need their earlier starts), in the order they happened."""
    active = (
        sa.select(Event.application_id)
        .where(
            Event.alliance_id.in_(alliance_ids),
            Event.kind == TRANSITION,
            Event.trigger.in_(TRIGGERS),
            Event.created_at >= span.start,
            Event.created_at < span.end,
        )
        .distinct()
    )
    rows = db.session.execute(
        sa.select(
            Event.application_id,
            Event.alliance_id,
            Event.trigger,
            Event.to_state,
            Event.created_at,
            # Only NBank's decisions are read from: their dates and amounts (never personal texts).
            sa.case((Event.trigger.in_(tuple(DECISIONS)), Event.stored), else_=sa.null()),
        )
        .where(
            Event.application_id.in_(active),
            Event.kind == TRANSITION,
            Event.trigger.in_(TRIGGERS),
            Event.created_at < span.end,
        )
        .order_by(Event.application_id, Event.id)
    )
    by_application: dict[int, list[_Row]] = defaultdict(list)
    for application_id, alliance_id, trigger, to_state, at, data in rows:
        by_application[application_id].append(
            _Row(application_id, alliance_id, trigger, to_state, at, data or {})
        )
    return by_application


def working_days_between(start: date, end: date) -> int:
    """The working days in Lower Saxony after `start` up to and including `end`."""
    return sum(
        1 for n in range(1, (end - start).days + 1) if deadlines.is_working_day(start + timedelta(days=n))
    )


def _duration(row: _Row, start: datetime, end_day: date, **extra) -> Duration:
    start_day = deadlines.local_date(start)
    return Duration(
        row.application_id,
        row.alliance_id,
        (end_day - start_day).days,
        working_days_between(start_day, end_day),
        **extra,
    )


def nearest_rank(values: Sequence[int], percent: int) -> int | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(0, math.ceil(percent * len(ordered) / 100) - 1)]


def _times(key: str, label: str, durations: list[Duration], promise: bool = False) -> Times:
    days = [d.days for d in durations]
    working = [d.working_days for d in durations]
    return Times(
        key=key,
        label=label,
        count=len(durations),
        median_days=statistics.median(days) if days else None,
        p90_days=nearest_rank(days, 90),
        median_working_days=statistics.median(working) if working else None,
        p90_working_days=nearest_rank(working, 90),
        within_promise=sum(1 for d in durations if d.within_promise) if promise else None,
        durations=tuple(durations),
    )


@dataclass
class _Walk:
    """What one pass over the events finds for the span."""

    reached: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    declined: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    withdrawn: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    durations: dict[str, list[Duration]] = field(default_factory=lambda: defaultdict(list))
    granted_cents: dict[int, int] = field(default_factory=dict)


def _walk(events: dict[int, list[_Row]], span: Span, statement_days: dict[int, int]) -> _Walk:
    found = _Walk()
    for rows in events.values():
        first: dict[str, datetime] = {}
        furthest = -1
        sketch_submitted = assessed = None
        long_form_submitted = endorsed_at = None
        for row in rows:
            stage = _stage(row.trigger, row.to_state)
            if stage is not None and stage not in first:
                first[stage] = row.at
                if span.holds(row.at):
                    found.reached[stage].add(row.application_id)
                if stage == "granted" and span.holds(row.at):
                    found.granted_cents[row.application_id] = int(row.data.get("amount_granted") or 0)
            declined = _declined_at(row.trigger, row.to_state)
            if declined is not None and span.holds(row.at):
                found.declined[declined].add(row.application_id)
            if row.trigger == "withdraw" and span.holds(row.at):
                found.withdrawn[STAGES[max(furthest, 0)][0]].add(row.application_id)
            if stage is not None:
                furthest = max(furthest, STAGE_ORDER[stage])
            # processing times
            if row.trigger == "submit_sketch" and sketch_submitted is None:
                sketch_submitted = row.at
            elif row.trigger in ASSESSMENT_ENDS and sketch_submitted is not None and assessed is None:
                assessed = row.at
                if span.holds(row.at):
                    found.durations["assessment"].append(
                        _duration(row, sketch_submitted, deadlines.local_date(row.at))
                    )
            if row.trigger == "submit_long_form":
                long_form_submitted = row.at
            elif row.trigger in STATEMENTS and long_form_submitted is not None and span.holds(row.at):
                due = deadlines.due_date(long_form_submitted, statement_days[row.alliance_id])
                day = deadlines.local_date(row.at)
                found.durations["statement"].append(
                    _duration(row, long_form_submitted, day, within_promise=day <= due)
                )
            if (row.trigger, row.to_state) in ENDORSING:
                endorsed_at = row.at
            elif row.trigger in DECISIONS and endorsed_at is not None and span.holds(row.at):
                recorded = row.data.get(DECISIONS[row.trigger])
                day = date.fromisoformat(recorded[:10]) if recorded else deadlines.local_date(row.at)
                found.durations["decision"].append(_duration(row, endorsed_at, day))
    return found


@dataclass
class _Classified:
    requested_cents: dict[int, int]
    funding_object: dict[int, str]
    fields: dict[int, list[str]]
    districts: dict[int, list[str]]
    funding_objects: dict[str, str]  # number → label, of the alliances


def _classification(application_ids: Iterable[int], alliance_ids: Sequence[int]) -> _Classified:
    ids = sorted(set(application_ids))
    requested: dict[int, int] = {}
    funding_object: dict[int, str] = {}
    fields: dict[int, list[str]] = defaultdict(list)
    districts: dict[int, list[str]] = defaultdict(list)
    objects = db.session.execute(
        sa.select(FundingObject.id, FundingObject.number, FundingObject.name)
        .where(FundingObject.alliance_id.in_(alliance_ids))
        .order_by(FundingObject.number, FundingObject.alliance_id)
    ).all()
    number_of = {fo_id: str(number) for fo_id, number, _ in objects}
    labels: dict[str, str] = {}
    for _, number, name in objects:
        labels.setdefault(str(number), f"{number} – {name}")
    # Asked even for no applications: the same statements whatever the data.
    for application_id, cents, fo_id in db.session.execute(
        sa.select(Application.id, Application.requested_grant_cents, Application.funding_object_id).where(
            Application.id.in_(ids)
        )
    ):
        requested[application_id] = cents or 0
        funding_object[application_id] = number_of.get(fo_id, NO_FUNDING_OBJECT)
    for application_id, code in db.session.execute(
        sa.select(ApplicationField.application_id, ApplicationField.code).where(
            ApplicationField.application_id.in_(ids)
        )
    ):
        fields[application_id].append(code)
    for application_id, name in db.session.execute(
        sa.select(ApplicationDistrict.application_id, ApplicationDistrict.name).where(
            ApplicationDistrict.application_id.in_(ids)
        )
    ):
        districts[application_id].append(name)
    return _Classified(requested, funding_object, fields, districts, labels)


def field_label(code: str) -> str:
    """'II – Neue Potenziale erschließen'; a cross-cutting field by its name alone."""
    label = FIELDS_OF_ACTION[code]
    return f"{code} – {label}" if code in ("I", "II", "III", "IV") else label


def _amounts(walk: _Walk, classified: _Classified) -> tuple[Amounts, ...]:
    requested_ids = walk.reached["long_form"]
    endorsed_ids = walk.reached["endorsed"]
    granted = walk.granted_cents

    def row(key: str, label: str, member) -> AmountRow:
        asked = [a for a in requested_ids if member(a)]
        endorsed = [a for a in endorsed_ids if member(a)]
        given = [a for a in granted if member(a)]
        return AmountRow(
            key=key,
            label=label,
            requested_cents=sum(classified.requested_cents.get(a, 0) for a in asked),
            endorsed_cents=sum(classified.requested_cents.get(a, 0) for a in endorsed),
            granted_cents=sum(granted[a] for a in given),
            requested_count=len(asked),
            endorsed_count=len(endorsed),
            granted_count=len(given),
        )

    total = row("total", N_("Gesamt"), lambda a: True)
    field_rows = tuple(
        row(code, field_label(code), lambda a, c=code: c in classified.fields.get(a, ()))
        for code, label in FIELDS_OF_ACTION.items()
    )
    district_rows = tuple(
        row(name, name, lambda a, n=name: n in classified.districts.get(a, ())) for name in DISTRICTS
    )
    objects = dict(classified.funding_objects)
    if any(
        classified.funding_object.get(a) == NO_FUNDING_OBJECT
        for a in {*requested_ids, *endorsed_ids, *granted}
    ):
        objects[NO_FUNDING_OBJECT] = N_("ohne Fördergegenstand")
    object_rows = tuple(
        row(number, label, lambda a, n=number: classified.funding_object.get(a) == n)
        for number, label in objects.items()
    )
    labels = dict(DIMENSIONS)
    return (
        Amounts("field", labels["field"], field_rows, total),
        Amounts("district", labels["district"], district_rows, total),
        Amounts("funding_object", labels["funding_object"], object_rows, total),
    )


def _budgets(alliance_ids: Sequence[int], span: Span) -> tuple[PeriodBudget, ...]:
    periods = db.session.scalars(
        sa.select(FundingPeriod)
        .where(
            FundingPeriod.alliance_id.in_(alliance_ids),
            FundingPeriod.starts_on <= span.last_day,
            FundingPeriod.ends_on >= span.first_day,
        )
        .order_by(FundingPeriod.alliance_id, FundingPeriod.starts_on)
    ).all()
    budgets = []
    for period in periods:
        figures = period.figures()  # the budget's one rule (models/budget.py, rules/budget.py)
        budgets.append(
            PeriodBudget(
                alliance_id=period.alliance_id,
                period_id=period.id,
                name=period.name,
                starts_on=period.starts_on,
                ends_on=period.ends_on,
                total_cents=figures.total,
                committed_cents=figures.committed,
                granted_cents=figures.granted,
                remaining_cents=figures.remaining,
                exceeded=figures.exceeded,
            )
        )
    return tuple(budgets)


def figures(alliance_ids: Sequence[int], span: Span, with_budget: bool = True) -> Figures:
    """The figures of the alliances for the span (see the module's docstring for what counts
    where). `with_budget` False leaves the budget out (for readers who may not see it)."""
    alliance_ids = tuple(sorted(set(alliance_ids)))
    statement_days = {
        alliance.id: alliance.procedure.statement_days
        for alliance in db.session.scalars(sa.select(Alliance).where(Alliance.id.in_(alliance_ids)))
    }
    walk = _walk(_events(alliance_ids, span), span, statement_days)
    funnel = tuple(
        Stage(
            key,
            label,
            reached=len(walk.reached[key]),
            declined=len(walk.declined[key]),
            withdrawn=len(walk.withdrawn[key]),
        )
        for key, label in STAGES
    )
    times = tuple(
        _times(key, label, walk.durations[key], promise=key == "statement") for key, label in DURATIONS
    )
    involved = {*walk.reached["long_form"], *walk.reached["endorsed"], *walk.granted_cents}
    amounts = _amounts(walk, _classification(involved, alliance_ids))
    budgets = _budgets(alliance_ids, span) if with_budget else ()
    return Figures(span, alliance_ids, funnel, times, amounts, budgets)
