"""The partners' vote: opening it (by circulation or onto a session's agenda), casting ballots,
declaring conflicts, objecting to a circulation, recording a session's ballots, closing with a frozen
tally, and the `tick` jobs that close due circulations and send reminders.

Every change here takes the application's lock first (`lifecycle.lock`), so casting, objecting and
closing are serialised per application and can never interleave. What moves a vote onto a session
takes the alliance's agenda before it (`lifecycle.lock_agenda`; the lock order is in lifecycle.py).
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from workflow import formatting
from workflow.extensions import db
from workflow.formatting import local_date, local_datetime
from workflow.lifecycle import PARTNER
from workflow.models import (
    Alliance,
    Application,
    Ballot,
    CommitteeSession,
    Event,
    Objection,
    Organisation,
    Recusal,
    SessionAttendance,
    User,
    Vote,
)
from workflow.models.event import BALLOT_CAST, RECUSAL
from workflow.models.types import utcnow
from workflow.models.vote import OUTCOME_LABELS
from workflow.rules import deadlines, voting
from workflow.services import jobs, notifications, vote_mails
from workflow.services.errors import DomainError, InvalidTransition, NotAllowed, RuleViolation
from workflow.services.lifecycle import commit_as_written, effect, fire, jsonable, lock, lock_agenda

OBJECTION, MOVED_TO_SESSION, SESSION_RECORD = "objection", "moved_to_session", "session_record"
VOTE_ASKS = ("vote_opened", "vote_reminder")  # what asks a partner to vote: done once it has
REASON_LABELS = {
    "objection": "Widerspruch gegen das Umlaufverfahren",
    "no_quorum": "Quorum bis zum Ende der Frist nicht erreicht",
    # a session's change that moves the items on its agenda (services/sessions.py)
    "session_moved": "Sitzung verlegt",
    "session_cancelled": "Sitzung abgesagt",
    "entered_session": "In einer nachgetragenen Sitzung beraten",
}
# What a vote looks like to people, whether or not `tick` has run since its deadline.
STATUS_LABELS = {
    "open": "offen",
    "session": "offen – Abstimmung in der Sitzung",
    "awaiting_session": "Frist abgelaufen ohne Quorum – wartet auf die nächste Sitzung",
    "closed": "geschlossen",
}


def _refuse(error: DomainError):
    db.session.rollback()
    raise error


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


def project_partner_ids(application: Application) -> list[int]:
    """The alliance partners named as project partners, who do not vote (with the sponsor's own
    organisation): the long form's once it exists (the sponsor may have added or dropped partners
    since the sketch; the sketch stays as submitted), the sketch's until then."""
    if application.long_form is not None:
        return list(application.long_form.project_partner_ids)
    return [
        p.organisation_id
        for p in application.project_partners
        if p.organisation is not None and p.organisation.kind == "partner"
    ]


@effect("open_vote")
def _open(application: Application, actor: User | None, data: dict) -> dict:
    vote = Vote(
        application=application,
        alliance_id=application.alliance_id,
        mode=data["mode"],
        opened_at=utcnow(),
        rules=application.alliance.procedure.as_dict(),
    )
    db.session.add(vote)
    recorded = {}
    if vote.mode == voting.CIRCULATION:
        # Whatever day was chosen, a deadline never ends on a weekend or a holiday; the event
        # keeps the day the count ended on when that was moved (for the explanation).
        recorded = circulation_deadline(application.alliance, data["deadline"])
        vote.deadline_at = deadlines.end_of_day(recorded["deadline"])
    else:
        session = db.session.get(CommitteeSession, data["session_id"])
        vote.session_id = session.id
        vote.session_date = deadlines.local_date(session.starts_at)
        recorded["session"] = session_text(session)
    db.session.add(vote)
    db.session.flush()
    conflicted = {}
    own = db.session.get(Organisation, application.applicant_organisation_id)
    if own is not None and own.kind == "partner":
        conflicted[own.id] = "Antragstellende Organisation"
    for org_id in project_partner_ids(application):
        conflicted.setdefault(org_id, "Projektpartner in diesem Antrag")
    for org_id, reason in conflicted.items():
        db.session.add(Recusal(vote_id=vote.id, organisation_id=org_id, reason=reason))
    # Recorded with the opening, so that verify-log can hold the recusals to the log.
    recorded["recused"] = [{"organisation_id": o, "reason": r} for o, r in conflicted.items()]
    db.session.flush()
    db.session.refresh(vote)
    when = (
        f"bis {local_datetime(vote.deadline_at)}"
        if vote.mode == voting.CIRCULATION
        else session_text(vote.session)
    )
    note = (
        deadlines.shift_note(recorded["deadline_counted"], recorded["deadline"])
        if recorded.get("deadline_counted")
        else None
    )
    vote_mails.opened(application, vote, when, note)
    return recorded


