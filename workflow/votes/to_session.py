"""A circulation becomes an item on a session's agenda: when a partner objects, when its deadline
passed without quorum (`jobs`), when a session is planned for the votes waiting for one. What moves
a vote onto a session takes the alliance's agenda first (`lifecycle.lock_agenda`), then the
application (the lock order is in services/lifecycle.py)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from workflow.extensions import db
from workflow.lifecycle import N_, PARTNER
from workflow.models import Application, CommitteeSession, Objection, User, Vote
from workflow.models.event import log_event
from workflow.models.event_kinds import MOVED_TO_SESSION, OBJECTION
from workflow.rules import deadlines, voting
from workflow.services import notifications
from workflow.services.errors import InvalidTransition, NotAllowed, RuleViolation
from workflow.services.lifecycle import lock, lock_agenda
from workflow.votes import mails
from workflow.votes.casting import VOTE_ASKS
from workflow.votes.refusals import refuse
from workflow.votes.timing import deadline_passed, session_record, session_text, upcoming_sessions

REASON_LABELS = {
    "objection": N_("Widerspruch gegen das Umlaufverfahren"),
    "no_quorum": N_("Quorum bis zum Ende der Frist nicht erreicht"),
    # a session's change that moves the items on its agenda (services/sessions.py)
    "session_moved": N_("Sitzung verlegt"),
    "session_cancelled": N_("Sitzung abgesagt"),
    "entered_session": N_("In einer nachgetragenen Sitzung beraten"),
}


def move_to_session(
    application: Application,
    vote: Vote,
    reason: str,
    actor: User | None,
    objected: tuple[str, str] | None = None,
) -> None:
    """The circulation becomes an item on the agenda of the next session (state stays
    `partner_vote`); `objected`: (the organisation, its reason) when a partner objected. Runs inside the caller's locks (the
    agenda, then the application) and transaction."""
    upcoming = upcoming_sessions(application.alliance_id)
    session = upcoming[0] if upcoming else None
    ended_deadline = vote.deadline_at
    vote.mode = voting.SESSION
    vote.deadline_at = None  # the circulation's deadline ended (kept in the open_vote event)
    vote.session_id = session.id if session else None
    vote.session_date = deadlines.local_date(session.starts_at) if session else None
    log_event(application, actor, MOVED_TO_SESSION, vote_id=vote.id, reason=reason, session=session_record(session))
    values = {
        "title": application.title,
        "reference": application.reference,
        "session": session_text(session),
        "reason": _l(REASON_LABELS[reason]),
    }
    if objected is not None:
        body = _l(
            "Über „%(title)s“ (%(reference)s) wird nicht im Umlaufverfahren, sondern %(session)s "
            "abgestimmt. Grund: %(reason)s. Widersprochen hat %(organisation)s: „%(objection)s“. "
            "Bereits abgegebene Voten bleiben erhalten und können in der Sitzung geändert werden.",
            organisation=objected[0],
            objection=objected[1],
            **values,
        )
    else:
        body = _l(
            "Über „%(title)s“ (%(reference)s) wird nicht im Umlaufverfahren, sondern %(session)s "
            "abgestimmt. Grund: %(reason)s. Bereits abgegebene Voten bleiben erhalten und können in "
            "der Sitzung geändert werden.",
            **values,
        )
    # Partners no longer vote in writing; the coordination puts it on an agenda (and plans the
    # session, if none is planned).
    notifications.resolve(application, VOTE_ASKS)
    mails.moved(
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
        refuse(InvalidTransition(_l("Zu diesem Antrag läuft keine Abstimmung.")))
    if user.role != PARTNER or user.alliance_id != application.alliance_id:
        refuse(NotAllowed(_l("Nur Bündnispartner können dem Umlaufverfahren widersprechen.")))
    if user.organisation_id in vote.recused_ids:
        refuse(NotAllowed(_l("Ihre Organisation ist bei diesem Antrag befangen.")))
    if vote.mode != voting.CIRCULATION:
        refuse(InvalidTransition(_l("Über diesen Antrag wird bereits in der Sitzung abgestimmt.")))
    if deadline_passed(vote):
        refuse(InvalidTransition(_l("Die Frist des Umlaufverfahrens ist abgelaufen.")))
    reason = (reason or "").strip()
    if not reason:
        refuse(RuleViolation(_l("Bitte begründen Sie Ihren Widerspruch."), field="reason"))
    objection = Objection(
        vote_id=vote.id, organisation_id=user.organisation_id, reason=reason, declared_by_id=user.id
    )
    db.session.add(objection)
    log_event(application, user, OBJECTION, vote_id=vote.id, organisation_id=user.organisation_id, reason=reason)
    move_to_session(application, vote, "objection", user, objected=(user.organisation.name, reason))
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
