"""Committee sessions: the coordination schedules them (date, place or link, agenda) and keeps their
minutes; votes are put on their agenda (see votes.py for what happens to a vote there)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from workflow.extensions import db
from workflow.models import Application, CommitteeSession, Event, User, Vote
from workflow.models.types import utcnow
from workflow.services import notifications, votes
from workflow.services.errors import NotAllowed, NotFound, RuleViolation
from workflow.services.lifecycle import jsonable

SESSION_SCHEDULED, SESSION_MINUTES = "session_scheduled", "session_minutes"


def _coordinator_only(user: User) -> None:
    if not user.is_coordinator:
        raise NotAllowed("Nur die Netzwerkkoordination plant Sitzungen.")


def can_view(user: User) -> bool:
    """The committee's sessions are for its members (partners), the coordination and observers."""
    return user.role in ("coordinator", "partner", "observer")


def get(session_id: int, user: User) -> CommitteeSession:
    session = db.session.get(CommitteeSession, session_id)
    if session is None or session.alliance_id != user.alliance_id or not can_view(user):
        raise NotFound("Diese Sitzung gibt es nicht.")
    return session


def list_for(user: User) -> list[CommitteeSession]:
    if not can_view(user):
        return []
    return list(
        db.session.scalars(
            sa.select(CommitteeSession)
            .where(CommitteeSession.alliance_id == user.alliance_id)
            .order_by(CommitteeSession.starts_at.desc())
        )
    )


def schedule(coordinator: User, starts_at: datetime, place: str, agenda: str) -> CommitteeSession:
    """A new session. Votes waiting for "the next session" go onto its agenda if it is the next."""
    _coordinator_only(coordinator)
    place, agenda = (place or "").strip(), (agenda or "").strip()
    if not place:
        raise RuleViolation("Bitte geben Sie den Ort oder den Link der Sitzung an.", field="place")
    if starts_at.tzinfo is None:
        raise RuleViolation("Ungültiger Zeitpunkt.", field="starts_at")
    session = CommitteeSession(
        alliance_id=coordinator.alliance_id,
        starts_at=starts_at,
        place=place,
        agenda=agenda,
        created_by_id=coordinator.id,
    )
    db.session.add(session)
    db.session.flush()
    upcoming = votes.upcoming_sessions(coordinator.alliance_id)
    attached = votes.attach_waiting_votes(session) if upcoming and upcoming[0].id == session.id else 0
    db.session.add(
        Event(
            alliance_id=coordinator.alliance_id,
            actor_id=coordinator.id,
            kind=SESSION_SCHEDULED,
            data=jsonable(
                {"session_id": session.id, "starts_at": starts_at, "place": place, "attached": attached}
            ),
        )
    )
    invite(session)
    db.session.commit()
    return session


def save_minutes(session: CommitteeSession, coordinator: User, minutes: str) -> None:
    _coordinator_only(coordinator)
    if session.alliance_id != coordinator.alliance_id:
        raise NotFound("Diese Sitzung gibt es nicht.")
    minutes = (minutes or "").strip()
    if not minutes:
        raise RuleViolation("Bitte geben Sie das Protokoll ein.", field="minutes")
    session.minutes = minutes
    db.session.add(
        Event(
            alliance_id=session.alliance_id,
            actor_id=coordinator.id,
            kind=SESSION_MINUTES,
            data={"session_id": session.id, "length": len(minutes)},
        )
    )
    db.session.commit()


def agenda_items(session: CommitteeSession) -> list[Application]:
    """The applications whose vote is on this session's agenda (open or already decided there)."""
    return list(
        db.session.scalars(
            sa.select(Application)
            .join(Vote, Vote.application_id == Application.id)
            .where(Vote.session_id == session.id)
            .order_by(Application.reference)
        )
    )


def is_past(session: CommitteeSession) -> bool:
    from workflow.rules.deadlines import local_date

    return local_date(session.starts_at) <= local_date(utcnow())


def invite(session: CommitteeSession) -> int:
    """Tell the committee's members about a new session (inside the caller's transaction)."""
    from workflow.formatting import local_datetime
    from workflow.lifecycle import PARTNER
    from workflow.models import Organisation

    members = list(
        db.session.scalars(
            sa.select(User)
            .join(Organisation, User.organisation_id == Organisation.id)
            .where(Organisation.alliance_id == session.alliance_id, User.role == PARTNER, User.active)
        )
    )
    return notifications.notify(
        members,
        f"Sitzung des Lenkungskreises am {local_datetime(session.starts_at)}",
        f"Die nächste Sitzung findet am {local_datetime(session.starts_at)} statt: {session.place}.\n\n"
        f"Tagesordnung:\n{session.agenda or '—'}",
        kind="session_invitation",
    )
