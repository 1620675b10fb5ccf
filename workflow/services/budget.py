"""The alliance's virtual budget per funding period, computed from the record (models/budget.py,
rules/budget.py), as plain data for the budget page; the periods themselves (name, dates,
budget), set by the coordination on their page or by `flask funding-period`, each change an
event of the alliance."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext
from flask_babel import lazy_gettext as _l

from workflow.extensions import db
from workflow.formatting import local_date, money
from workflow.lifecycle import STATES_BY_NAME
from workflow.models import Alliance, Event, FundingPeriod, User
from workflow.models.event import log_event
from workflow.rules import deadlines
from workflow.services import access
from workflow.services.errors import NotAllowed, NotFound, RuleViolation
from workflow.services.lifecycle import lock_alliance

FUNDING_PERIOD_CREATED, FUNDING_PERIOD_CHANGED = "funding_period_created", "funding_period_changed"
NAME_MAX = 100  # the column's length
MAX_BUDGET_CENTS = 10**13  # 100 billion euros: anything larger is a typo
PERIOD_FIELDS = ("name", "starts_on", "ends_on", "budget_cents")

STATUS_LABELS = {
    "committed": "Gebunden (positive Stellungnahme, noch kein Bescheid)",
    "granted": "Bewilligt",
    "released": "Freigegeben (abgelehnt oder zurückgezogen)",
}


def periods(user: User) -> list[FundingPeriod]:
    return list(
        db.session.scalars(
            sa.select(FundingPeriod)
            .where(FundingPeriod.alliance_id == user.alliance_id)
            .order_by(FundingPeriod.starts_on.desc())
        )
    )


def overview(user: User, period_id: int | None = None) -> dict | None:
    """The budget page of a period (default: the current one, else the latest)."""
    if not access.may(user, "see_budget"):
        raise NotAllowed(_l("Das Budget sehen die Netzwerkkoordination und die Bündnispartner."))
    available = periods(user)
    if not available:
        return None
    period = next((p for p in available if p.id == period_id), None)
    if period is None:
        period = FundingPeriod.current(user.alliance_id) or available[0]
    figures = period.figures()
    used_share = figures.share(figures.used)

    def rows(status: str) -> list[dict]:
        return [
            {
                "application_id": e.application_id,
                "reference": e.reference,
                "title": e.title,
                "applicant": e.applicant,
                "state": STATES_BY_NAME[e.state].label,
                "requested": money(e.requested_cents),
                "granted": money(e.granted_cents) if e.granted_cents is not None else "—",
                "counted": money(e.counted_cents),
                "endorsed_on": local_date(e.endorsed_on),
            }
            for e in figures.by_status(status)
        ]

    return {
        "period": {
            "id": period.id,
            "name": period.name,
            "starts_on": local_date(period.starts_on),
            "ends_on": local_date(period.ends_on),
        },
        "periods": [{"id": p.id, "name": p.name} for p in available],
        "total": money(figures.total),
        "committed": money(figures.committed),
        "granted": money(figures.granted),
        "remaining": money(figures.remaining),
        "exceeded": figures.exceeded,
        "bar": {
            # Percentages of the total for the server-side SVG bar (attributes, no inline styles).
            "granted": round(figures.share(figures.granted), 2),
            "committed": round(
                min(figures.share(figures.committed), 100 - figures.share(figures.granted)), 2
            ),
            "granted_x": 0,
            "committed_x": round(figures.share(figures.granted), 2),
            "used_percent": round(used_share, 1),
        },
        "groups": [
            {"status": status, "label": STATUS_LABELS[status], "rows": rows(status)}
            for status in ("committed", "granted", "released")
        ],
    }


# -- the funding periods themselves ---------------------------------------------------------------


def alliance_periods(alliance: Alliance) -> list[FundingPeriod]:
    return list(
        db.session.scalars(
            sa.select(FundingPeriod)
            .where(FundingPeriod.alliance_id == alliance.id)
            .order_by(FundingPeriod.starts_on.desc())
        )
    )


def period_of(alliance: Alliance, period_id: int) -> FundingPeriod:
    period = db.session.get(FundingPeriod, period_id)
    if period is None or period.alliance_id != alliance.id:
        raise NotFound(_l("Diesen Förderzeitraum gibt es nicht."))
    return period


def period_named(alliance: Alliance, name: str) -> FundingPeriod | None:
    return db.session.scalar(
        sa.select(FundingPeriod).where(
            FundingPeriod.alliance_id == alliance.id, FundingPeriod.name == (name or "").strip()
        )
    )


def _refuse_clash(
    alliance: Alliance, period: FundingPeriod | None, name: str, starts_on: date, ends_on: date
) -> None:
    others = [p for p in alliance_periods(alliance) if period is None or p.id != period.id]
    for other in others:
        if other.name == name:
            raise RuleViolation(
                _l("Es gibt bereits einen Förderzeitraum „%(name)s“.", name=name), field="name"
            )
    for other in others:
        if other.starts_on <= ends_on and starts_on <= other.ends_on:
            raise RuleViolation(
                _l(
                    "Der Zeitraum überschneidet sich mit „%(name)s“ (%(start)s bis %(end)s); eine "
                    "positive Stellungnahme zählte sonst in beiden.",
                    name=other.name,
                    start=local_date(other.starts_on),
                    end=local_date(other.ends_on),
                ),
                field="starts_on",
            )


def save_period(
    alliance: Alliance,
    actor: User | None,
    name: str,
    starts_on: date | None,
    ends_on: date | None,
    budget_cents: int | None,
    period_id: int | None = None,
) -> tuple[FundingPeriod, dict]:
    """Create a funding period of the alliance (period_id None) or change one: its name, first
    and last day and budget. Refused with a German message naming the field: no name or a name
    already taken, the end before the start, a budget below 0 or absurdly large, or days that
    overlap another period (a positive statement would count in both). Returns the period and
    what changed ({field: {old, new}}), recorded as an event of the alliance. `actor` None: the
    command line."""
    if actor is not None and (not access.may(actor, "coordinate") or actor.alliance_id != alliance.id):
        raise NotAllowed(_l("Förderzeiträume legt die Netzwerkkoordination des Bündnisses fest."))
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise RuleViolation(
            _l(
                "Bitte geben Sie die Bezeichnung des Förderzeitraums an (höchstens %(limit)s Zeichen).",
                limit=NAME_MAX,
            ),
            field="name",
        )
    if starts_on is None:
        raise RuleViolation(_l("Bitte geben Sie den ersten Tag des Förderzeitraums an."), field="starts_on")
    if ends_on is None:
        raise RuleViolation(_l("Bitte geben Sie den letzten Tag des Förderzeitraums an."), field="ends_on")
    for field, day in (("starts_on", starts_on), ("ends_on", ends_on)):
        if not deadlines.day_in_range(day):
            raise RuleViolation(lazy_gettext(deadlines.DAY_OUT_OF_RANGE), field=field)
    if ends_on < starts_on:
        raise RuleViolation(_l("Das Ende des Förderzeitraums liegt vor seinem Beginn."), field="ends_on")
    if budget_cents is None or not 0 <= budget_cents < MAX_BUDGET_CENTS:
        raise RuleViolation(
            _l("Bitte geben Sie das Budget in Euro an, z. B. 2.340.000,00 (nicht negativ)."),
            field="budget_cents",
        )
    # Two saves at once would both pass the checks below: one at a time per alliance, each reading
    # the periods as committed once it has the lock.
    lock_alliance(alliance.id)
    for known in [o for o in db.session.identity_map.values() if isinstance(o, FundingPeriod)]:
        db.session.expire(known)
    try:
        period = period_of(alliance, period_id) if period_id is not None else None
        _refuse_clash(alliance, period, name, starts_on, ends_on)
    except (RuleViolation, NotFound):
        db.session.rollback()
        raise
    wanted = {"name": name, "starts_on": starts_on, "ends_on": ends_on, "budget_cents": budget_cents}
    if period is None:
        period = FundingPeriod(alliance_id=alliance.id, **wanted)
        db.session.add(period)
        db.session.flush()
        changed = {key: {"old": None, "new": value} for key, value in wanted.items()}
        kind = FUNDING_PERIOD_CREATED
    else:
        changed = {
            key: {"old": getattr(period, key), "new": value}
            for key, value in wanted.items()
            if getattr(period, key) != value
        }
        for key, value in wanted.items():
            setattr(period, key, value)
        kind = FUNDING_PERIOD_CHANGED
    if changed:
        log_event(None, actor, kind, alliance_id=alliance.id, period_id=period.id, name=name, changed=changed)
    db.session.commit()
    return period, changed


def period_history(alliance: Alliance, limit: int = 50) -> list[Event]:
    """The changes of the alliance's funding periods, the latest first."""
    return list(
        db.session.scalars(
            sa.select(Event)
            .where(
                Event.alliance_id == alliance.id,
                Event.application_id.is_(None),
                Event.kind.in_((FUNDING_PERIOD_CREATED, FUNDING_PERIOD_CHANGED)),
            )
            .order_by(Event.id.desc())
            .limit(limit)
        )
    )
