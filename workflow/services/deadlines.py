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

Lists use `for_applications` (one query for any number of applications) and
`Application.next_due_on`/`next_due_kind` (the next running deadline, kept up to date from the events by the
listeners at the end of this module, for filtering and sorting in the database).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm
from flask_babel import LazyString, get_locale, gettext, ngettext

from workflow.extensions import db
from workflow.formatting import local_date as format_date
from workflow.lifecycle import APPLICANT, COORDINATOR, N_, OBSERVER, PARTNER
from workflow.models import Alliance, Application, Event
from workflow.models.event_kinds import MOVED_TO_SESSION
from workflow.models.types import utcnow
from workflow.rules import deadlines as calendar
from workflow.rules.procedure import ProcedureRules
from workflow.services.lifecycle import _histories

DUE_SOON_DAYS = 3  # "due within 3 days"

RUNNING, DUE_SOON, OVERDUE, MET = "running", "due_soon", "overdue", "met"
STATUS_LABELS = {
    RUNNING: N_("läuft"),
    DUE_SOON: N_("bald fällig"),
    OVERDUE: N_("überfällig"),
    MET: N_("erledigt"),
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
    since: str  # what starts the count ("Einreichung der Skizze"), for the texts beside a deadline
    due_label: str  # what the day is called where it is shown


ASSESSMENT = Kind(
    "assessment",
    N_("Ersteinschätzung der Projektskizze"),
    "submit_sketch",
    "assessment_days",
    ("sketch_submitted", "sketch_assessment"),
    ("invite_long_form", "decline_sketch", "request_sketch_revision"),
    COORDINATOR,
    N_("Netzwerkkoordination"),
    N_("Einreichung der Skizze"),
    N_("Ziel für die Ersteinschätzung"),
)
STATEMENT = Kind(
    "statement",
    N_("Rückmeldung und Stellungnahme zur Langfassung"),
    "submit_long_form",
    "statement_days",
    ("long_form_submitted", "partner_vote", "statement_pending"),
    ("issue_statement", "pass_without_vote", "request_long_form_revision"),
    COORDINATOR,
    N_("Netzwerkkoordination"),
    N_("Eingang der Langfassung"),
    N_("Frist für Rückmeldung und Stellungnahme"),
)
CIRCULATION = Kind(
    "circulation",
    N_("Votum im Umlaufverfahren"),
    "open_vote",
    "circulation_days",
    ("partner_vote",),
    ("close_vote",),
    PARTNER,
    N_("Bündnispartner"),
    N_("Eröffnung des Umlaufverfahrens"),
    N_("Frist des Umlaufverfahrens"),
)
KINDS: tuple[Kind, ...] = (ASSESSMENT, STATEMENT, CIRCULATION)
KINDS_BY_NAME = {k.name: k for k in KINDS}
# The deadlines that concern each role (pages, calendar feeds).
KINDS_OF_ROLE = {
    COORDINATOR: frozenset({"assessment", "statement", "circulation"}),
    APPLICANT: frozenset({"assessment", "statement"}),
    OBSERVER: frozenset({"assessment"}),
    PARTNER: frozenset({"circulation"}),
}
_BY_START = {k.start_trigger: k for k in KINDS}
_TRIGGERS = tuple({t for k in KINDS for t in (k.start_trigger, *k.end_triggers)})
# A circulation that becomes an item of a committee session (an objection, no quorum at the
# deadline) has no circulation deadline any more: the session decides (votes/to_session.move_to_session,
# an event of kind MOVED_TO_SESSION).


def _relevant(model=Event):
    return sa.or_(model.trigger.in_(_TRIGGERS), model.kind == MOVED_TO_SESSION)


@dataclass(frozen=True)
class Deadline:
    kind: Kind
    application_id: int
    started_at: datetime
    due_on: date
    met_at: datetime | None = None
    days: int | None = None  # the length it was computed with (None: a day chosen at the start)
    counted_on: date | None = None  # where the count ended, when that was no working day

    @property
    def explanation(self) -> str | None:
        """Why the deadline falls on its day: '25.12.2026 ist ein Feiertag in Niedersachsen
        (Erster Weihnachtstag); Frist daher 28.12.2026' (None when the count ended on a working day),
        in the language of the moment."""
        note = shift_note(self.counted_on, self.due_on) if self.counted_on else None
        return str(note) if note is not None else None

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
            if self.met_late:
                return gettext("erledigt am %(day)s (nach Fristende)", day=format_date(self.met_on))
            return gettext("erledigt am %(day)s", day=format_date(self.met_on))
        left = self.days_left(now)
        if status == OVERDUE:
            return ngettext("überfällig seit %(num)s Tag", "überfällig seit %(num)s Tagen", -left)
        if left == 0:
            return gettext("fällig heute")
        return ngettext("fällig in %(num)s Tag", "fällig in %(num)s Tagen", left)

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
            "days": self.days,
            "explanation": self.explanation,
        }


