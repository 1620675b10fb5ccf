"""The partners' vote: read it (secret while open), cast a ballot, declare a conflict, object to
the circulation. Every call into the vote's domain from the API is in this module."""

from __future__ import annotations

from flask import jsonify

from forms.ballot import BallotForm, ConflictForm, ObjectionForm
from workflow.api import bp, serializers
from workflow.api.loading import APP, answer, caller, visible
from workflow.api.problems import ApiError
from workflow.api.registry import ok, route
from workflow.api.validation import form_schema, validated_form
from workflow.models import Application
from workflow.services import votes

BALLOT = form_schema(BallotForm)
CONFLICT = form_schema(ConflictForm)
OBJECTION = form_schema(ObjectionForm)


def open_vote_input(application: Application, body: dict) -> tuple[dict, dict]:
    """What the form of `open_vote` needs: the sessions to choose from, and the alliance's
    circulation deadline when none was sent."""
    if body.get("mode") == "circulation" and not body.get("deadline"):
        body = {**body, "deadline": votes.default_circulation_deadline(application.alliance).isoformat()}
    return body, {"sessions": votes.session_choices(application.alliance_id)}


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
    responses=ok("Vote"),
)
def get_vote(application_id: int):
    application = visible(application_id)
    return jsonify(serializers.vote(_vote_of(application), caller()))


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
    responses=ok("Vote"),
)
def put_ballot(application_id: int, load_body):
    user = caller()
    application = visible(application_id)
    vote = _vote_of(application)
    form = validated_form(BallotForm, load_body())
    votes.cast_ballot(application, user, form.choice.data, form.comment.data, **form.ratings())
    return jsonify(serializers.vote(vote, user))


@route(
    bp,
    "POST",
    f"{APP}/vote/conflict",
    summary="Befangenheit meiner Organisation erklären",
    tag="Votum",
    body=CONFLICT,
    errors=(403, 404, 409),
    responses=ok("Vote", "Vermerkt", 201),
)
def declare_conflict(application_id: int, load_body):
    user = caller()
    application = visible(application_id)
    vote = _vote_of(application)
    form = validated_form(ConflictForm, load_body())
    votes.declare_conflict(application, user, form.reason.data)
    return answer(serializers.vote(vote, user), 201)


@route(
    bp,
    "POST",
    f"{APP}/vote/objection",
    summary="Dem Umlaufverfahren widersprechen (die Abstimmung geht in die nächste Sitzung)",
    description="Ein stimmberechtigter Bündnispartner vor Ablauf der Frist; abgegebene Voten bleiben.",
    tag="Votum",
    body=OBJECTION,
    errors=(403, 404, 409),
    responses=ok("Vote", "Vermerkt", 201),
)
def object_to_circulation(application_id: int, load_body):
    user = caller()
    application = visible(application_id)
    vote = _vote_of(application)
    form = validated_form(ObjectionForm, load_body())
    votes.object_to_circulation(application, user, form.reason.data)
    return answer(serializers.vote(vote, user), 201)
