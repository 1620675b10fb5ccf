"""The vote's part of `tick`: settling circulations whose deadline has passed (closed with
quorum, else moved to the next session) and the reminders before a deadline."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from workflow.extensions import db
from workflow.models import Application, Vote
from workflow.models.types import utcnow
from workflow.rules import deadlines, voting
from workflow.services import jobs
from workflow.services.errors import DomainError
from workflow.services.lifecycle import fire, lock, lock_agenda
from workflow.votes import mails
from workflow.votes.timing import deadline_passed
from workflow.votes.to_session import move_to_session


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
            sent += mails.reminder(application, vote, waiting)
        db.session.commit()
    return sent
