"""The partners' vote: opening it, casting ballots, declaring conflicts, closing with a frozen tally."""

from __future__ import annotations

from datetime import date

from workflow.extensions import db
from workflow.formatting import local_date, local_datetime
from workflow.lifecycle import PARTNER
from workflow.models import Alliance, Application, Ballot, Event, Recusal, User, Vote
from workflow.models.event import BALLOT_CAST, RECUSAL
from workflow.models.types import utcnow
from workflow.rules import deadlines, voting
from workflow.services import notifications
from workflow.services.errors import InvalidTransition, NotAllowed, RuleViolation
from workflow.services.lifecycle import effect, fire, jsonable


def default_circulation_deadline(alliance: Alliance, opened: date | None = None) -> date:
    """The alliance's circulation period (7 days by default) from opening, moved to the next
    working day in Lower Saxony."""
    start = deadlines.end_of_day(opened) if opened else utcnow()
    return deadlines.due_date(start, alliance.procedure.circulation_days)


@effect("open_vote")
def _open(application: Application, actor: User | None, data: dict) -> dict:
    vote = Vote(
        application=application,
        mode=data["mode"],
        opened_at=utcnow(),
        rules=application.alliance.procedure.as_dict(),
    )
    recorded = {}
    if vote.mode == voting.CIRCULATION:
        # Whatever day was chosen, a deadline never ends on a weekend or a holiday.
        day = deadlines.next_working_day(data["deadline"])
        vote.deadline_at = deadlines.end_of_day(day)
        recorded["deadline"] = day
    else:
        vote.session_date = data["session_date"]
    db.session.add(vote)
    db.session.flush()
    # The sponsor's own organisation never votes on its own application.
    own = db.session.get(type(application.applicant), application.applicant_organisation_id)
    recused = set()
    if own is not None and own.kind == "partner":
        db.session.add(
            Recusal(vote_id=vote.id, organisation_id=own.id, reason="Antragstellende Organisation")
        )
        recused.add(own.id)
    # Nor do the alliance partners named as project partners in the sketch.
    for partner in application.project_partners:
        organisation = partner.organisation
        if organisation is not None and organisation.kind == "partner" and organisation.id not in recused:
            db.session.add(Recusal(vote_id=vote.id, organisation_id=organisation.id, reason="Projektpartner"))
            recused.add(organisation.id)
    db.session.flush()
    db.session.refresh(vote)
    when = (
        f"bis {local_datetime(vote.deadline_at)}"
        if vote.deadline_at
        else f"in der Sitzung am {local_date(vote.session_date)}"
    )
    notifications.notify(
        notifications.representatives(o.id for o in vote.eligible_organisations()),
        f"Neue Abstimmung: {application.title} – {when}",
        f"Die Langfassung „{application.title}“ ({application.reference}) von {application.applicant.name} "
        f"steht zur Abstimmung ({vote.mode_label}), {when}. Jetzt abstimmen.",
        application,
    )
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
    vote.outcome = "approved" if tally.approved else "not_approved"
    vote.closed_at = utcnow()
    return {"tally": tally.as_dict(), "outcome": vote.outcome}


def deadline_passed(vote: Vote) -> bool:
    return vote.deadline_at is not None and utcnow() > vote.deadline_at