@effect("close_vote")
def _close(application: Application, actor: User | None, data: dict) -> dict:
    vote = application.current_vote
    tally = vote.tally()
    vote.frozen_tally = {
        "approve": tally.approve,
        "reject": tally.reject,
        "abstain": tally.abstain,
        "eligible": tally.eligible,
        "quorum_percent": tally.quorum_percent,
    }
    vote.outcome = outcome_of(tally)
    vote.closed_at = utcnow()
    with formatting.in_record_language():
        counted = formatting.tally_summary(tally.as_dict())
    notifications.notify(
        notifications.coordinators(application.alliance_id),
        f"Votum geschlossen: {application.reference} – {vote.outcome_label}",
        f"Die Abstimmung über „{application.title}“ ist geschlossen ({vote.outcome_label}): "
        f"{counted}. Die Stellungnahme ist vorzubereiten.",
        application,
        kind="vote_closed",
        needs_action=True,
        awaits_state="statement_pending",
    )
    return {"tally": tally.as_dict(), "outcome": vote.outcome}


def outcome_of(tally: voting.Tally) -> str:
    """The outcome a tally freezes into when the vote closes (quorum and majority: rules/voting)."""
    return "approved" if tally.approved else "not_approved"


def closing_preview(application: Application) -> dict | None:
    """What closing the open vote now would freeze, for the coordinator to read before confirming:
    the running tally (eligible, cast, each choice, quorum), the outcome it gives, and whether the
    vote may be closed at all (a circulation needs quorum)."""
    vote = application.current_vote
    if vote is None or not vote.is_open:
        return None
    tally = vote.tally()
    outcome = outcome_of(tally)
    return {
        "mode": vote.mode,
        "mode_label": vote.mode_label,
        "tally": tally.as_dict(),
        "not_cast": tally.eligible - tally.cast,
        "outcome": outcome,
        "outcome_label": OUTCOME_LABELS[outcome],
        "closable": vote.closable(),
    }


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


def _may_cast(application: Application, user: User, vote: Vote | None) -> None:
    """Raises unless `user` may cast (or change) their organisation's ballot now."""
    if application.state != "partner_vote" or vote is None or not vote.is_open:
        _refuse(InvalidTransition("Zu diesem Antrag läuft keine Abstimmung."))
    if user.role != PARTNER or user.alliance_id != application.alliance_id:
        _refuse(NotAllowed("Nur Vertreterinnen und Vertreter der Bündnispartner stimmen ab."))
    if user.organisation_id in vote.recused_ids:
        _refuse(NotAllowed("Ihre Organisation ist bei diesem Antrag befangen und stimmt nicht ab."))
    if deadline_passed(vote):
        _refuse(InvalidTransition("Die Frist der Abstimmung ist abgelaufen."))
    if vote.mode == voting.SESSION:
        _refuse(
            InvalidTransition(
                f"Über diesen Antrag wird in der Sitzung ({application.alliance.committee_name}) "
                "abgestimmt; die Netzwerkkoordination erfasst dort das Votum Ihrer Organisation."
            )
        )