# The `holidays` package's name of a language the pages offer, for the holidays' names.
HOLIDAY_LANGUAGES = {"de": "de", "en": "en_US"}


def _shift_note_now(counted: date, due_on: date | None) -> str | None:
    locale = get_locale()
    language = HOLIDAY_LANGUAGES.get(locale.language if locale is not None else "de", "de")
    return calendar.shift_note(counted, due_on, gettext, language)


def shift_note(counted: date, due_on: date | None = None) -> LazyString | None:
    """rules.deadlines.shift_note written out when read, in the reader's language (a mail's
    recipient's, a page's), the holiday's name too; None when the deadline did not move."""
    if calendar.shift_note(counted, due_on) is None:
        return None
    return LazyString(_shift_note_now, counted, due_on)


def due(kind: Kind, started_at: datetime, rules: ProcedureRules) -> date:
    """The day a deadline of `kind` started at `started_at` falls on under `rules`."""
    return calendar.due_date(started_at, getattr(rules, kind.rule))


# -- the starting events record their deadline -----------------------------------------------------


def recorded_deadline(counted: date, days: int | None = None) -> dict:
    """What a starting event records of its deadline: the day (`counted` moved to a working day),
    the length, and the day the count ended on when that was moved (for the explanation)."""
    due_on = calendar.next_working_day(counted)
    recorded: dict = {"deadline": due_on}
    if days is not None:
        recorded["deadline_days"] = days
    if due_on != counted:
        recorded["deadline_counted"] = counted
    return recorded


def deadline_recorder(kind: Kind):
    def record(application: Application, actor, data: dict) -> dict:
        rules = application.alliance.procedure
        days = getattr(rules, kind.rule)
        return recorded_deadline(calendar.counted_day(utcnow(), days), days)

    record.__name__ = f"_record_{kind.name}_deadline"
    return record


# The circulation deadline is chosen when the vote opens and recorded by votes/opening.py (`deadline`).


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


def _recorded_days(event: Event, kind: Kind, rules: ProcedureRules) -> int | None:
    days = (event.data or {}).get("deadline_days")
    if isinstance(days, int):
        return days
    return None if kind is CIRCULATION else getattr(rules, kind.rule)


def _recorded_counted(event: Event) -> date | None:
    counted = (event.data or {}).get("deadline_counted")
    try:
        return date.fromisoformat(str(counted)[:10]) if counted else None
    except ValueError:
        return None


def from_events(application: Application, events: Iterable[Event]) -> list[Deadline]:
    """Every deadline of one application, oldest first: met ones, and those still running.

    A deadline whose phase ended otherwise (withdrawn) is left out: nobody owes anything any more.
    """
    rules = application.alliance.procedure if application.alliance is not None else ProcedureRules()
    return compute(application.id, application.state, rules, events)


def compute(application_id: int, state: str, rules: ProcedureRules, events: Iterable[Event]) -> list:
    """The deadlines of an application in `state` from its relevant events (anything with id,
    kind, trigger, data and created_at)."""
    found: list[Deadline] = []
    open_: dict[str, Deadline] = {}
    for event in sorted(events, key=lambda e: e.id):
        if event.kind == MOVED_TO_SESSION:
            open_.pop(CIRCULATION.name, None)
            continue
        kind = _BY_START.get(event.trigger)
        if kind is not None:
            open_.pop(kind.name, None)
            day = _recorded_due(event, kind, rules)
            if day is not None:
                open_[kind.name] = Deadline(
                    kind,
                    application_id,
                    event.created_at,
                    day,
                    days=_recorded_days(event, kind, rules),
                    counted_on=_recorded_counted(event),
                )
            continue
        for kind in KINDS:
            if event.trigger in kind.end_triggers and kind.name in open_:
                found.append(dataclasses.replace(open_.pop(kind.name), met_at=event.created_at))
    for name, deadline in open_.items():
        if state in KINDS_BY_NAME[name].running_states:
            found.append(deadline)
    return sorted(found, key=lambda d: (d.started_at, d.kind.name))


