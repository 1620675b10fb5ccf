"""Casting a ballot (or changing it) and declaring a conflict of interest, each in one transaction
under the application's lock (`lifecycle.lock`): the ballot, the quorum notice and the closing
that follows when the last eligible partner has voted are committed together."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from workflow.extensions import db
from workflow.lifecycle import PARTNER
from workflow.models import Application, Ballot, Recusal, User, Vote
from workflow.models.event import log_event
from workflow.models.event_kinds import BALLOT_CAST, RECUSAL
from workflow.models.types import utcnow
from workflow.rules import voting
from workflow.services import jobs, notifications
from workflow.services.errors import InvalidTransition, NotAllowed, RuleViolation
from workflow.services.lifecycle import commit_as_written, lock
from workflow.votes.closing import close_if_everyone_voted
from workflow.votes.refusals import refuse
from workflow.votes.timing import deadline_passed

VOTE_ASKS = ("vote_opened", "vote_reminder")  # what asks a partner to vote: done once it has


def _may_cast(application: Application, user: User, vote: Vote | None) -> None:
    """Raises unless `user` may cast (or change) their organisation's ballot now."""
    if application.state != "partner_vote" or vote is None or not vote.is_open:
        refuse(InvalidTransition(_l("Zu diesem Antrag läuft keine Abstimmung.")))
    if user.role != PARTNER or user.alliance_id != application.alliance_id:
        refuse(NotAllowed(_l("Nur Vertreterinnen und Vertreter der Bündnispartner stimmen ab.")))
    if user.organisation_id in vote.recused_ids:
        refuse(NotAllowed(_l("Ihre Organisation ist bei diesem Antrag befangen und stimmt nicht ab.")))
    if deadline_passed(vote):
        refuse(InvalidTransition(_l("Die Frist der Abstimmung ist abgelaufen.")))
    if vote.mode == voting.SESSION:
        refuse(
            InvalidTransition(
                _l(
                    "Über diesen Antrag wird in der Sitzung (%(committee)s) abgestimmt; die "
                    "Netzwerkkoordination erfasst dort das Votum Ihrer Organisation.",
                    committee=application.alliance.committee_name,
                )
            )
        )


def validate_ballot(choice: str, comment: str | None, ratings: dict) -> str | None:
    if choice not in voting.CHOICES:
        refuse(RuleViolation(_l("Bitte wählen Sie Zustimmung, Ablehnung oder Enthaltung."), field="choice"))
    comment = (comment or "").strip() or None
    if choice == voting.REJECT and not comment:
        refuse(RuleViolation(_l("Eine Ablehnung muss begründet werden."), field="comment"))
    for name, value in ratings.items():
        if name not in voting.CRITERIA or (
            value is not None
            and (not isinstance(value, int) or not voting.RATING_MIN <= value <= voting.RATING_MAX)
        ):
            refuse(RuleViolation(_l("Bewertungen reichen von 1 bis 5."), field=name))
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


def put_ballot(
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
    log_event(
        application,
        actor,
        BALLOT_CAST,
        created_at=ballot.cast_at,  # the same moment, as verify-log expects
        vote_id=vote.id,
        organisation_id=organisation_id,
        choice=choice,
        comment=comment,
        **{k: ratings.get(k) for k in voting.CRITERIA},
        **(extra or {}),
    )
    return ballot


def tell_coordination_of_quorum(application: Application, vote: Vote) -> voting.Tally:
    """Once per vote, in the transaction of the ballot that reached it; returns the tally."""
    db.session.flush()
    tally = vote.tally()  # vote.ballots holds the new ballot: put_ballot added it to the collection
    key = f"vote-quorum:{vote.id}"
    # Every ballot after the quorum asks; reading first spares them a refused insert.
    if tally.quorum_reached and not jobs.claimed(key) and jobs.claim(key):
        notifications.notify(
            notifications.coordinators(application.alliance_id),
            _l("Quorum erreicht: %(reference)s", reference=application.reference),
            _l(
                "Bei der Abstimmung über „%(title)s“ haben %(cast)s von %(eligible)s Stimmberechtigten "
                "abgestimmt; das Quorum (%(quorum)s) ist erreicht.",
                title=application.title,
                cast=tally.cast,
                eligible=tally.eligible,
                quorum=tally.quorum,
            ),
            application,
            kind="quorum_reached",
        )
    return tally


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
        refuse(NotAllowed(_l("Sie können nur das Votum Ihrer eigenen Organisation abgeben.")))
    comment = validate_ballot(choice, comment, ratings)
    ballot = put_ballot(application, vote, user.organisation_id, user, choice, comment, ratings)
    notifications.resolve(application, VOTE_ASKS, user.organisation_id)
    tally = tell_coordination_of_quorum(application, vote)
    if tally.everyone_voted:  # the last ballot closes the vote, in the same transaction
        close_if_everyone_voted(application, vote)
    commit_as_written()
    return ballot


def declare_conflict(application: Application, user: User, reason: str) -> Recusal:
    """A partner declares a conflict of interest: its organisation is recused from this vote."""
    lock(application)
    vote = application.current_vote
    if vote is None or not vote.is_open:
        refuse(InvalidTransition(_l("Zu diesem Antrag läuft keine Abstimmung.")))
    if user.role != PARTNER or user.alliance_id != application.alliance_id:
        refuse(NotAllowed(_l("Nur Bündnispartner können eine Befangenheit erklären.")))
    if deadline_passed(vote):
        refuse(InvalidTransition(_l("Die Frist der Abstimmung ist abgelaufen.")))
    reason = (reason or "").strip()
    if not reason:
        refuse(RuleViolation(_l("Bitte nennen Sie den Grund der Befangenheit."), field="reason"))
    if user.organisation_id in vote.recused_ids:
        refuse(InvalidTransition(_l("Ihre Organisation ist bereits als befangen erfasst.")))
    recusal = Recusal(
        vote_id=vote.id, organisation_id=user.organisation_id, reason=reason, declared_by_id=user.id
    )
    # A ballot cast before the conflict was declared no longer counts (it is kept in the log).
    ballot = vote.ballot_of(user.organisation_id)
    if ballot is not None:
        db.session.delete(ballot)
    db.session.add(recusal)
    notifications.resolve(application, VOTE_ASKS, user.organisation_id)  # it no longer votes
    log_event(application, user, RECUSAL, vote_id=vote.id, organisation_id=user.organisation_id, reason=reason)
    db.session.flush()
    db.session.expire(vote)  # its ballots and recusals as just written
    # The recused partner may have been the last one missing: closed in this transaction.
    close_if_everyone_voted(application, vote)
    db.session.commit()
    return recusal


# -- circulation → session ----------------------------------------------------------------------
