"""The vote as one person may see it, as plain typed data shared by every reader (the vote panel
of the application page, the vote page, the history, the webhooks; the API through the panel).

Ballot secrecy is decided in one function, `sees_how_partners_voted`: partners see who has voted,
not how, until the vote closes; the coordinator sees everything; sponsors, observers and the
receivers of webhooks read the outcome and the counts once it is closed, never the ballots."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext

from workflow.formatting import page_datetime
from workflow.lifecycle import N_, PARTNER
from workflow.models import Ballot, User, Vote
from workflow.models.event_kinds import BALLOT_CAST, KINDS
from workflow.models.vote import OUTCOME_LABELS
from workflow.rules import voting
from workflow.votes.opening import AUTOMATIC_RECUSALS
from workflow.votes.timing import (
    STATUS_LABELS,
    deadline_passed,
    mode_text,
    statement_warning,
    status,
    vote_day,
    vote_day_text,
)

NOT_CAST = N_("noch nicht abgegeben")


def sees_how_partners_voted(user: User | None, vote: Vote | None) -> bool:
    """How each organisation voted (choice, comment, ratings). Secrecy while open: partners see who
    has voted, not how, until the vote is closed (a circulation past its deadline with quorum counts
    as closed, as the pages show it, before `tick` records it); the coordinator sees everything.
    Sponsors and observers read the outcome, the counts and the statement, which attributes or
    anonymises the comments as the alliance decided, never the ballots themselves; nor does anyone
    outside (`user` None: a webhook's receiver)."""
    if user is None or vote is None:
        return False
    if user.is_coordinator:
        return True
    if user.role != PARTNER:
        return False
    return status(vote) == "closed" or not vote.procedure.secret_while_open


def sees_tally(user: User | None, vote: Vote) -> bool:
    """The counts (approve / reject / abstain): for everyone who sees the vote once it is closed."""
    return status(vote) == "closed" or sees_how_partners_voted(user, vote)


def ballot_as_seen(user: User | None, vote: Vote | None, data: dict) -> dict:
    """What `user` may read of a ballot as recorded (a `ballot_cast` event's data): who and when
    always, how only where `sees_how_partners_voted` (what is "how": the kind's `secret` fields,
    models/event_kinds.py)."""
    if sees_how_partners_voted(user, vote):
        return dict(data)
    secret = KINDS[BALLOT_CAST].secret
    return {k: v for k, v in data.items() if k not in secret}


@dataclass(frozen=True)
class BallotSeen:
    """One eligible organisation's ballot: whether and when it voted, and how where it may be seen."""

    organisation_id: int
    organisation: str
    voted: bool
    cast_at: datetime | None = None
    choice: str | None = None  # the code (approve, reject, abstain)
    choice_label: str | None = None
    comment: str | None = None
    ratings: dict[str, int | None] | None = None  # by criterion


@dataclass(frozen=True)
class OwnBallot:
    """The person's own organisation's ballot, always in full, and its state in a sentence (in the
    reading request's language)."""

    cast: bool
    state: str  # "noch nicht abgegeben" / "abgegeben am …, Sie können es bis … ändern"
    choice: str | None = None
    comment: str | None = None
    ratings: dict[str, int | None] = field(default_factory=dict)
    cast_at: datetime | None = None


@dataclass(frozen=True)
class VoteSeen:
    """Its labels in the reading request's language (German in the API and outside requests)."""

    status: str  # open | session | awaiting_session | closed (see timing.status)
    status_label: str
    outcome: str | None  # its label, also before `tick` closed a circulation that has quorum
    shows_choices: bool
    tally: dict | None  # the counts, where they may be seen
    averages: dict[str, str] | None  # the average rating per criterion, with the choices
    cast: int
    eligible_count: int
    quorum: int
    quorum_reached: bool
    ballots: list[BallotSeen]  # one per eligible organisation
    running: bool  # a partner may still act (circulation or session, before its deadline)
    own_eligible: bool
    own: OwnBallot | None  # for a partner: its organisation's ballot, cast or not


def rating_averages(ballots: list[Ballot]) -> dict[str, str]:
    """The average rating per criterion ('4,3'), over the ballots that rated it (by the criterion's
    label in the reading request's language)."""
    return {
        gettext(voting.CRITERIA[name]): voting.german_average(average)
        for name, (average, _) in voting.rating_averages(ballots).items()
    }


def _own_ballot(vote: Vote, ballot: Ballot | None, may_change: bool) -> OwnBallot:
    if ballot is None or ballot.cast_at is None:
        return OwnBallot(cast=False, state=gettext(NOT_CAST))
    if may_change and vote.deadline_at is not None:
        state = gettext(
            "abgegeben am %(cast_at)s, Sie können es bis %(deadline)s ändern",
            cast_at=page_datetime(ballot.cast_at),
            deadline=page_datetime(vote.deadline_at),
        )
    else:
        state = gettext("abgegeben am %(cast_at)s", cast_at=page_datetime(ballot.cast_at))
    return OwnBallot(
        cast=True,
        state=state,
        choice=ballot.choice,
        comment=ballot.comment,
        ratings=ballot.ratings(),
        cast_at=ballot.cast_at,
    )


def vote_as_seen_by(user: User, vote: Vote) -> VoteSeen:
    """`vote` as `user` may see it: the counts, each eligible organisation's ballot with what this
    person may read of it, their own organisation's ballot."""
    eligible = vote.eligible_organisations()
    shows = sees_how_partners_voted(user, vote)
    ballots = {b.organisation_id: b for b in vote.ballots}
    tally = vote.tally(eligible)
    current = status(vote)
    outcome = vote.outcome_label
    if current == "closed" and vote.is_open:  # past the deadline with quorum, before `tick`
        outcome = OUTCOME_LABELS["approved" if tally.approved else "not_approved"]
    outcome = gettext(outcome) if outcome else None
    running = current == "open" and vote.application.state == "partner_vote"
    own_eligible = user.role == PARTNER and user.organisation_id in {o.id for o in eligible}
    seen = []
    for org in eligible:
        ballot = ballots.get(org.id)
        if ballot is None:
            seen.append(BallotSeen(org.id, org.name, voted=False))
        elif shows:
            seen.append(
                BallotSeen(
                    org.id,
                    org.name,
                    voted=True,
                    cast_at=ballot.cast_at,
                    choice=ballot.choice,
                    choice_label=gettext(ballot.choice_label),
                    comment=ballot.comment,
                    ratings=ballot.ratings(),
                )
            )
        else:
            seen.append(BallotSeen(org.id, org.name, voted=True, cast_at=ballot.cast_at))
    eligible_ids = {o.id for o in eligible}
    may_vote = running and vote.mode == voting.CIRCULATION and own_eligible
    return VoteSeen(
        status=current,
        status_label=gettext(STATUS_LABELS[current]),
        outcome=outcome,
        shows_choices=shows,
        tally=tally.as_dict() if sees_tally(user, vote) else None,
        averages=rating_averages([b for b in vote.ballots if b.organisation_id in eligible_ids])
        if shows
        else None,
        cast=tally.cast,
        eligible_count=tally.eligible,
        quorum=tally.quorum,
        quorum_reached=tally.quorum_reached,
        ballots=seen,
        running=running,
        own_eligible=own_eligible,
        own=_own_ballot(vote, ballots.get(user.organisation_id), may_vote) if user.role == PARTNER else None,
    )


def _deadline_note(vote: Vote) -> str | None:
    """Why the running circulation deadline falls on its day (moved off a weekend or holiday)."""
    from workflow.services import deadlines as deadline_service

    running = deadline_service.running(deadline_service.for_application(vote.application))
    return next((d.explanation for d in running if d.kind is deadline_service.CIRCULATION), None)


def panel(vote: Vote, user: User, seen: VoteSeen | None = None) -> dict:
    """The vote panel of the application page and the vote page (and the API's vote): what
    `vote_as_seen_by` gives (`seen`, when it was read already), with the deadline, the session and
    what this person may do."""
    application = vote.application
    seen = seen or vote_as_seen_by(user, vote)
    circulation = vote.mode == voting.CIRCULATION
    warning = None
    if user.is_coordinator and vote.is_open and application.state == "partner_vote":
        warning = statement_warning(application, vote_day(vote), vote_day_text(vote))
    own = seen.own if seen.own is not None and seen.own.cast else None
    return {
        "mode": str(mode_text(vote)),
        "status": seen.status,
        "status_label": seen.status_label,
        "is_open": seen.status != "closed",
        # A vote moved to a session has no deadline any more: the session decides.
        "deadline_at": vote.deadline_at if circulation else None,
        "deadline_note": _deadline_note(vote) if circulation and vote.is_open else None,
        "statement_warning": warning,
        "deadline_passed": deadline_passed(vote),
        "session_date": vote.session_date,
        "session": (
            {"id": vote.session.id, "starts_at": vote.session.starts_at, "place": vote.session.place}
            if vote.session
            else None
        ),
        "waiting_for_session": vote.mode == voting.SESSION and vote.session is None,
        "outcome": seen.outcome,
        "show_choices": seen.shows_choices,
        "tally": seen.tally,
        "averages": seen.averages,
        "criteria": [gettext(label) for label in voting.CRITERIA.values()],
        "cast": seen.cast,
        "eligible_count": seen.eligible_count,
        "quorum": seen.quorum,
        "quorum_reached": seen.quorum_reached,
        "partners": [
            {
                "name": b.organisation,
                "voted": b.voted,
                "cast_at": b.cast_at,
                "choice": b.choice_label,
                "comment": b.comment,
                "ratings": list(b.ratings.values()) if b.ratings is not None else None,
            }
            for b in seen.ballots
        ],
        "recusals": [
            {
                "name": r.organisation.name,
                "reason": gettext(r.reason) if r.reason in AUTOMATIC_RECUSALS else r.reason,
            }
            for r in vote.recusals
        ],
        "objections": [
            {"name": o.organisation.name, "reason": o.reason, "at": o.created_at} for o in vote.objections
        ],
        "may_vote": seen.running and circulation and seen.own_eligible,
        "may_declare_conflict": seen.running and seen.own_eligible,
        "may_object": seen.running and circulation and seen.own_eligible,
        "own_recused": user.role == PARTNER and user.organisation_id in vote.recused_ids,
        "own_organisation_id": user.organisation_id,
        "own_ballot": (
            {
                "choice": own.choice,
                "comment": own.comment,
                **{k: str(v) if v else None for k, v in own.ratings.items()},
            }
            if own
            else None
        ),
    }
