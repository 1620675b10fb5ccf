"""The partners' vote: read it (secret while open), cast a ballot, declare a conflict, object to
the circulation. Every call into the vote's domain from the API is in this module."""

from __future__ import annotations

from typing import Literal

from flask import jsonify
from pydantic import create_model

from forms.ballot import BallotForm, ConflictForm, ObjectionForm
from workflow.api import bp
from workflow.api.loading import APP, answer, caller, visible
from workflow.api.problems import ApiError
from workflow.api.registry import ok, route
from workflow.api.shapes import DateTime, Day, Plain, Shape
from workflow.api.validation import form_schema, validated_form
from workflow.models import Application, Event, User
from workflow.models.event_kinds import BALLOT_CAST
from workflow.rules.voting import CHOICES, CRITERIA, MODES
from workflow.votes import casting, queries, timing, to_session

BALLOT = form_schema(BallotForm)
CONFLICT = form_schema(ConflictForm)
OBJECTION = form_schema(ObjectionForm)


class SessionRef(Shape):
    id: int
    starts_at: DateTime
    place: str


class Tally(Shape):
    approve: int
    reject: int
    abstain: int
    eligible: int
    quorum_percent: int
    cast: int
    quorum: int
    quorum_reached: bool
    approved: bool


class VotePartner(Shape):
    """Ein stimmberechtigter Bündnispartner; wie er abgestimmt hat, erst wenn `show_choices`."""

    name: str
    voted: bool
    cast_at: DateTime | None
    choice: str | None
    comment: str | None
    ratings: list[int | None] | None


class VoteRecusal(Shape):
    name: str
    reason: str


class VoteObjection(Shape):
    name: str
    reason: str
    at: DateTime


OwnBallot = create_model(
    "OwnBallot",
    __base__=Shape,
    __doc__="Das Votum der eigenen Organisation (Bewertungen 1 bis 5).",
    choice=(Literal[CHOICES], ...),
    comment=(str | None, ...),
    **{name: (int | None, ...) for name in CRITERIA},
)


class Vote(Shape):
    """Die Abstimmung, wie die anfragende Person sie sehen darf (geheim, solange sie läuft)."""

    id: int
    mode: Literal[MODES]
    mode_label: str
    status: Literal[tuple(timing.STATUS_LABELS)]
    status_label: str
    is_open: bool
    opened_at: DateTime
    deadline_at: DateTime | None
    deadline_note: str | None
    statement_warning: str | None
    deadline_passed: bool
    session_date: Day | None
    session: SessionRef | None
    waiting_for_session: bool
    outcome: Literal["approved", "not_approved"] | None
    outcome_label: str | None
    show_choices: bool
    tally: Tally | None
    averages: dict[str, str] | None
    criteria: list[str]
    cast: int
    eligible_count: int
    quorum: int
    quorum_reached: bool
    partners: list[VotePartner]
    recusals: list[VoteRecusal]
    objections: list[VoteObjection]
    may_vote: bool
    may_declare_conflict: bool
    may_object: bool
    own_recused: bool
    own_organisation_id: int | None
    own_ballot: OwnBallot | None


def vote_of(item, user: User) -> Vote:
    """The vote as the caller may see it (the read model decides the secrecy), codes beside labels."""
    panel = queries.panel(item, user)
    own = panel["own_ballot"]
    if own:
        own = {**own, **{k: int(own[k]) if own.get(k) else None for k in CRITERIA}}
    return Vote.model_validate(
        {
            **panel,
            "own_ballot": own,
            "id": item.id,
            "mode": item.mode,
            "mode_label": item.mode_label,
            "outcome": item.outcome,
            "outcome_label": item.outcome_label,
            "opened_at": item.opened_at,
        }
    )


def event_data(item: Event, user: User, votes_by_id: dict) -> Plain:
    """What an event recorded, as `user` may see it: how a partner voted stays secret while the
    vote is open (the read model's `ballot_as_seen`)."""
    data = dict(item.data or {})
    if item.kind == BALLOT_CAST:
        return queries.ballot_as_seen(user, votes_by_id.get(data.get("vote_id")), data)
    return data


def status_of(item) -> str:
    """open | session | awaiting_session | closed (timing.status)."""
    return timing.status(item)


def open_vote_input(application: Application, body: dict) -> tuple[dict, dict]:
    """What the form of `open_vote` needs: the sessions to choose from, and the alliance's
    circulation deadline when none was sent."""
    if body.get("mode") == "circulation" and not body.get("deadline"):
        body = {**body, "deadline": timing.default_circulation_deadline(application.alliance).isoformat()}
    return body, {"sessions": timing.session_choices(application.alliance_id)}


def _vote_of(application: Application):
    vote = application.current_vote
    if vote is None:
        raise ApiError(404, "Zu diesem Antrag gibt es keine Abstimmung.")
    return vote


@route(
    bp,
    "GET",
    f"{APP}/vote",
    summary="Die Abstimmung der Bündnispartner (geheim, solange sie läuft)",
    tag="Votum",
    responses=ok(Vote),
)
def get_vote(application_id: int):
    application = visible(application_id)
    return jsonify(vote_of(_vote_of(application), caller()).plain())


@route(
    bp,
    "PUT",
    f"{APP}/vote/ballot",
    summary="Das Votum meiner Organisation abgeben oder ändern",
    description="Die letzte Abgabe vor der Frist zählt; jede Änderung bleibt im Verlauf. Eine Ablehnung "
    "braucht einen Kommentar. Haben alle stimmberechtigten Partner abgestimmt, schließt die Abstimmung.",
    tag="Votum",
    body=BALLOT,
    errors=(403, 404, 409),
    responses=ok(Vote),
)
def put_ballot(application_id: int, load_body):
    user = caller()
    application = visible(application_id)
    vote = _vote_of(application)
    form = validated_form(BallotForm, load_body())
    casting.cast_ballot(application, user, form.choice.data, form.comment.data, **form.ratings())
    return jsonify(vote_of(vote, user).plain())


@route(
    bp,
    "POST",
    f"{APP}/vote/conflict",
    summary="Befangenheit meiner Organisation erklären",
    tag="Votum",
    body=CONFLICT,
    errors=(403, 404, 409),
    responses=ok(Vote, "Vermerkt", 201),
)
def declare_conflict(application_id: int, load_body):
    return _record(application_id, ConflictForm, load_body, casting.declare_conflict)


@route(
    bp,
    "POST",
    f"{APP}/vote/objection",
    summary="Dem Umlaufverfahren widersprechen (die Abstimmung geht in die nächste Sitzung)",
    description="Ein stimmberechtigter Bündnispartner vor Ablauf der Frist; abgegebene Voten bleiben.",
    tag="Votum",
    body=OBJECTION,
    errors=(403, 404, 409),
    responses=ok(Vote, "Vermerkt", 201),
)
def object_to_circulation(application_id: int, load_body):
    return _record(application_id, ObjectionForm, load_body, to_session.object_to_circulation)


def _record(application_id: int, form_class, load_body, operation):
    """A partner's declaration with its reason (a conflict, an objection): 201 with the vote."""
    user = caller()
    application = visible(application_id)
    vote = _vote_of(application)
    form = validated_form(form_class, load_body())
    operation(application, user, form.reason.data)
    return answer(vote_of(vote, user).plain(), 201)