def _validate_ballot(choice: str, comment: str | None, ratings: dict) -> str | None:
    if choice not in voting.CHOICES:
        _refuse(RuleViolation("Bitte wählen Sie Zustimmung, Ablehnung oder Enthaltung.", field="choice"))
    comment = (comment or "").strip() or None
    if choice == voting.REJECT and not comment:
        _refuse(RuleViolation("Eine Ablehnung muss begründet werden.", field="comment"))
    for name, value in ratings.items():
        if name not in voting.CRITERIA or (
            value is not None
            and (not isinstance(value, int) or not voting.RATING_MIN <= value <= voting.RATING_MAX)
        ):
            _refuse(RuleViolation("Bewertungen reichen von 1 bis 5.", field=name))
    return comment


def _same_as_cast(
    vote: Vote | None, user: User, choice: str, comment: str | None, ratings: dict
) -> Ballot | None:
    """The organisation's ballot if this person cast exactly this one already: the request is a
    client's (or the proxy's) retry of one whose answer was lost with a node, and changes nothing
    (no second cast in the log, and not refused because that very ballot closed the vote)."""
    ballot = vote.ballot_of(user.organisation_id) if vote is not None else None
    if ballot is None or ballot.cast_by_id != user.id or ballot.choice != choice:
        return None
    if (ballot.comment or None) != ((comment or "").strip() or None):
        return None
    if any(getattr(ballot, name) != ratings.get(name) for name in voting.CRITERIA):
        return None
    return ballot


def _put_ballot(
    application: Application,
    vote: Vote,
    organisation_id: int,
    actor: User,
    choice: str,
    comment: str | None,
    ratings: dict,
    extra: dict | None = None,
) -> Ballot:
    """Create or change the organisation's one ballot and log the cast (inside the lock)."""
    ballot = vote.ballot_of(organisation_id)
    if ballot is None:
        ballot = Ballot(vote=vote, organisation_id=organisation_id)
        db.session.add(ballot)
    ballot.choice = choice
    ballot.comment = comment
    for name in voting.CRITERIA:
        setattr(ballot, name, ratings.get(name))
    ballot.cast_by_id = actor.id
    ballot.cast_at = utcnow()
    db.session.add(
        Event(
            alliance_id=application.alliance_id,
            application_id=application.id,
            actor_id=actor.id,
            kind=BALLOT_CAST,
            created_at=ballot.cast_at,  # the same moment, as verify-log expects
            data=jsonable(
                {
                    "vote_id": vote.id,
                    "organisation_id": organisation_id,
                    "choice": choice,
                    "comment": comment,
                    **{k: ratings.get(k) for k in voting.CRITERIA},
                    **(extra or {}),
                }
            ),
        )
    )
    return ballot


def _tell_coordination_of_quorum(application: Application, vote: Vote) -> voting.Tally:
    """Once per vote, in the transaction of the ballot that reached it; returns the tally."""
    db.session.flush()
    tally = vote.tally()  # vote.ballots holds the new ballot: _put_ballot added it to the collection
    key = f"vote-quorum:{vote.id}"
    # Every ballot after the quorum asks; reading first spares them a refused insert.
    if tally.quorum_reached and not jobs.claimed(key) and jobs.claim(key):
        notifications.notify(
            notifications.coordinators(application.alliance_id),
            f"Quorum erreicht: {application.reference}",
            f"Bei der Abstimmung über „{application.title}“ haben {tally.cast} von {tally.eligible} "
            f"Stimmberechtigten abgestimmt; das Quorum ({tally.quorum}) ist erreicht.",
            application,
            kind="quorum_reached",
        )
    return tally


def _close_if_everyone_voted(application: Application) -> None:
    vote = application.current_vote
    if vote is not None and vote.is_open and vote.tally().everyone_voted:
        # Someone may have closed it in the meantime: the ballot was counted before that.
        with contextlib.suppress(InvalidTransition, RuleViolation):
            fire(application, "close_vote", None)


