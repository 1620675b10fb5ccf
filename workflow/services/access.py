"""Who may see which application and fire which trigger (DESIGN.md, "The people")."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, has_request_context

from workflow.extensions import db
from workflow.lifecycle import (
    APPLICANT,
    COORDINATOR,
    OBSERVER,
    PARTNER,
    SYSTEM,
    TRIGGERS_BY_NAME,
    Trigger,
    states_only_after,
    triggers_from,
)
from workflow.models import Application, Event, SketchAccess, User, Vote

# Observers (NBank, MS) are consulted from the first assessment on: they see an application once
# its sketch has been submitted (and keep seeing it through a revision or a withdrawal); before
# that the idea is the sponsor's and the coordination's alone.


# States an application reaches only through a submitted sketch: observers may see it there.
_ONLY_AFTER_SUBMISSION = states_only_after("submit_sketch")


def _sketch_was_submitted():
    return sa.exists().where(Event.application_id == Application.id, Event.trigger == "submit_sketch")


# Guards that decide whether a trigger applies to this application at all (rather than whether the
# data given with it is right): a trigger they refuse is not offered.
APPLICABILITY_GUARDS = frozenset({"needs_statement", "statement_not_needed"})


def visible_applications(user: User) -> sa.Select:
    """A query of the applications `user` may see."""
    query = sa.select(Application).where(Application.alliance_id == user.alliance_id)
    if user.role == COORDINATOR:
        return query
    if user.role == APPLICANT:
        return query.where(Application.applicant_organisation_id == user.organisation_id)
    if user.role == PARTNER:
        return query.where(
            sa.or_(
                sa.exists().where(Vote.application_id == Application.id),
                sa.exists().where(
                    SketchAccess.application_id == Application.id,
                    SketchAccess.organisation_id == user.organisation_id,
                ),
            )
        )
    if user.role == OBSERVER:
        return query.where(_sketch_was_submitted())
    return query.where(sa.false())


def can_view(user: User, application: Application) -> bool:
    if user.alliance_id != application.alliance_id:
        return False
    if user.role == COORDINATOR:
        return True
    if user.role == APPLICANT:
        return application.applicant_organisation_id == user.organisation_id
    if user.role == PARTNER:
        return bool(application.votes) or has_sketch_access(user, application)
    if user.role == OBSERVER:
        return _sketch_submitted(application)
    return False


def _sketch_submitted(application: Application) -> bool:
    """Whether the sketch was ever submitted. Once true it stays true, so a request asks the
    database once however many sections check it."""
    if application.state in _ONLY_AFTER_SUBMISSION:
        return True
    known = g.setdefault("sketch_submitted", set()) if has_request_context() else set()
    if application.id not in known:  # a sketch in revision, a withdrawal: the history tells
        if not db.session.scalar(sa.select(_sketch_was_submitted().where(Application.id == application.id))):
            return False
        known.add(application.id)
    return True


def has_sketch_access(user: User, application: Application) -> bool:
    """Whether the coordinator gave `user`'s organisation read access to the sketch (consulted)."""
    return (
        db.session.scalar(
            sa.select(SketchAccess.id).where(
                SketchAccess.application_id == application.id,
                SketchAccess.organisation_id == user.organisation_id,
            )
        )
        is not None
    )


def may_edit_sketch(user: User, application: Application) -> bool:
    """The sponsor writes the sketch while it is a draft."""
    return (
        user.role == APPLICANT
        and user.alliance_id == application.alliance_id
        and application.applicant_organisation_id == user.organisation_id
        and application.state == "sketch_draft"
    )


def may_see_assessment(user: User, application: Application) -> bool:
    """The internal side of the first assessment (consultations, comments): everyone who may see the
    application except the sponsor."""
    return user.role != APPLICANT and can_view(user, application)


def may_record_assessment(user: User, application: Application) -> bool:
    return (
        user.role == COORDINATOR and can_view(user, application) and application.state == "sketch_assessment"
    )


def may_comment_assessment(user: User, application: Application) -> bool:
    """NBank, MS and the consulted partners comment on a sketch in assessment."""
    if application.state != "sketch_assessment" or not can_view(user, application):
        return False
    if user.role == OBSERVER:
        return True
    return user.role == PARTNER and has_sketch_access(user, application)


def has_role_for(user: User | None, application: Application, trigger: Trigger) -> bool:
    """Whether `user` (None: the system) holds a role that may fire `trigger` on `application`."""
    if user is None:
        return SYSTEM in trigger.roles
    if user.role not in trigger.roles or not can_view(user, application):
        return False
    if user.role == APPLICANT:
        return application.applicant_organisation_id == user.organisation_id
    return True


def is_applicable(application: Application, trigger: Trigger) -> bool:
    for transition in trigger.transitions:
        if transition.source != application.state:
            continue
        guards = [g for g in transition.guards if g in APPLICABILITY_GUARDS]
        if all(getattr(application, g)(data={}) for g in guards):
            return True
    return False


def allowed_triggers(user: User, application: Application) -> list[Trigger]:
    """The triggers `user` may fire on `application` now, in the order of the lifecycle."""
    return [
        t
        for t in triggers_from(application.state)
        if has_role_for(user, application, t) and is_applicable(application, t)
    ]


# Documents that carry the salary details of the cost plan: the sponsor, the coordination and the
# observers read them; the partners see category totals only (DESIGN.md, "What a long form holds").
SALARY_DOCUMENT_KINDS = frozenset({"long_form", "nbank_application"})


def sees_salaries(user: User, application: Application) -> bool:
    return can_view(user, application) and user.role != PARTNER


def may_download(user: User, application: Application, document) -> bool:
    """The one rule for every download route (HTML and API) of an uploaded document."""
    if document is None or document.application_id != application.id or not can_view(user, application):
        return False
    return document.kind not in SALARY_DOCUMENT_KINDS or sees_salaries(user, application)


def may_edit(user: User, application: Application) -> bool:
    """The sponsor edits the application's data while a draft is theirs."""
    return (
        user.role == APPLICANT
        and user.alliance_id == application.alliance_id
        and application.applicant_organisation_id == user.organisation_id
        and application.state in ("consultation", "sketch_draft", "long_form_draft")
    )


def trigger_named(name: str) -> Trigger | None:
    return TRIGGERS_BY_NAME.get(name)


def may_upload(user: User, application: Application) -> bool:
    """The sponsor adds documents to their application until it is final; the coordination always."""
    if not can_view(user, application):
        return False
    if user.role == COORDINATOR:
        return True
    return (
        user.role == APPLICANT
        and application.applicant_organisation_id == user.organisation_id
        and not application.is_final
    )
