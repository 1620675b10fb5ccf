"""When a vote decides and how it stands: the circulation deadline (the rules' length, moved to a
working day), the sessions a vote can go onto, the warning when the statement would be late, and
the vote's status as people see it, whether or not `tick` has run since its deadline."""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa

from workflow.extensions import db
from workflow.formatting import local_date, local_datetime
from workflow.models import Alliance, Application, CommitteeSession, Vote
from workflow.models.types import utcnow
from workflow.rules import deadlines, voting

# What a vote looks like to people, whether or not `tick` has run since its deadline.
STATUS_LABELS = {
    "open": "offen",
    "session": "offen – Abstimmung in der Sitzung",
    "awaiting_session": "Frist abgelaufen ohne Quorum – wartet auf die nächste Sitzung",
    "closed": "geschlossen",
}


def default_circulation_deadline(alliance: Alliance, opened: date | None = None) -> date:
    """The alliance's circulation period (7 days by default) from opening, moved to the next
    working day in Lower Saxony."""
    start = deadlines.end_of_day(opened) if opened else utcnow()
    return deadlines.due_date(start, alliance.procedure.circulation_days)


def circulation_deadline(alliance: Alliance, chosen: date, opened: datetime | None = None) -> dict:
    """What `open_vote` records of a circulation deadline chosen as `chosen`: the day (moved to a
    working day), the rules' length when it is the rules' day, and the day the count ended on when
    that was no working day (the chosen one, or the rules' count that the prefilled day came from)."""
    from workflow.services.deadlines import recorded_deadline

    days = alliance.procedure.circulation_days
    by_rules = deadlines.counted_day(opened or utcnow(), days)
    day = deadlines.next_working_day(chosen)
    if day != chosen:
        return recorded_deadline(chosen)
    if day == deadlines.next_working_day(by_rules):
        return recorded_deadline(by_rules, days)
    return recorded_deadline(day)


def statement_warning(application: Application, vote_day: date | None, what: str) -> str | None:
    """A warning for the coordinator when the statement deadline (`procedure.statement_days` from
    the long form's submission) ends on or before the day the vote decides (`what` names it):
    feedback and statement would be late. Not a refusal: the rules set both lengths."""
    if vote_day is None:
        return None
    statement = _statement_deadline(application)
    if statement is None or statement.due_on > vote_day:
        return None
    return (
        f"Achtung: Die Frist für Rückmeldung und Stellungnahme endet am {local_date(statement.due_on)} "
        f"({statement.days or application.alliance.procedure.statement_days} Kalendertage ab Eingang "
        f"der Langfassung), das Votum steht aber erst {what} fest. Die Stellungnahme kann dann nicht "
        "fristgerecht abgegeben werden: Wählen Sie eine kürzere Frist oder eine frühere Sitzung, oder "
        "stimmen Sie den Termin mit dem Projektträger ab."
    )


def _statement_deadline(application: Application):
    from workflow.services import deadlines as deadline_service

    running = deadline_service.running(deadline_service.for_application(application))
    return next((d for d in running if d.kind is deadline_service.STATEMENT), None)


def vote_day(vote: Vote) -> date | None:
    """The day the vote decides: its circulation deadline, or the day of its session."""
    if vote.mode == voting.CIRCULATION:
        return deadlines.local_date(vote.deadline_at) if vote.deadline_at else None
    return deadlines.local_date(vote.session.starts_at) if vote.session else None


def vote_day_text(vote: Vote) -> str:
    if vote.mode == voting.CIRCULATION:
        return f"mit Ablauf des {local_datetime(vote.deadline_at)}"
    return session_text(vote.session)


def upcoming_sessions(alliance_id: int, after: datetime | None = None) -> list[CommitteeSession]:
    """Sessions of the alliance that have not taken place yet (today's count), soonest first."""
    today = deadlines.local_date(after or utcnow())
    start = datetime.combine(today, time(0, 0), tzinfo=deadlines.BERLIN)
    return list(
        db.session.scalars(
            sa.select(CommitteeSession)
            .where(
                CommitteeSession.alliance_id == alliance_id,
                CommitteeSession.starts_at >= start,
                CommitteeSession.cancelled_at.is_(None),
                # one recorded afterwards has taken place, even if that was this morning
                ~CommitteeSession.entered_afterwards,
            )
            .order_by(CommitteeSession.starts_at)
        )
    )


def session_choices(alliance_id: int, application: Application | None = None) -> list[tuple[int, str]]:
    """(id, label) of the sessions a vote can still be put on; with `application`, a session on
    or after the day its statement deadline ends says so."""
    statement = _statement_deadline(application) if application is not None else None
    choices = []
    for s in upcoming_sessions(alliance_id):
        label = f"{local_datetime(s.starts_at)} – {s.place}"
        if statement is not None and deadlines.local_date(s.starts_at) >= statement.due_on:
            label += f" (nach Ablauf der Frist für die Stellungnahme am {local_date(statement.due_on)})"
        choices.append((s.id, label))
    return choices


def open_vote_notes(
    application: Application,
    mode: str | None = None,
    deadline: date | None = None,
    session_id: int | None = None,
) -> dict:
    """What the coordinator reads beside the open-vote form: the rules' circulation deadline (its
    length, where the count ends, the working day it moves to and why) and a warning when the
    chosen deadline or session is not before the statement deadline (`deadline`/`session_id`:
    what was chosen; by default the rules' deadline)."""
    days = application.alliance.procedure.circulation_days
    counted = deadlines.counted_day(utcnow(), days)
    due = deadlines.next_working_day(counted)
    warning = None
    if mode == voting.SESSION:
        session = db.session.get(CommitteeSession, session_id) if session_id else None
        if session is not None and session.alliance_id == application.alliance_id:
            warning = statement_warning(
                application, deadlines.local_date(session.starts_at), session_text(session)
            )
    else:
        chosen = deadlines.next_working_day(deadline) if deadline else due
        warning = statement_warning(
            application, chosen, f"mit Ablauf des {local_date(chosen)} (Ende des Umlaufverfahrens)"
        )
    return {
        "days": days,
        "counted": counted,
        "due": due,
        "explanation": deadlines.shift_note(counted, due),
        "warning": warning,
    }


def session_text(session: CommitteeSession | None) -> str:
    if session is None:
        return "in der nächsten Sitzung (noch nicht terminiert)"
    which = "nachgetragenen Sitzung" if session.entered_afterwards else "Sitzung"
    return f"in der {which} am {local_datetime(session.starts_at)} ({session.place})"


def deadline_passed(vote: Vote, now: datetime | None = None) -> bool:
    """A circulation's deadline is over (a session vote has no deadline of its own)."""
    return (
        vote.mode == voting.CIRCULATION
        and vote.deadline_at is not None
        and (now or utcnow()) > vote.deadline_at
    )


def status(vote: Vote) -> str:
    """open | session | awaiting_session | closed — as it is, even before `tick` ran after a
    deadline: a circulation past its deadline is closed when it has quorum (its tally can no longer
    change), else it waits for the next session."""
    if not vote.is_open:
        return "closed"
    if vote.mode == voting.SESSION:
        return "session"
    if deadline_passed(vote):
        return "closed" if vote.tally().quorum_reached else "awaiting_session"
    return "open"