def cast_ballot(
    application: Application,
    user: User,
    choice: str,
    comment: str | None = None,
    organisation_id: int | None = None,
    **ratings,
) -> Ballot:
    """Cast or change the ballot of `user`'s organisation; the last one before the deadline counts.

    When every eligible partner has voted, the vote closes by itself.
    """
    lock(application)
    vote = application.current_vote
    if (same := _same_as_cast(vote, user, choice, comment, ratings)) is not None:
        commit_as_written()  # nothing to record; the lock goes
        return same
    _may_cast(application, user, vote)
    if organisation_id is not None and organisation_id != user.organisation_id:
        _refuse(NotAllowed("Sie können nur das Votum Ihrer eigenen Organisation abgeben."))
    comment = _validate_ballot(choice, comment, ratings)
    ballot = _put_ballot(application, vote, user.organisation_id, user, choice, comment, ratings)
    notifications.resolve(application, VOTE_ASKS, user.organisation_id)
    tally = _tell_coordination_of_quorum(application, vote)
    commit_as_written()
    # Ballots are cast under the application's lock, one after the other: the one that completes
    # the vote sees every other ballot in its tally, so only that one needs to close it.
    if tally.everyone_voted:
        _close_if_everyone_voted(application)
    return ballot


def declare_conflict(application: Application, user: User, reason: str) -> Recusal:
    """A partner declares a conflict of interest: its organisation is recused from this vote."""
    lock(application)
    vote = application.current_vote
    if vote is None or not vote.is_open:
        _refuse(InvalidTransition("Zu diesem Antrag läuft keine Abstimmung."))
    if user.role != PARTNER or user.alliance_id != application.alliance_id:
        _refuse(NotAllowed("Nur Bündnispartner können eine Befangenheit erklären."))
    if deadline_passed(vote):
        _refuse(InvalidTransition("Die Frist der Abstimmung ist abgelaufen."))
    reason = (reason or "").strip()
    if not reason:
        _refuse(RuleViolation("Bitte nennen Sie den Grund der Befangenheit.", field="reason"))
    if user.organisation_id in vote.recused_ids:
        _refuse(InvalidTransition("Ihre Organisation ist bereits als befangen erfasst."))
    recusal = Recusal(
        vote_id=vote.id, organisation_id=user.organisation_id, reason=reason, declared_by_id=user.id
    )
    # A ballot cast before the conflict was declared no longer counts (it is kept in the log).
    ballot = vote.ballot_of(user.organisation_id)
    if ballot is not None:
        db.session.delete(ballot)
    db.session.add(recusal)
    notifications.resolve(application, VOTE_ASKS, user.organisation_id)  # it no longer votes
    db.session.add(
        Event(
            alliance_id=application.alliance_id,
            application_id=application.id,
            actor_id=user.id,
            kind=RECUSAL,
            data={"vote_id": vote.id, "organisation_id": user.organisation_id, "reason": reason},
        )
    )
    db.session.commit()
    # The recused partner may have been the last one missing.
    _close_if_everyone_voted(application)
    return recusal


# -- circulation → session ----------------------------------------------------------------------


