"""Plain JSON of the domain's objects, for one caller (what they may see, nothing more)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from flask import url_for

from workflow.lifecycle import STATES_BY_NAME, TRIGGERS_BY_NAME
from workflow.models import Application, Document, Event, User, Vote
from workflow.models.event import BALLOT_CAST
from workflow.rules.voting import CRITERIA
from workflow.services import access, votes
from workflow.services import lifecycle as lifecycle_service

EVENT_LABELS = {
    "created": "Beratung angefragt (Antrag angelegt)",
    "updated": "Angaben geändert",
    "ballot_cast": "Votum abgegeben",
    "recusal": "Befangenheit erklärt",
    "document_uploaded": "Dokument hochgeladen",
}
# Ballot details that stay secret while a vote is open (partners see who voted, not how).
SECRET_BALLOT_KEYS = ("choice", "comment", *CRITERIA)


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def me(user: User) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "role_label": user.role_label,
        "organisation": {
            "id": user.organisation.id,
            "name": user.organisation.name,
            "kind": user.organisation.kind,
        },
        "alliance": {"slug": user.organisation.alliance.slug, "name": user.organisation.alliance.name},
    }


def summary(application: Application) -> dict:
    return {
        "id": application.id,
        "reference": application.reference,
        "title": application.title,
        "state": application.state,
        "state_label": application.state_label,
        "applicant": {"id": application.applicant.id, "name": application.applicant.name},
        "funding_object": application.funding_object.number if application.funding_object else None,
        "districts": application.districts,
        "updated_at": iso(application.updated_at),
        "url": url_for("api.get_application", application_id=application.id),
    }


def data_of(application: Application) -> dict:
    """The application's own editable data, in the API's field names."""
    return {
        "title": application.title,
        "summary": application.summary or "",
        "funding_object": application.funding_object.number if application.funding_object else None,
        "fields_of_action": application.fields_of_action,
        "districts": application.districts,
        "total_cost_cents": application.total_cost_cents,
        "requested_grant_cents": application.requested_grant_cents,
    }


def draft(application: Application, user: User) -> dict:
    return {
        "application_id": application.id,
        "state": application.state,
        "editable": access.may_edit(user, application),
        "data": data_of(application),
    }


# Deadlines shown with an application; later stages register theirs (statement, assessment...).
DeadlineProvider = Callable[[Application], list[dict]]
DEADLINE_PROVIDERS: list[DeadlineProvider] = []


def deadline_provider(fn: DeadlineProvider) -> DeadlineProvider:
    DEADLINE_PROVIDERS.append(fn)
    return fn


@deadline_provider
def _vote_deadline(application: Application) -> list[dict]:
    vote = application.current_vote
    if vote is None or vote.deadline_at is None:
        return []
    status = "met" if not vote.is_open else "overdue" if votes.deadline_passed(vote) else "open"
    return [
        {
            "kind": "vote",
            "label": "Frist des Umlaufverfahrens",
            "due_at": iso(vote.deadline_at),
            "status": status,
        }
    ]


def event(item: Event, user: User, votes_by_id: dict[int, Vote]) -> dict:
    data = dict(item.data or {})
    if item.kind == BALLOT_CAST:
        vote = votes_by_id.get(data.get("vote_id"))
        if vote is None or not votes.can_see_choices(user, vote):
            for key in SECRET_BALLOT_KEYS:
                data.pop(key, None)
    label = TRIGGERS_BY_NAME[item.trigger].label if item.trigger else EVENT_LABELS.get(item.kind, item.kind)
    return {
        "id": item.id,
        "kind": item.kind,
        "trigger": item.trigger,
        "label": label,
        "from_state": item.from_state,
        "to_state": item.to_state,
        "actor": {"id": item.actor.id, "name": item.actor.name} if item.actor else None,
        "at": iso(item.created_at),
        "data": data,
    }


def detail(application: Application, user: User) -> dict:
    state = STATES_BY_NAME[application.state]
    votes_by_id = {v.id: v for v in application.votes}
    links = {
        "self": url_for("api.get_application", application_id=application.id),
        "html": url_for("applications.show", application_id=application.id),
        "sketch": url_for("api.get_sketch", application_id=application.id),
        "long_form": url_for("api.get_long_form", application_id=application.id),
        "documents": url_for("api.list_documents", application_id=application.id),
    }
    if application.current_vote is not None:
        links["vote"] = url_for("api.get_vote", application_id=application.id)
    return {
        "id": application.id,
        "reference": application.reference,
        "title": application.title,
        "state": application.state,
        "state_label": state.label,
        "next_actor": state.next_actor,
        "final": state.final,
        "applicant": {"id": application.applicant.id, "name": application.applicant.name},
        "funding_object": (
            {
                "number": application.funding_object.number,
                "name": application.funding_object.name,
                "needs_statement": application.funding_object.needs_statement,
            }
            if application.funding_object
            else None
        ),
        "data": data_of(application),
        "created_at": iso(application.created_at),
        "updated_at": iso(application.updated_at),
        "version": application.version,
        "may_edit": access.may_edit(user, application),
        "may_upload": access.may_upload(user, application),
        "allowed_triggers": [
            {
                "name": t.name,
                "label": t.label,
                "url": url_for(f"api.transition_{t.name}", application_id=application.id),
            }
            for t in access.allowed_triggers(user, application)
        ],
        "deadlines": [d for provider in DEADLINE_PROVIDERS for d in provider(application)],
        "history": [event(e, user, votes_by_id) for e in lifecycle_service.history(application)],
        "links": links,
    }


def document(item: Document) -> dict:
    return {
        "id": item.id,
        "kind": item.kind,
        "kind_label": item.kind_label,
        "version": item.version,
        "filename": item.filename,
        "media_type": item.media_type,
        "size": item.size,
        "sha256": item.sha256,
        "pages": item.pages,
        "uploaded_at": iso(item.uploaded_at),
        "uploaded_by": {"id": item.uploaded_by.id, "name": item.uploaded_by.name},
        "url": url_for("api.download_document", application_id=item.application_id, document_id=item.id),
    }


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def vote(item: Vote, user: User) -> dict:
    """The vote as the caller may see it (votes.panel: secrecy while open), with codes beside labels."""
    panel = _plain(votes.panel(item, user))
    own = panel.get("own_ballot")
    if own:
        own.update({k: int(own[k]) if own.get(k) else None for k in CRITERIA})
    return {
        **panel,
        "id": item.id,
        "mode": item.mode,
        "mode_label": item.mode_label,
        "outcome": item.outcome,
        "outcome_label": item.outcome_label,
        "opened_at": iso(item.opened_at),
    }
