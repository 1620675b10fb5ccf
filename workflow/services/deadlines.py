"""Every deadline of the procedure (DESIGN.md "Rules"), computed from the event that starts it.

| kind          | starts with        | length                      | runs while the application is in | met by                       |
|---------------|--------------------|-----------------------------|----------------------------------|------------------------------|
| `assessment`  | `submit_sketch`    | `procedure.assessment_days` | sketch_submitted, sketch_assessment | invite/decline/revision       |
| `statement`   | `submit_long_form` | `procedure.statement_days`  | long_form_submitted … statement_pending | statement, pass, revision |
| `circulation` | `open_vote` (mode circulation) | chosen at opening (default `procedure.circulation_days`) | partner_vote | close_vote |

The starting event records the day the deadline falls on (`deadline`, moved to the next working day
in Lower Saxony by `rules/deadlines.py`) and the length it was computed with (`deadline_days`), as
`open_vote` records its circulation deadline: the rules in force when the deadline started are the
rules it keeps, whatever the alliance changes later. Nothing else stores a deadline; whether it is
running, due soon, overdue or met is read from the events each time.

Lists use `for_applications` (one query for any number of applications) and `next_due_sql` (the
same next deadline as an SQL expression, for filtering and sorting in the database).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm

from workflow.extensions import db
from workflow.formatting import local_date as format_date
from workflow.lifecycle import COORDINATOR, PARTNER
from workflow.models import Application, Event
from workflow.models.types import utcnow
from workflow.rules import deadlines as calendar
from workflow.rules.procedure import ProcedureRules
from workflow.services.lifecycle import effect

DUE_SOON_DAYS = 3  # "due within 3 days"

RUNNING, DUE_SOON, OVERDUE, MET = "running", "due_soon", "overdue", "met"
STATUS_LABELS = {
    RUNNING: "läuft",
    DUE_SOON: "bald fällig",
    OVERDUE: "überfällig",
    MET: "erledigt",
}


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    start_trigger: str
    rule: str | None  # the ProcedureRules field that gives the length (None: chosen at the start)
    running_states: tuple[str, ...]
    end_triggers: tuple[str, ...]
    actor: str  # the role that must act before the deadline
    actor_label: str


ASSESSMENT = Kind(
    "assessment",
    "Ersteinschätzung der Projektskizze",
    "submit_sketch",
    "assessment_days",
    ("sketch_submitted", "sketch_assessment"),
    ("invite_long_form", "decline_sketch", "request_sketch_revision"),
    COORDINATOR,
    "Netzwerkkoordination",
)
STATEMENT = Kind(
    "statement",
    "Rückmeldung und Stellungnahme zur Langfassung",
    "submit_long_form",
    "statement_days",
    ("long_form_submitted", "partner_vote", "statement_pending"),
    ("issue_statement", "pass_without_vote", "request_long_form_revision"),
    COORDINATOR,
    "Netzwerkkoordination",
)
CIRCULATION = Kind(
    "circulation",
    "Votum im Umlaufverfahren",
    "open_vote",
    "circulation_days",
    ("partner_vote",),
    ("close_vote",),
    PARTNER,
    "Bündnispartner",
)
KINDS: tuple[Kind, ...] = (ASSESSMENT, STATEMENT, CIRCULATION)
KINDS_BY_NAME = {k.name: k for k in KINDS}
_BY_START = {k.start_trigger: k for k in KINDS}
_TRIGGERS = tuple({t for k in KINDS for t in (k.start_trigger, *k.end_triggers)})
# A circulation that becomes an item of a committee session (an objection, no quorum at the
# deadline) has no circulation deadline any more: the session decides (votes.move_to_session).
MOVED_TO_SESSION = "moved_to_session"


def _relevant(model=Event):
    return sa.or_(model.trigger.in_(_TRIGGERS), model.kind == MOVED_TO_SESSION)


@dataclass(frozen=True)
class Deadline:
    kind: Kind
    application_id: int
    started_at: datetime
    due_on: date
    met_at: datetime | None = None

    @property
    def ends_at(self) -> datetime:
        """The last second of the due day in Berlin (aware)."""
        return calendar.end_of_day(self.due_on)

    @property
    def met_on(self) -> date | None:
        return calendar.local_date(self.met_at) if self.met_at else None

    @property
    def met_late(self) -> bool:
        return self.met_on is not None and self.met_on > self.due_on

    def status(self, now: datetime | None = None) -> str:
        if self.met_at is not None:
            return MET
        today = calendar.local_date(now or utcnow())
        if today > self.due_on:
            return OVERDUE
        if (self.due_on - today).days <= DUE_SOON_DAYS:
            return DUE_SOON
        return RUNNING

    def days_left(self, now: datetime | None = None) -> int:
        return (self.due_on - calendar.local_date(now or utcnow())).days

    def describe(self, now: datetime | None = None) -> str:
        """'überfällig seit 3 Tagen', 'fällig in 2 Tagen', 'erledigt am 12.05.2026' …"""
        status = self.status(now)
        if status == MET:
            late = " (nach Fristende)" if self.met_late else ""
            return f"erledigt am {format_date(self.met_on)}{late}"
        left = self.days_left(now)
        if status == OVERDUE:
            return f"überfällig seit {-left} {'Tag' if left == -1 else 'Tagen'}"
        if left == 0:
            return "fällig heute"
        return f"fällig in {left} {'Tag' if left == 1 else 'Tagen'}"

    def as_dict(self, now: datetime | None = None) -> dict:
        status = self.status(now)
        return {
            "kind": self.kind.name,
            "label": self.kind.label,
            "actor": self.kind.actor_label,
            "application_id": self.application_id,
            "started_at": self.started_at,
            "due_on": self.due_on,
            "ends_at": self.ends_at,
            "status": status,
            "status_label": STATUS_LABELS[status],
            "description": self.describe(now),
            "met_on": self.met_on,
            "met_late": self.met_late,
        }


def due(kind: Kind, started_at: datetime, rules: ProcedureRules) -> date:
    """The day a deadline of `kind` started at `started_at` falls on under `rules`."""
    return calendar.due_date(started_at, getattr(rules, kind.rule))


# -- the starting events record their deadline -----------------------------------------------------


def _recorder(kind: Kind):
    def record(application: Application, actor, data: dict) -> dict:
        rules = application.alliance.procedure
        days = getattr(rules, kind.rule)
        return {"deadline": calendar.due_date(utcnow(), days), "deadline_days": days}

    record.__name__ = f"_record_{kind.name}_deadline"
    return record


effect(ASSESSMENT.start_trigger)(_recorder(ASSESSMENT))
effect(STATEMENT.start_trigger)(_recorder(STATEMENT))
# The circulation deadline is chosen when the vote opens and recorded by votes.py (`deadline`).


# -- reading deadlines back from the events --------------------------------------------------------


def _recorded_due(event: Event, kind: Kind, rules: ProcedureRules) -> date | None:
    data = event.data or {}
    if kind is CIRCULATION and data.get("mode") != "circulation":
        return None  # a vote in a session has no circulation deadline
    if data.get("deadline"):
        return date.fromisoformat(str(data["deadline"])[:10])
    if kind is CIRCULATION:
        return None
    return due(kind, event.created_at, rules)  # an event from before deadlines were recorded


def from_events(application: Application, events: Iterable[Event]) -> list[Deadline]:
    """Every deadline of one application, oldest first: met ones, and those still running.

    A deadline whose phase ended otherwise (withdrawn) is left out: nobody owes anything any more.
    """
    rules = application.alliance.procedure if application.alliance is not None else ProcedureRules()
    return _compute(application.id, application.state, rules, events)


def _compute(application_id: int, state: str, rules: ProcedureRules, events: Iterable[Event]) -> list:
    found: list[Deadline] = []
    open_: dict[str, tuple[Event, date]] = {}
    for event in sorted(events, key=lambda e: e.id):
        if event.kind == MOVED_TO_SESSION:
            open_.pop(CIRCULATION.name, None)
            continue
        kind = _BY_START.get(event.trigger)
        if kind is not None:
            open_.pop(kind.name, None)
            day = _recorded_due(event, kind, rules)
            if day is not None:
                open_[kind.name] = (event, day)
            continue
        for kind in KINDS:
            if event.trigger in kind.end_triggers and kind.name in open_:
                start, day = open_.pop(kind.name)
                found.append(Deadline(kind, application_id, start.created_at, day, event.created_at))
    for name, (start, day) in open_.items():
        kind = KINDS_BY_NAME[name]
        if state in kind.running_states:
            found.append(Deadline(kind, application_id, start.created_at, day))
    return sorted(found, key=lambda d: (d.started_at, d.kind.name))


def for_application(application: Application) -> list[Deadline]:
    events = db.session.scalars(
        sa.select(Event).where(Event.application_id == application.id, _relevant()).order_by(Event.id)
    )
    return from_events(application, events)


def for_applications(applications: Iterable[Application]) -> dict[int, list[Deadline]]:
    """The deadlines of many applications with ONE query (lists, exports, reminders, feeds)."""
    applications = list(applications)
    if not applications:
        return {}
    by_app: dict[int, list] = defaultdict(list)
    ids = [a.id for a in applications]
    for chunk in range(0, len(ids), 5000):
        rows = db.session.execute(
            sa.select(Event.id, Event.application_id, Event.kind, Event.trigger, Event.data, Event.created_at)
            .where(Event.application_id.in_(ids[chunk : chunk + 5000]), _relevant())
            .order_by(Event.application_id, Event.id)
        )
        for row in rows:
            by_app[row.application_id].append(row)
    rules_of: dict[int, ProcedureRules] = {}
    result = {}
    for application in applications:
        if application.alliance_id not in rules_of:
            rules_of[application.alliance_id] = application.alliance.procedure
        result[application.id] = _compute(
            application.id, application.state, rules_of[application.alliance_id], by_app[application.id]
        )
    return result


def running(deadlines: Iterable[Deadline]) -> list[Deadline]:
    return sorted((d for d in deadlines if d.met_at is None), key=lambda d: d.due_on)


def next_running(deadlines: Iterable[Deadline]) -> Deadline | None:
    pending = running(deadlines)
    return pending[0] if pending else None


# -- the same in SQL (filter "overdue", sort by deadline, the ranked list) -------------------------


def _latest_recorded(trigger: str, circulation_only: bool = False):
    """The `deadline` recorded by the application's latest `trigger` event (ISO date text)."""
    event = sa.orm.aliased(Event)
    query = (
        sa.select(event.data["deadline"].as_string())
        .where(event.application_id == Application.id, event.trigger == trigger)
        .order_by(event.id.desc())
        .limit(1)
        .correlate(Application)
        .scalar_subquery()
    )
    if not circulation_only:
        return query
    mode = (
        sa.select(event.data["mode"].as_string())
        .where(event.application_id == Application.id, event.trigger == trigger)
        .order_by(event.id.desc())
        .limit(1)
        .correlate(Application)
        .scalar_subquery()
    )
    opened = (
        sa.select(sa.func.max(event.id))
        .where(event.application_id == Application.id, event.trigger == trigger)
        .correlate(Application)
        .scalar_subquery()
    )
    moved = sa.orm.aliased(Event)
    moved_since = (
        sa.exists()
        .where(moved.application_id == Application.id, moved.kind == MOVED_TO_SESSION, moved.id > opened)
        .correlate(Application)
    )
    return sa.case((sa.and_(mode == "circulation", ~moved_since), query), else_=sa.null())