def move_to_session(
    application: Application, vote: Vote, reason: str, actor: User | None, details: str = ""
) -> None:
    """The circulation becomes an item on the agenda of the next session (state stays
    `partner_vote`). Runs inside the caller's locks (the agenda, then the application) and
    transaction."""
    upcoming = upcoming_sessions(application.alliance_id)
    session = upcoming[0] if upcoming else None
    ended_deadline = vote.deadline_at
    vote.mode = voting.SESSION
    vote.deadline_at = None  # the circulation's deadline ended (kept in the open_vote event)
    vote.session_id = session.id if session else None
    vote.session_date = deadlines.local_date(session.starts_at) if session else None
    db.session.add(
        Event(
            alliance_id=application.alliance_id,
            application_id=application.id,
            actor_id=actor.id if actor else None,
            kind=MOVED_TO_SESSION,
            data=jsonable({"vote_id": vote.id, "reason": reason, "session": session_text(session)}),
        )
    )
    body = (
        f"Über „{application.title}“ ({application.reference}) wird nicht im Umlaufverfahren, sondern "
        f"{session_text(session)} abgestimmt. Grund: {REASON_LABELS[reason]}.{details} "
        "Bereits abgegebene Voten bleiben erhalten und können in der Sitzung geändert werden."
    )
    # Partners no longer vote in writing; the coordination puts it on an agenda (and plans the
    # session, if none is planned).
    notifications.resolve(application, VOTE_ASKS)
    vote_mails.moved(
        application,
        vote,
        session,
        ended_deadline,
        body,
        coordinators=notifications.coordinators(application.alliance_id),
        partners=notifications.representatives(o.id for o in vote.eligible_organisations()),
        sponsors=notifications.sponsors(application),
    )


def object_to_circulation(application: Application, user: User, reason: str) -> Objection:
    """An eligible partner objects to the circulation before its deadline: the vote becomes an item
    on the agenda of the next session."""
    lock_agenda(application.alliance_id)
    lock(application)
    vote = application.current_vote
    if application.state != "partner_vote" or vote is None or not vote.is_open:
        _refuse(InvalidTransition("Zu diesem Antrag läuft keine Abstimmung."))
    if user.role != PARTNER or user.alliance_id != application.alliance_id:
        _refuse(NotAllowed("Nur Bündnispartner können dem Umlaufverfahren widersprechen."))
    if user.organisation_id in vote.recused_ids:
        _refuse(NotAllowed("Ihre Organisation ist bei diesem Antrag befangen."))
    if vote.mode != voting.CIRCULATION:
        _refuse(InvalidTransition("Über diesen Antrag wird bereits in der Sitzung abgestimmt."))
    if deadline_passed(vote):
        _refuse(InvalidTransition("Die Frist des Umlaufverfahrens ist abgelaufen."))
    reason = (reason or "").strip()
    if not reason:
        _refuse(RuleViolation("Bitte begründen Sie Ihren Widerspruch.", field="reason"))
    objection = Objection(
        vote_id=vote.id, organisation_id=user.organisation_id, reason=reason, declared_by_id=user.id
    )
    db.session.add(objection)
    db.session.add(
        Event(
            alliance_id=application.alliance_id,
            application_id=application.id,
            actor_id=user.id,
            kind=OBJECTION,
            data={"vote_id": vote.id, "organisation_id": user.organisation_id, "reason": reason},
        )
    )
    move_to_session(
        application,
        vote,
        "objection",
        user,
        details=f" Widersprochen hat {user.organisation.name}: „{reason}“.",
    )
    db.session.commit()
    return objection


def attach_waiting_votes(session: CommitteeSession) -> int:
    """Votes waiting for the next session go onto this one's agenda (inside the caller's
    transaction, which holds the alliance's agenda: each application is locked in id order and
    looked at again)."""
    ids = db.session.scalars(
        sa.select(Vote.application_id)
        .join(Application, Vote.application_id == Application.id)
        .where(
            Vote.mode == voting.SESSION,
            Vote.session_id.is_(None),
            Vote.closed_at.is_(None),
            Application.alliance_id == session.alliance_id,
            Application.state == "partner_vote",
        )
        .order_by(Vote.application_id)
    ).all()
    attached = 0
    for application_id in ids:
        application = db.session.get(Application, application_id)
        lock(application)
        vote = application.current_vote
        still_waiting = vote is not None and vote.is_open and vote.mode == voting.SESSION
        if application.state == "partner_vote" and still_waiting and vote.session_id is None:
            vote.session_id = session.id
            vote.session_date = deadlines.local_date(session.starts_at)
            attached += 1
    return attached


