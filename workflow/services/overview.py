"""The coordinator's view of all applications: the filtered, searched, sorted, paginated table (and
its exports), the counts per state, the ranked list of what is due, the partner's and the
sponsor's start pages.

Every function here runs a fixed number of queries, however many applications there are: the page
of rows is one query, and what each row needs (fields of action, districts, deadlines) is loaded for
the whole page at once.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from workflow.extensions import db
from workflow.formatting import local_date, local_datetime, money
from workflow.lifecycle import N_, STATE_NAMES, STATES_BY_NAME
from workflow.models import (
    Alliance,
    Application,
    ApplicationDistrict,
    ApplicationField,
    Ballot,
    CommitteeSession,
    Event,
    FundingObject,
    Organisation,
    Recusal,
    User,
    Vote,
)
from workflow.models.types import utcnow
from workflow.rules import deadlines as calendar
from workflow.rules.voting import CIRCULATION, MODE_LABELS
from workflow.services import access, deadlines, reminders

PER_PAGE = 50
MAX_PER_PAGE = 200

# The columns of the table, the CSV and the XLSX export (key, German heading; the page
# translates the headings, the exports keep them German).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("reference", N_("Aktenzeichen")),
    ("title", N_("Projekt")),
    ("sponsor", N_("Antragsteller")),
    ("state", N_("Status")),
    ("funding_object", N_("Fördergegenstand")),
    ("fields", N_("Handlungsfelder")),
    ("districts", N_("Landkreise")),
    ("requested_grant", N_("Beantragte Förderung")),
    ("deadline", N_("Nächste Frist")),
    ("deadline_status", N_("Fristenstand")),
    ("created", N_("Angelegt am")),
    ("updated", N_("Zuletzt geändert")),
)
FIELD_SHORT = {
    "I": "I",
    "II": "II",
    "III": "III",
    "IV": "IV",
    "digital": "Digitalisierung",
    "structural_change": "Strukturwandel",
}

SORTS = ("deadline", "reference", "title", "sponsor", "state", "grant", "created", "updated")
SORT_LABELS = {
    "deadline": N_("Nächste Frist"),
    "reference": N_("Aktenzeichen"),
    "title": N_("Projekt"),
    "sponsor": N_("Antragsteller"),
    "state": N_("Status"),
    "grant": N_("Beantragte Förderung"),
    "created": N_("Angelegt am"),
    "updated": N_("Zuletzt geändert"),
}


@dataclass
class Filters:
    state: str | None = None
    funding_object: int | None = None  # the number (1, 2, 3)
    field: str | None = None
    district: str | None = None
    year: int | None = None
    overdue: bool = False
    q: str = ""
    sort: str = "deadline"
    descending: bool = False

    def as_args(self) -> dict:
        """The filters as query-string arguments (links to sorted pages, exports)."""
        args = {
            "status": self.state,
            "foerdergegenstand": self.funding_object,
            "handlungsfeld": self.field,
            "landkreis": self.district,
            "jahr": self.year,
            "ueberfaellig": "1" if self.overdue else None,
            "suche": self.q or None,
            "sortierung": self.sort if self.sort != "deadline" else None,
            "absteigend": "1" if self.descending else None,
        }
        return {k: v for k, v in args.items() if v not in (None, "")}


@dataclass
class Page:
    rows: list[dict]
    total: int
    number: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self):
        self.pages = max(1, -(-self.total // self.per_page))


def _state_order():
    return sa.case({name: i for i, name in enumerate(STATE_NAMES)}, value=Application.state)


def filtered(alliance_id: int, filters: Filters, now: datetime | None = None) -> sa.Select:
    """The applications of one alliance that pass `filters` (unordered). The sponsor and the
    funding object are joined only when a filter or the order needs them, so that counting and
    paging read the applications' indexes alone."""
    query = sa.select(Application).where(Application.alliance_id == alliance_id)
    if filters.q or filters.sort == "sponsor":
        query = query.join(Organisation, Application.applicant_organisation_id == Organisation.id)
    if filters.funding_object:
        query = query.join(FundingObject, Application.funding_object_id == FundingObject.id)
    if filters.state:
        query = query.where(Application.state == filters.state)
    if filters.funding_object:
        query = query.where(FundingObject.number == filters.funding_object)
    if filters.field:
        query = query.where(
            sa.exists().where(
                ApplicationField.application_id == Application.id, ApplicationField.code == filters.field
            )
        )
    if filters.district:
        query = query.where(
            sa.exists().where(
                ApplicationDistrict.application_id == Application.id,
                ApplicationDistrict.name == filters.district,
            )
        )
    if filters.year:
        start = calendar.end_of_day(datetime(filters.year - 1, 12, 31).date())
        end = calendar.end_of_day(datetime(filters.year, 12, 31).date())
        query = query.where(Application.created_at > start, Application.created_at <= end)
    if filters.overdue:
        query = query.where(deadlines.due_by_sql(deadlines.today(now), before=True))
    if filters.q:
        pattern = "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            sa.or_(
                Application.title.ilike(pattern, escape="\\"),
                Application.reference.ilike(pattern, escape="\\"),
                Organisation.name.ilike(pattern, escape="\\"),
            )
        )
    return query