def next_due_sql():
    """The day the application's next running deadline falls on, as ISO text ('2026-05-26'), or
    NULL. Agrees with `next_running(for_applications(...))` (a test holds them together)."""
    sketch = _latest_recorded(ASSESSMENT.start_trigger)
    statement = _latest_recorded(STATEMENT.start_trigger)
    circulation = _latest_recorded(CIRCULATION.start_trigger, circulation_only=True)
    return sa.case(
        (Application.state.in_(ASSESSMENT.running_states), sketch),
        (
            Application.state.in_(CIRCULATION.running_states),
            sa.case(
                (
                    sa.and_(circulation.is_not(None), sa.or_(statement.is_(None), circulation < statement)),
                    circulation,
                ),
                else_=statement,
            ),
        ),
        (Application.state.in_(STATEMENT.running_states), statement),
        else_=sa.null(),
    )


RUNNING_STATES: tuple[str, ...] = tuple(sorted({s for k in KINDS for s in k.running_states}))


def due_by_sql(day_iso: str, before: bool = False):
    """Applications whose next running deadline falls on or before `day_iso` (strictly before
    with `before`); the state condition lets the database skip every other application by index."""
    next_due = next_due_sql()
    return sa.and_(
        Application.state.in_(RUNNING_STATES), next_due < day_iso if before else next_due <= day_iso
    )


def today_iso(now: datetime | None = None) -> str:
    return calendar.local_date(now or utcnow()).isoformat()


def due_by_iso(days: int, now: datetime | None = None) -> str:
    return (calendar.local_date(now or utcnow()) + timedelta(days=days)).isoformat()