# -- the session --------------------------------------------------------------------------------


def record_session_item(
    application: Application,
    coordinator: User,
    session: CommitteeSession,
    entries: list[dict],
    close: bool = False,
) -> None:
    """The coordination records, for one agenda item, each partner present with its ballot, or
    marks it absent. An absent partner keeps a ballot it cast earlier in writing.

    entries: [{"organisation_id", "present": bool, "choice" (or None), "comment", ratings...}]
    """
    lock(application)
    vote = application.current_vote
    if not coordinator.is_coordinator or coordinator.alliance_id != application.alliance_id:
        _refuse(NotAllowed("Nur die Netzwerkkoordination erfasst das Ergebnis einer Sitzung."))
    if application.state != "partner_vote" or vote is None or not vote.is_open:
        _refuse(InvalidTransition("Zu diesem Antrag läuft keine Abstimmung."))
    if vote.mode != voting.SESSION or vote.session_id != session.id:
        _refuse(InvalidTransition("Dieser Antrag steht nicht auf der Tagesordnung dieser Sitzung."))
    if deadlines.is_future_day(deadlines.local_date(session.starts_at), utcnow()):
        _refuse(RuleViolation("Die Sitzung hat noch nicht stattgefunden."))
    eligible = {o.id for o in vote.eligible_organisations()}
    for entry in entries:
        org_id = entry["organisation_id"]
        if org_id not in eligible:
            _refuse(RuleViolation("Diese Organisation ist bei diesem Antrag nicht stimmberechtigt."))
        attendance = db.session.scalar(
            sa.select(SessionAttendance).where(
                SessionAttendance.session_id == session.id, SessionAttendance.organisation_id == org_id
            )
        )
        if attendance is None:
            attendance = SessionAttendance(session_id=session.id, organisation_id=org_id, present=False)
            db.session.add(attendance)
        attendance.present = bool(entry.get("present"))
        if not entry.get("present"):
            continue
        if entry.get("choice"):
            ratings = {k: entry.get(k) for k in voting.CRITERIA if entry.get(k) is not None}
            comment = _validate_ballot(entry["choice"], entry.get("comment"), ratings)
            _put_ballot(
                application,
                vote,
                org_id,
                coordinator,
                entry["choice"],
                comment,
                ratings,
                extra={"session_id": session.id},
            )
            notifications.resolve(application, VOTE_ASKS, org_id)
    db.session.add(
        Event(
            alliance_id=application.alliance_id,
            application_id=application.id,
            actor_id=coordinator.id,
            kind=SESSION_RECORD,
            data=jsonable(
                {
                    "vote_id": vote.id,
                    "session_id": session.id,
                    "session": session_text(session),
                    "present": sorted(e["organisation_id"] for e in entries if e.get("present")),
                    "absent": sorted(e["organisation_id"] for e in entries if not e.get("present")),
                }
            ),
        )
    )
    _tell_coordination_of_quorum(application, vote)
    if close:
        # Recorded and closed in one transaction: the tally frozen is the one just recorded, and a
        # refused close keeps nothing of the record either.
        fire(application, "close_vote", coordinator)
    else:
        db.session.commit()


# -- what people see ----------------------------------------------------------------------------


def can_see_choices(user: User, vote: Vote) -> bool:
    """How each organisation voted (choice, comment, ratings). Secrecy while open: partners see who
    has voted, not how, until the vote is closed (a circulation past its deadline with quorum counts
    as closed, as the pages show it, before `tick` records it); the coordinator sees everything.
    Sponsors and observers read the outcome, the counts and the statement, which attributes or
    anonymises the comments as the alliance decided, never the ballots themselves."""
    if user.is_coordinator:
        return True
    if user.role != PARTNER:
        return False
    return status(vote) == "closed" or not vote.procedure.secret_while_open