def _ordered(query: sa.Select, filters: Filters) -> sa.Select:
    key = {
        "deadline": Application.next_due_on,
        "reference": Application.reference,
        "title": Application.title,
        "sponsor": Organisation.name,
        "state": _state_order(),
        "grant": Application.requested_grant_cents,
        "created": Application.created_at,
        "updated": Application.updated_at,
    }[filters.sort]
    key = key.desc() if filters.descending else key.asc()
    return query.order_by(key.nulls_last(), Application.id.desc() if filters.descending else Application.id)


def page(
    alliance_id: int,
    filters: Filters,
    number: int = 1,
    per_page: int | None = None,
    now: datetime | None = None,
) -> Page:
    """One page of the table: a count, the rows, and their data in a fixed number of queries."""
    per_page = per_page or PER_PAGE
    query = filtered(alliance_id, filters, now)
    total = db.session.scalar(
        query.with_only_columns(sa.func.count(), maintain_column_froms=True).order_by(None)
    )
    pages = max(1, -(-total // per_page))
    number = min(max(1, number), pages)
    # The page's ids first (an index scan however deep the page), then their rows and data.
    ids = list(
        db.session.scalars(
            _ordered(query, filters)
            .with_only_columns(Application.id)
            .limit(per_page)
            .offset((number - 1) * per_page)
        )
    )
    return Page(rows=rows_of(ids, now), total=total, number=number, per_page=per_page)


def all_rows(
    alliance_id: int, filters: Filters, batch: int = 1000, now: datetime | None = None
) -> Iterator[dict]:
    """Every row that passes `filters`, in the table's order, read in batches (exports), so that
    memory does not grow with the table. Iterate it inside an app context (a streamed response
    keeps the request's with `stream_with_context`)."""
    query = _ordered(filtered(alliance_id, filters, now), filters).with_only_columns(Application.id)
    if db.session.get_bind().dialect.supports_server_side_cursors:
        # PostgreSQL: a server-side cursor hands out the ids a batch at a time.
        result = db.session.scalars(query, execution_options={"yield_per": batch})
        try:
            for ids in result.partitions():
                yield from rows_of(list(ids), now)
        finally:
            result.close()
        return
    # SQLite: a statement left open while the client reads would hold the database's read lock and
    # keep every writer waiting; the ids alone, packed (8 bytes each), are read first instead.
    ids = array("q", db.session.scalars(query))
    for start in range(0, len(ids), batch):
        yield from rows_of(ids[start : start + batch].tolist(), now)


def rows_of(ids: list[int], now: datetime | None = None) -> list[dict]:
    """Plain rows for the table and the exports, in the order of `ids` (typed values; formatting
    is the caller's). Read as plain columns, not ORM objects: three queries for any number of rows
    (the rows with sponsor, funding object and next deadline; fields of action; districts)."""
    if not ids:
        return []
    found = {
        r.id: r
        for r in db.session.execute(
            sa.select(
                Application.id,
                Application.alliance_id,
                Application.reference,
                Application.title,
                Application.state,
                Application.requested_grant_cents,
                Application.created_at,
                Application.updated_at,
                Application.next_due_on,
                Application.next_due_kind,
                Organisation.name.label("sponsor"),
                FundingObject.number.label("funding_number"),
                FundingObject.name.label("funding_name"),
            )
            .join(Organisation, Application.applicant_organisation_id == Organisation.id)
            .outerjoin(FundingObject, Application.funding_object_id == FundingObject.id)
            .where(Application.id.in_(ids))
        )
    }
    fields, districts = defaultdict(list), defaultdict(list)
    for application_id, code in db.session.execute(
        sa.select(ApplicationField.application_id, ApplicationField.code)
        .where(ApplicationField.application_id.in_(ids))
        .order_by(ApplicationField.code)
    ):
        fields[application_id].append(FIELD_SHORT.get(code, code))
    for application_id, name in db.session.execute(
        sa.select(ApplicationDistrict.application_id, ApplicationDistrict.name)
        .where(ApplicationDistrict.application_id.in_(ids))
        .order_by(ApplicationDistrict.name)
    ):
        districts[application_id].append(name)
    rows = []
    for a in (found[i] for i in ids if i in found):
        next_deadline = deadlines.stored_next_due(a)
        state = STATES_BY_NAME[a.state]
        rows.append(
            {
                "id": a.id,
                "reference": a.reference or "",
                "title": a.title,
                "sponsor": a.sponsor,
                "state": state.label,
                "state_name": a.state,
                "is_final": state.final,
                "funding_object": f"{a.funding_number} {a.funding_name}" if a.funding_number else "",
                "fields": ", ".join(fields[a.id]),
                "districts": ", ".join(districts[a.id]),
                "requested_grant": a.requested_grant_cents,
                "deadline": next_deadline.due_on if next_deadline else None,
                "deadline_label": next_deadline.kind.label if next_deadline else "",
                "deadline_status": next_deadline.describe(now) if next_deadline else "",
                "deadline_state": next_deadline.status(now) if next_deadline else None,
                "created": a.created_at,
                "updated": a.updated_at,
            }
        )
    return rows


def formatted(row: dict) -> list[str]:
    """A row as people read it (German), in the order of COLUMNS."""
    values = {
        **row,
        "requested_grant": money(row["requested_grant"]).replace("\u00a0", " "),
        "deadline": local_date(row["deadline"]),
        "created": local_date(row["created"]),
        "updated": local_datetime(row["updated"]),
    }
    return ["" if values[key] is None else str(values[key]) for key, _ in COLUMNS]


# -- the cockpit ----------------------------------------------------------------------------------


def state_counts(alliance_id: int) -> list[dict]:
    """Applications per state, in the order of the lifecycle (states with none included)."""
    counts = dict(
        db.session.execute(
            sa.select(Application.state, sa.func.count())
            .where(Application.alliance_id == alliance_id)
            .group_by(Application.state)
        ).all()
    )
    biggest = max(counts.values(), default=0)
    return [
        {
            "state": name,
            "label": STATES_BY_NAME[name].label,
            "final": STATES_BY_NAME[name].final,
            "count": counts.get(name, 0),
            "share": (counts.get(name, 0) / biggest) if biggest else 0,
        }
        for name in STATE_NAMES
    ]


def due_list(
    alliance_id: int,
    within_days: int = deadlines.DUE_SOON_DAYS,
    limit: int = 25,
    now: datetime | None = None,
) -> tuple[list[dict], int]:
    """The overdue and due-soon deadlines, earliest first, and how many applications have one."""
    query = sa.select(Application).where(
        Application.alliance_id == alliance_id, deadlines.due_by_sql(deadlines.due_by(within_days, now))
    )
    total = db.session.scalar(query.with_only_columns(sa.func.count(), maintain_column_froms=True))
    applications = list(
        db.session.scalars(
            query.options(selectinload(Application.applicant))
            .order_by(Application.next_due_on, Application.id)
            .limit(limit)
        )
    )
    due = deadlines.for_applications(applications)
    entries = []
    for a in applications:
        for d in deadlines.running(due[a.id]):
            if d.days_left(now) <= within_days:
                entries.append({**d.as_dict(now), "application": _app_dict(a)})
    entries.sort(key=lambda e: (e["due_on"], e["application"]["reference"]))
    return entries, total


def _app_dict(a, sponsor: str | None = None) -> dict:
    """An application's line on a start page: an Application, or a row of its columns with the
    sponsor's name given."""
    return {
        "id": a.id,
        "reference": a.reference,
        "title": a.title,
        "sponsor": a.applicant.name if sponsor is None else sponsor,
        "state": STATES_BY_NAME[a.state].label,
    }


# -- the partner's start page ---------------------------------------------------------------------


START_LIST_LIMIT = 50  # entries per list on a start page; the heading says how many there are


def open_votes_of(user: User) -> sa.Select:
    """The open votes of the partner's alliance their organisation may vote in (not recused)."""
    return (
        sa.select(Vote)
        .join(Application, Vote.application_id == Application.id)
        .where(
            Vote.alliance_id == user.alliance_id,  # by index (ix_votes_open_by_deadline)
            Vote.closed_at.is_(None),
            Application.state == "partner_vote",
            ~sa.exists().where(Recusal.vote_id == Vote.id, Recusal.organisation_id == user.organisation_id),
        )
    )


def partner_start(user: User, now: datetime | None = None, recent_limit: int = 10) -> dict:
    """Votes awaiting the partner's organisation (with deadlines), votes already cast, and the
    recently closed votes with their outcome and statement. The open lists show the
    START_LIST_LIMIT most urgent votes each and whether there are more (a page that costs the same
    however many votes are open)."""
    cast = sa.exists().where(Ballot.vote_id == Vote.id, Ballot.organisation_id == user.organisation_id)

    def most_urgent(query: sa.Select) -> tuple[list, bool]:
        # Plain columns: the list shows a line per vote, no need to build the objects.
        rows = db.session.execute(
            query.join(Organisation, Application.applicant_organisation_id == Organisation.id)
            .outerjoin(CommitteeSession, Vote.session_id == CommitteeSession.id)
            .with_only_columns(
                Vote.mode,
                Vote.deadline_at,
                Vote.session_date,
                CommitteeSession.starts_at.label("session_starts_at"),
                Application.id,
                Application.reference,
                Application.title,
                Application.state,
                Organisation.name.label("sponsor"),
            )
            .order_by(Vote.deadline_at.asc().nulls_last(), Vote.session_date, Vote.id)
            .limit(START_LIST_LIMIT + 1)
        ).all()
        return rows[:START_LIST_LIMIT], len(rows) > START_LIST_LIMIT

    awaiting, more_awaiting = most_urgent(open_votes_of(user).where(~cast))
    voted, more_voted = most_urgent(open_votes_of(user).where(cast))
    today = calendar.local_date(now or utcnow())

    def entry(row) -> dict:
        # A vote moved to a session has no deadline any more: the session decides.
        deadline_at = row.deadline_at if row.mode == CIRCULATION else None
        days = (calendar.local_date(deadline_at) - today).days if deadline_at else None
        return {
            "application": _app_dict(row, row.sponsor),
            "mode": MODE_LABELS[row.mode],
            "deadline_at": deadline_at,
            "days_left": days,
            "overdue": days is not None and days < 0,
            "session_date": row.session_date,
            "session_starts_at": row.session_starts_at,
            "waiting_for_session": row.mode != CIRCULATION and row.session_starts_at is None,
        }

    closed = list(
        db.session.scalars(
            sa.select(Vote)
            .join(Application, Vote.application_id == Application.id)
            .where(Vote.alliance_id == user.alliance_id, Vote.closed_at.is_not(None))  # by index
            .options(contains_eager(Vote.application).selectinload(Application.applicant))
            .order_by(Vote.closed_at.desc())
            .limit(recent_limit)
        ).unique()
    )
    statements = (
        {
            e.application_id: e
            for e in db.session.scalars(
                sa.select(Event)
                .where(
                    Event.application_id.in_([v.application_id for v in closed]),
                    Event.trigger == "issue_statement",
                )
                .order_by(Event.id)
            )
        }
        if closed
        else {}
    )
    return {
        "awaiting": [entry(v) for v in awaiting],
        "more_awaiting": more_awaiting,
        "voted": [entry(v) for v in voted],
        "more_voted": more_voted,
        "recent": [
            {
                "application": _app_dict(v.application),
                "closed_at": v.closed_at,
                "outcome": v.outcome_label,
                "statement_at": statements[v.application_id].created_at
                if v.application_id in statements
                else None,
            }
            for v in closed
        ],
    }


# -- the sponsor's start page ---------------------------------------------------------------------

NEXT_STEPS = {
    "consultation": "Die Netzwerkkoordination vereinbart mit Ihnen ein Beratungsgespräch.",
    "sketch_draft": "Sie schreiben die Projektskizze und reichen sie ein.",
    "sketch_submitted": "Die Netzwerkkoordination beginnt die Ersteinschätzung Ihrer Skizze.",
    "sketch_assessment": "Die Netzwerkkoordination schätzt Ihre Skizze mit NBank, MS und "
    "Bündnispartnern ein.",
    "long_form_draft": "Sie schreiben die Langfassung und reichen sie ein.",
    "long_form_submitted": "Die Netzwerkkoordination prüft die Langfassung und stellt sie zur Abstimmung.",
    "partner_vote": "Die Bündnispartner stimmen über Ihre Langfassung ab.",
    "statement_pending": "Die Netzwerkkoordination schreibt die Stellungnahme des Bündnisses.",
    "endorsed": "Sie stellen den Antrag bei der NBank und tragen das Aktenzeichen hier ein.",
    "nbank_submitted": "Die NBank entscheidet; tragen Sie den Bescheid hier ein.",
}


def sponsor_start(user: User, now: datetime | None = None) -> list[dict]:
    """Each of the sponsor's applications: what happens next, who acts, by when."""
    applications = list(
        db.session.scalars(
            access.visible_applications(user)
            .options(selectinload(Application.applicant))
            .order_by(Application.updated_at.desc())
            .limit(MAX_PER_PAGE)
        )
    )
    due = deadlines.for_applications(applications)
    revisions = reminders.open_revision_requests(applications)
    result = []
    for a in applications:
        state = STATES_BY_NAME[a.state]
        next_deadline = deadlines.next_running(due[a.id])
        revision = revisions.get(a.id)
        result.append(
            {
                **_app_dict(a),
                "state_name": a.state,
                "final": state.final,
                "next_step": NEXT_STEPS.get(a.state, "Das Verfahren ist abgeschlossen."),
                "next_actor": state.next_actor,
                "deadline": next_deadline.as_dict(now) if next_deadline else None,
                "revision": (
                    {
                        "requested_at": revision.created_at,
                        "what": reminders.requested_changes(revision),
                    }
                    if revision
                    else None
                ),
            }
        )
    return result


def alliance_of(user: User) -> Alliance:
    return db.session.get(Alliance, user.alliance_id)