def for_application(application: Application) -> list[Deadline]:
    known = _histories().get(application.id)  # the application page has read its history already
    if known is not None:
        events = [e for e in known if e.trigger in _TRIGGERS or e.kind == MOVED_TO_SESSION]
    else:
        events = db.session.scalars(
            sa.select(Event).where(Event.application_id == application.id, _relevant()).order_by(Event.id)
        )
    return from_events(application, events)


def for_applications(applications: Iterable) -> dict[int, list[Deadline]]:
    """The deadlines of many applications with ONE query (lists, exports, reminders, feeds).
    `applications`: Application objects, or rows with their id, state and alliance_id."""
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
            rules_of[application.alliance_id] = db.session.get(Alliance, application.alliance_id).procedure
        result[application.id] = compute(
            application.id, application.state, rules_of[application.alliance_id], by_app[application.id]
        )
    return result


def running(deadlines: Iterable[Deadline]) -> list[Deadline]:
    return sorted((d for d in deadlines if d.met_at is None), key=lambda d: d.due_on)


def next_running(deadlines: Iterable[Deadline]) -> Deadline | None:
    pending = running(deadlines)
    return pending[0] if pending else None


# -- the next due day, stored for the lists ------------------------------------------------------
#
# `Application.next_due_on` and `next_due_kind` are the `due_on` and kind of
# `next_running(for_application(a))`, kept up to date
# here: every event that starts or ends a deadline, or changes the state, marks its application,
# and before the transaction commits the marked applications are computed again from their events.
# Lists filter and sort by the column through an index; a test walks every state and holds it to
# the computation.

_MARKED = "deadlines.refresh"


def _affects_deadlines(event: Event) -> bool:
    return event.application_id is not None and (
        event.to_state is not None or event.trigger in _TRIGGERS or event.kind == MOVED_TO_SESSION
    )


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _mark(session, flush_context, instances):
    for obj in session.new:
        if isinstance(obj, Event) and _affects_deadlines(obj):
            session.info.setdefault(_MARKED, set()).add(obj.application_id)


def next_due(application: Application, session: sa.orm.Session | None = None) -> Deadline | None:
    """The application's next running deadline, computed from its events."""
    session = session or db.session
    events = session.scalars(
        sa.select(Event).where(Event.application_id == application.id, _relevant()).order_by(Event.id)
    )
    return next_running(from_events(application, events))


def keep_next_due(application: Application, session: sa.orm.Session | None = None) -> None:
    """Store the next running deadline's day and kind on the application (what lists read)."""
    upcoming = next_due(application, session)
    stored = (upcoming.due_on, upcoming.kind.name) if upcoming else (None, None)
    if (application.next_due_on, application.next_due_kind) != stored:
        application.next_due_on, application.next_due_kind = stored


def stored_next_due(row) -> Deadline | None:
    """The next running deadline as stored (an Application or a row with id, next_due_on and
    next_due_kind): enough to say what is due when and how it stands, without the events."""
    if row.next_due_on is None:
        return None
    return Deadline(KINDS_BY_NAME[row.next_due_kind], row.id, None, row.next_due_on)


@sa.event.listens_for(sa.orm.Session, "before_commit")
def _refresh_marked(session):
    session.flush()  # events still pending mark their applications too
    for application_id in sorted(session.info.pop(_MARKED, set())):
        application = session.get(Application, application_id)
        if application is not None:
            keep_next_due(application, session)


@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _forget_marked(session):
    session.info.pop(_MARKED, None)


RUNNING_STATES: tuple[str, ...] = tuple(sorted({s for k in KINDS for s in k.running_states}))


def due_by_sql(day: date, before: bool = False):
    """Applications whose next running deadline falls on or before `day` (strictly before with
    `before`), by the index on (alliance, next due day)."""
    column = Application.next_due_on
    return column < day if before else column <= day


def today(now: datetime | None = None) -> date:
    return calendar.local_date(now or utcnow())


def due_by(days: int, now: datetime | None = None) -> date:
    return today(now) + timedelta(days=days)