def cast_ballot(
    application: Application, user: User, choice: str, comment: str | None = None, **ratings
) -> Ballot:
    """Cast or change the ballot of `user`'s organisation; the last one before the deadline counts.

    When every eligible partner has voted, the vote closes by itself.
    """
    db.session.refresh(application, with_for_update=True)
    vote = application.current_vote
    if application.state != "partner_vote" or vote is None or not vote.is_open:
        db.session.rollback()
        raise InvalidTransition("Zu diesem Antrag läuft keine Abstimmung.")
    if user.role != PARTNER or user.alliance_id != application.alliance_id:
        db.session.rollback()
        raise NotAllowed("Nur Vertreterinnen und Vertreter der Bündnispartner stimmen ab.")
    if user.organisation_id in vote.recused_ids:
        db.session.rollback()
        raise NotAllowed("Ihre Organisation ist bei diesem Antrag befangen und stimmt nicht ab.")
    if deadline_passed(vote):
        db.session.rollback()
        raise InvalidTransition("Die Frist der Abstimmung ist abgelaufen.")
    if choice not in voting.CHOICES:
        db.session.rollback()
        raise RuleViolation("Bitte wählen Sie Zustimmung, Ablehnung oder Enthaltung.", field="choice")
    comment = (comment or "").strip() or None
    if choice == voting.REJECT and not comment:
        db.session.rollback()
        raise RuleViolation("Eine Ablehnung muss begründet werden.", field="comment")
    for name, value in ratings.items():
        if name not in voting.CRITERIA or (
            value is not None and not voting.RATING_MIN <= value <= voting.RATING_MAX
        ):
            db.session.rollback()
            raise RuleViolation("Bewertungen reichen von 1 bis 5.", field=name)

    ballot = vote.ballot_of(user.organisation_id)
    if ballot is None:
        ballot = Ballot(vote=vote, organisation_id=user.organisation_id)
        db.session.add(ballot)
    ballot.choice = choice
    ballot.comment = comment
    for name in voting.CRITERIA:
        setattr(ballot, name, ratings.get(name))
    ballot.cast_by_id = user.id
    ballot.cast_at = utcnow()
    db.session.add(
        Event(
            alliance_id=application.alliance_id,
            application_id=application.id,
            actor_id=user.id,
            kind=BALLOT_CAST,
            data=jsonable(
                {
                    "vote_id": vote.id,
                    "organisation_id": user.organisation_id,
                    "choice": choice,
                    "comment": comment,
                    **{k: ratings.get(k) for k in voting.CRITERIA},
                }
            ),
        )
    )
    db.session.commit()
    if vote.tally().everyone_voted:
        fire(application, "close_vote", None)
    return ballot


def declare_conflict(application: Application, user: User, reason: str) -> Recusal:
    """A partner declares a conflict of interest: its organisation is recused from this vote."""
    db.session.refresh(application, with_for_update=True)
    vote = application.current_vote
    if vote is None or not vote.is_open:
        db.session.rollback()
        raise InvalidTransition("Zu diesem Antrag läuft keine Abstimmung.")
    if user.role != PARTNER or user.alliance_id != application.alliance_id:
        db.session.rollback()
        raise NotAllowed("Nur Bündnispartner können eine Befangenheit erklären.")
    reason = (reason or "").strip()
    if not reason:
        db.session.rollback()
        raise RuleViolation("Bitte nennen Sie den Grund der Befangenheit.", field="reason")
    if user.organisation_id in vote.recused_ids:
        db.session.rollback()
        raise InvalidTransition("Ihre Organisation ist bereits als befangen erfasst.")
    recusal = Recusal(
        vote_id=vote.id, organisation_id=user.organisation_id, reason=reason, declared_by_id=user.id
    )
    # A ballot cast before the conflict was declared no longer counts (it is kept in the log).
    ballot = vote.ballot_of(user.organisation_id)
    if ballot is not None:
        db.session.delete(ballot)
    db.session.add(recusal)
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
    return recusal


def can_see_choices(user: User, vote: Vote) -> bool:
    """Secrecy while open: partners see who has voted, not how; the coordinator sees everything."""
    return user.is_coordinator or not vote.is_open or not vote.procedure.secret_while_open


def statement_decisions(application: Application) -> list[str]:
    """The decisions a statement may take after the frozen outcome: approved → endorse only."""
    vote = application.current_vote
    if vote is None or vote.outcome is None:
        return []
    return ["endorse"] if vote.outcome == "approved" else ["revise", "reject"]


def panel(vote: Vote, user: User) -> dict:
    """What `user` may see of `vote`, as plain data for the application page."""
    application = vote.application
    eligible = vote.eligible_organisations()
    show_choices = can_see_choices(user, vote)
    ballots = {b.organisation_id: b for b in vote.ballots}
    tally = vote.tally()
    own = ballots.get(user.organisation_id) if user.role == PARTNER else None
    may_act = (
        user.role == PARTNER
        and vote.is_open
        and not deadline_passed(vote)
        and application.state == "partner_vote"
    )
    return {
        "mode": vote.mode_label,
        "is_open": vote.is_open,
        "deadline_at": vote.deadline_at,
        "deadline_passed": deadline_passed(vote),
        "session_date": vote.session_date,
        "outcome": vote.outcome_label,
        "show_choices": show_choices,
        "tally": tally.as_dict() if show_choices else None,
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
                "ratings": ballots[org.id].ratings() if show_choices and org.id in ballots else None,
            }
            for org in eligible
        ],
        "recusals": [{"name": r.organisation.name, "reason": r.reason} for r in vote.recusals],
        "may_vote": may_act and user.organisation_id not in vote.recused_ids,
        "may_declare_conflict": may_act and user.organisation_id not in vote.recused_ids,
        "own_recused": user.organisation_id in vote.recused_ids,
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
