"""A session's agenda item recorded by the coordination: presence and ballots of the eligible
partners, and the closing of its vote if asked, in one transaction."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from workflow.extensions import db
from workflow.models import Application, CommitteeSession, SessionAttendance, User
from workflow.models.event import log_event
from workflow.models.event_kinds import SESSION_RECORD
from workflow.models.types import utcnow
from workflow.rules import deadlines, voting
from workflow.services import notifications
from workflow.services.errors import InvalidTransition, NotAllowed, RuleViolation
from workflow.services.lifecycle import lock, transition
from workflow.votes.casting import VOTE_ASKS, put_ballot, tell_coordination_of_quorum, validate_ballot
from workflow.votes.refusals import refuse
from workflow.votes.timing import session_record


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
        refuse(NotAllowed(_l("Nur die Netzwerkkoordination erfasst das Ergebnis einer Sitzung.")))
    if application.state != "partner_vote" or vote is None or not vote.is_open:
        refuse(InvalidTransition(_l("Zu diesem Antrag läuft keine Abstimmung.")))
    if vote.mode != voting.SESSION or vote.session_id != session.id:
        refuse(InvalidTransition(_l("Dieser Antrag steht nicht auf der Tagesordnung dieser Sitzung.")))
    if deadlines.is_future_day(deadlines.local_date(session.starts_at), utcnow()):
        refuse(RuleViolation(_l("Die Sitzung hat noch nicht stattgefunden.")))
    eligible = {o.id for o in vote.eligible_organisations()}
    for entry in entries:
        org_id = entry["organisation_id"]
        if org_id not in eligible:
            refuse(RuleViolation(_l("Diese Organisation ist bei diesem Antrag nicht stimmberechtigt.")))
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
            comment = validate_ballot(entry["choice"], entry.get("comment"), ratings)
            put_ballot(
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
    log_event(
        application,
        coordinator,
        SESSION_RECORD,
        vote_id=vote.id,
        session_id=session.id,
        session=session_record(session),
        present=sorted(e["organisation_id"] for e in entries if e.get("present")),
        absent=sorted(e["organisation_id"] for e in entries if not e.get("present")),
    )
    tell_coordination_of_quorum(application, vote)
    if close:
        # Recorded and closed in one transaction: the tally frozen is the one just recorded, and a
        # refused close keeps nothing of the record either.
        try:
            transition(application, "close_vote", coordinator)
        except Exception:
            db.session.rollback()
            raise
    db.session.commit()