def can_see_tally(user: User, vote: Vote) -> bool:
    """The counts (approve / reject / abstain): for everyone who sees the vote once it is closed."""
    return status(vote) == "closed" or can_see_choices(user, vote)


def statement_decisions(application: Application) -> list[str]:
    """The decisions a statement may take after the frozen outcome: approved → endorse only."""
    vote = application.current_vote
    if vote is None or vote.outcome is None:
        return []
    return ["endorse"] if vote.outcome == "approved" else ["revise", "reject"]


def rating_averages(ballots: list[Ballot]) -> dict[str, str]:
    """The average rating per criterion ('4,3'), over the ballots that rated it."""
    return {
        voting.CRITERIA[name]: voting.german_average(average)
        for name, (average, _) in voting.rating_averages(ballots).items()
    }


def _deadline_note(application: Application) -> str | None:
    """Why the running circulation deadline falls on its day (moved off a weekend or holiday)."""
    from workflow.services import deadlines as deadline_service

    running = deadline_service.running(deadline_service.for_application(application))
    return next((d.explanation for d in running if d.kind is deadline_service.CIRCULATION), None)


def panel(vote: Vote, user: User) -> dict:
    """What `user` may see of `vote`, as plain data for the application page."""
    application = vote.application
    eligible = vote.eligible_organisations()
    eligible_ids = {o.id for o in eligible}
    show_choices = can_see_choices(user, vote)
    ballots = {b.organisation_id: b for b in vote.ballots}
    tally = vote.tally(eligible)
    current = status(vote)
    own = ballots.get(user.organisation_id) if user.role == PARTNER else None
    own_eligible = user.role == PARTNER and user.organisation_id in eligible_ids
    running = current in ("open",) and application.state == "partner_vote"
    outcome = vote.outcome_label
    if current == "closed" and vote.is_open:  # past the deadline with quorum, before `tick`
        outcome = OUTCOME_LABELS["approved" if tally.approved else "not_approved"]
    circulation = vote.mode == voting.CIRCULATION
    warning = None
    if user.is_coordinator and vote.is_open and application.state == "partner_vote":
        warning = statement_warning(application, vote_day(vote), vote_day_text(vote))
    return {
        "mode": vote.mode_label,
        "status": current,
        "status_label": STATUS_LABELS[current],
        "is_open": current != "closed",
        # A vote moved to a session has no deadline any more: the session decides.
        "deadline_at": vote.deadline_at if circulation else None,
        "deadline_note": _deadline_note(application) if circulation and vote.is_open else None,
        "statement_warning": warning,
        "deadline_passed": deadline_passed(vote),
        "session_date": vote.session_date,
        "session": (
            {"id": vote.session.id, "starts_at": vote.session.starts_at, "place": vote.session.place}
            if vote.session
            else None
        ),
        "waiting_for_session": vote.mode == voting.SESSION and vote.session is None,
        "outcome": outcome,
        "show_choices": show_choices,
        "tally": tally.as_dict() if can_see_tally(user, vote) else None,
        "averages": rating_averages([b for b in vote.ballots if b.organisation_id in eligible_ids])
        if show_choices
        else None,
        "criteria": list(voting.CRITERIA.values()),
        "cast": tally.cast,
        "eligible_count": tally.eligible,
        "quorum": tally.quorum,
        "quorum_reached": tally.quorum_reached,
        "partners": [
            {
                "name": org.name,
                "voted": org.id in ballots,
                "cast_at": ballots[org.id].cast_at if org.id in ballots else None,
                "choice": ballots[org.id].choice_label if show_choices and org.id in ballots else None,
                "comment": ballots[org.id].comment if show_choices and org.id in ballots else None,
                "ratings": list(ballots[org.id].ratings().values())
                if show_choices and org.id in ballots
                else None,
            }
            for org in eligible
        ],
        "recusals": [{"name": r.organisation.name, "reason": r.reason} for r in vote.recusals],
        "objections": [
            {"name": o.organisation.name, "reason": o.reason, "at": o.created_at} for o in vote.objections
        ],
        "may_vote": running and vote.mode == voting.CIRCULATION and own_eligible,
        "may_declare_conflict": running and own_eligible,
        "may_object": running and vote.mode == voting.CIRCULATION and own_eligible,
        "own_recused": user.role == PARTNER and user.organisation_id in vote.recused_ids,
        "own_organisation_id": user.organisation_id,
        "own_ballot": (
            {
                "choice": own.choice,
                "comment": own.comment,
                **{k: str(v) if v else None for k, v in own.ratings().items()},
            }
            if own
            else None
        ),
    }


