"""When a vote decides and how it stands: the circulation deadline (the rules' length, moved to a
working day), the sessions a vote can go onto, the warning when the statement would be late, and
the vote's status as people see it, whether or not `tick` has run since its deadline."""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l

from workflow.extensions import db
from workflow.formatting import in_record_language, lazy_datetime, local_date, page_datetime
from workflow.lifecycle import N_
from workflow.models import Alliance, Application, CommitteeSession, Vote
from workflow.models.types import utcnow
from workflow.rules import deadlines, voting

# What a vote looks like to people, whether or not `tick` has run since its deadline.
STATUS_LABELS = {
    "open": N_("offen"),
    "session": N_("offen – Abstimmung in der Sitzung"),
    "awaiting_session": N_("Frist abgelaufen ohne Quorum – wartet auf die nächste Sitzung"),
    "closed": N_("geschlossen"),
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
    feedback and statement would be late. Not a refusal: the rules set both lengths. In the
    reading request's language."""
    if vote_day is None:
        return None
    statement = _statement_deadline(application)
    if statement is None or statement.due_on > vote_day:
        return None
    return gettext(
        "Achtung: Die Frist für Rückmeldung und Stellungnahme endet am %(day)s (%(days)s Kalendertage "
        "ab Eingang der Langfassung), das Votum steht aber erst %(when)s fest. Die Stellungnahme kann "
        "dann nicht fristgerecht abgegeben werden: Wählen Sie eine kürzere Frist oder eine frühere "
        "Sitzung, oder stimmen Sie den Termin mit dem Projektträger ab.",
        day=local_date(statement.due_on),
        days=statement.days or application.alliance.procedure.statement_days,
        when=what,
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


def vote_day_text(vote: Vote) -> LazyString:
    """When the vote decides, as the statement warning names it."""
    if vote.mode == voting.CIRCULATION:
        return _l("mit Ablauf des %(deadline)s", deadline=lazy_datetime(vote.deadline_at))
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
    or after the day its statement deadline ends says so (in the reading request's language)."""
    statement = _statement_deadline(application) if application is not None else None
    choices = []
    for s in upcoming_sessions(alliance_id):
        values = {"when": page_datetime(s.starts_at), "place": s.place}
        if statement is not None and deadlines.local_date(s.starts_at) >= statement.due_on:
            label = gettext(
                "%(when)s – %(place)s (nach Ablauf der Frist für die Stellungnahme am %(day)s)",
                day=local_date(statement.due_on),
                **values,
            )
        else:
            label = f"{values['when']} – {values['place']}"
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
    from workflow.services.deadlines import shift_note

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
            application,
            chosen,
            _l("mit Ablauf des %(day)s (Ende des Umlaufverfahrens)", day=local_date(chosen)),
        )
    return {
        "days": days,
        "counted": counted,
        "due": due,
        "explanation": shift_note(counted, due),
        "warning": warning,
    }


def session_text(session: CommitteeSession | None) -> LazyString:
    """'in der Sitzung am 04.12.2026, 10:00 Uhr (IHK)': where a vote is decided, as the sentences
    of pages and mails name it (a named value of theirs), written out in the reader's language."""
    if session is None:
        return _l("in der nächsten Sitzung (noch nicht terminiert)")
    values = {"when": lazy_datetime(session.starts_at), "place": session.place}
    if session.entered_afterwards:
        return _l("in der nachgetragenen Sitzung am %(when)s (%(place)s)", **values)
    return _l("in der Sitzung am %(when)s (%(place)s)", **values)


def session_record(session: CommitteeSession | None) -> str:
    """session_text as the event log keeps it: German, whatever the acting person reads."""
    with in_record_language():
        return str(session_text(session))


def mode_text(vote: Vote) -> LazyString:
    """The vote's procedure as Vote.mode_label names it (the German of PDFs and the API), in the
    reader's language."""
    if vote.mode == voting.SESSION:
        return _l("Sitzung des Gremiums „%(committee)s“", committee=vote.application.alliance.committee_name)
    return _l("Umlaufverfahren")


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
