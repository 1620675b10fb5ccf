"""Closing a vote (the effect of `close_vote`): the tally frozen into an outcome, the coordination
told; what closing now would freeze, for the coordinator to read first; what a statement may decide
after it. A closing that follows from a ballot or a recusal runs in that one's transaction."""

from __future__ import annotations

from flask_babel import LazyString, gettext, lazy_gettext
from flask_babel import lazy_gettext as _l

from workflow import formatting
from workflow.extensions import db
from workflow.models import Application, User, Vote
from workflow.models.types import utcnow
from workflow.models.vote import OUTCOME_LABELS
from workflow.rules import voting
from workflow.services import notifications
from workflow.services.errors import InvalidTransition, RuleViolation
from workflow.services.lifecycle import transition
from workflow.votes.timing import mode_text


def freeze_tally(application: Application, actor: User | None, data: dict) -> dict:
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
    outcome = lazy_gettext(vote.outcome_label)
    notifications.notify(
        notifications.coordinators(application.alliance_id),
        _l(
            "Votum geschlossen: %(reference)s – %(outcome)s", reference=application.reference, outcome=outcome
        ),
        _l(
            "Die Abstimmung über „%(title)s“ ist geschlossen (%(outcome)s): %(counted)s. Die "
            "Stellungnahme ist vorzubereiten.",
            title=application.title,
            outcome=outcome,
            counted=LazyString(formatting.tally_summary, tally.as_dict()),
        ),
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
    """What closing the open vote now would freeze, for the coordinator to read before confirming
    (its labels in the page's language):
    the running tally (eligible, cast, each choice, quorum), the outcome it gives, and whether the
    vote may be closed at all (a circulation needs quorum)."""
    vote = application.current_vote
    if vote is None or not vote.is_open:
        return None
    tally = vote.tally()
    outcome = outcome_of(tally)
    return {
        "mode": vote.mode,
        "mode_label": str(mode_text(vote)),
        "tally": tally.as_dict(),
        "not_cast": tally.eligible - tally.cast,
        "outcome": outcome,
        "outcome_label": gettext(OUTCOME_LABELS[outcome]),
        "closable": vote.closable(),
    }


def statement_decisions(application: Application) -> list[str]:
    """The decisions a statement may take after the frozen outcome: approved → endorse only."""
    vote = application.current_vote
    if vote is None or vote.outcome is None:
        return []
    return ["endorse"] if vote.outcome == "approved" else ["revise", "reject"]


def close_if_everyone_voted(application: Application, vote: Vote) -> bool:
    """Close `vote` in the caller's transaction, under its lock, when every eligible partner has
    voted (or the last one missing was recused): the ballot that completes the vote sees every
    other one in its tally, as they are cast one after the other. A closing refused anyway keeps
    what the caller recorded (its savepoint alone is rolled back)."""
    if not (vote.is_open and vote.tally().everyone_voted):
        return False
    try:
        with db.session.begin_nested():
            transition(application, "close_vote", None)
    except (InvalidTransition, RuleViolation):
        return False
    return True