# -- tick -----------------------------------------------------------------------------------------


def settle_deadline(application: Application) -> str | None:
    """After a circulation's deadline: close it with quorum, else move it to the next session.
    Returns what was done, or None when there was nothing to do (already settled by another run)."""
    lock_agenda(application.alliance_id)
    lock(application)
    vote = application.current_vote
    if (
        application.state != "partner_vote"
        or vote is None
        or not vote.is_open
        or vote.mode != voting.CIRCULATION
        or not deadline_passed(vote)
    ):
        db.session.rollback()
        return None
    if vote.tally().quorum_reached:
        fire(application, "close_vote", None)
        return "closed"
    move_to_session(application, vote, "no_quorum", None)
    db.session.commit()
    return "moved"


def _due_circulations(now: datetime) -> list[int]:
    ids = db.session.scalars(
        sa.select(Vote.application_id)
        .join(Application, Vote.application_id == Application.id)
        .where(
            Vote.closed_at.is_(None),
            Vote.mode == voting.CIRCULATION,
            Vote.deadline_at < now,
            Application.state == "partner_vote",
        )
        .order_by(Vote.id)
    ).all()
    db.session.rollback()
    return list(ids)


@jobs.periodic("vote_deadlines")
def close_due_votes() -> int:
    """Settle every circulation whose deadline has passed. Idempotent; two runs at once settle
    each vote once (the application's lock, then the re-check)."""
    done = 0
    for application_id in _due_circulations(utcnow()):
        application = db.session.get(Application, application_id)
        try:
            done += settle_deadline(application) is not None
        except (DomainError, StaleDataError, OperationalError):
            db.session.rollback()  # settled by a concurrent run, or retried at the next tick
    return done


def reminder_moment(vote: Vote, days: int) -> datetime:
    """08:00 local time, `days` days before the deadline's day."""
    day = deadlines.local_date(vote.deadline_at) - timedelta(days=days)
    return datetime.combine(day, time(8, 0), tzinfo=deadlines.BERLIN)


@jobs.periodic("vote_reminders")
def send_reminders() -> int:
    """Reminders before a circulation's deadline (3 and 1 days by default) to the partners that have
    not voted yet, each exactly once (`jobs.claim`). If `tick` missed a reminder and the next one is
    due too, only the more urgent one goes out."""
    now = utcnow()
    running = db.session.scalars(
        sa.select(Vote)
        .join(Application, Vote.application_id == Application.id)
        .where(
            Vote.closed_at.is_(None),
            Vote.mode == voting.CIRCULATION,
            Vote.deadline_at > now,
            Application.state == "partner_vote",
        )
        .order_by(Vote.id)
    ).all()
    sent = 0
    for vote in running:
        due = [d for d in vote.procedure.reminder_days if vote.opened_at < reminder_moment(vote, d) <= now]
        if not due:
            continue
        urgent = min(due)
        for days in sorted(due, reverse=True):
            if not jobs.claim(f"vote-reminder:{vote.id}:{days}") or days != urgent:
                continue
            application = vote.application
            voted = {b.organisation_id for b in vote.ballots}
            waiting = [o.id for o in vote.eligible_organisations() if o.id not in voted]
            sent += vote_mails.reminder(application, vote, waiting)
        db.session.commit()
    return sent
