"""Who may see which application and do what with it: `may` evaluates the table of
workflow/permissions.py (DESIGN.md, "The people")."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, has_request_context

from workflow.extensions import db
from workflow.lifecycle import (
    SYSTEM,
    TRIGGERS_BY_NAME,
    Trigger,
    states_only_after,
    triggers_from,
)
from workflow.models import Application, Event, SketchAccess, User, Vote
from workflow.permissions import (
    CONSULTED,
    HAS_LONG_FORM,
    HAS_VOTE,
    IN_ALLIANCE,
    OWNER,
    PERMISSIONS,
    PUT_TO_VOTE,
    SKETCH_SUBMITTED,
    VOTE_CLOSED,
)

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
    """A query of the applications `user` may see: the `view` grants of the table as SQL (they
    hold in every state, so only their relations are asked)."""
    query = sa.select(Application).where(Application.alliance_id == user.alliance_id)
    clauses = [
        _relation_clause(user, grant.relation) for grant in PERMISSIONS["view"] if user.role in grant.roles
    ]
    if not clauses:
        return query.where(sa.false())
    if any(clause is None for clause in clauses):  # anything of the alliance
        return query
    return query.where(sa.or_(*clauses))


def _relation_clause(user: User, relation: str):
    """`_relates` as a condition on the applications (None: no condition)."""
    if relation == IN_ALLIANCE:
        return None
    if relation == OWNER:
        return Application.applicant_organisation_id == user.organisation_id
    if relation == PUT_TO_VOTE:
        return sa.exists().where(Vote.application_id == Application.id)
    if relation == CONSULTED:
        return sa.exists().where(
            SketchAccess.application_id == Application.id,
            SketchAccess.organisation_id == user.organisation_id,
        )
    if relation == SKETCH_SUBMITTED:
        return _sketch_was_submitted()
    raise KeyError(relation)


def may(user: User | None, verb: str, obj=None) -> bool:
    """Whether `user` (None: the app itself) may `verb` on `obj`, by the table in
    workflow/permissions.py: an application, a document for `download`, None for the verbs about
    the alliance. An unknown verb is a KeyError: a misspelt verb must fail loudly, not refuse."""
    grants = PERMISSIONS[verb]
    if verb == "download":
        return _may_download(user, obj)
    if user is None:  # the system: only the triggers that name it
        return any(SYSTEM in grant.roles for grant in grants)
    if grants[0].states is None:
        return any(user.role in grant.roles for grant in grants)
    application = obj
    if application is None or user.alliance_id != application.alliance_id:
        return False
    # Role and state first: they cost nothing, the relations may ask the database.
    candidates = [grant for grant in grants if user.role in grant.roles and application.state in grant.states]
    if not candidates or (verb != "view" and not may(user, "view", application)):
        return False
    return any(_relates(user, application, grant.relation) for grant in candidates)


def _relates(user: User, application: Application, relation: str) -> bool:
    if relation == IN_ALLIANCE:
        return True  # checked before any grant
    if relation == OWNER:
        return application.applicant_organisation_id == user.organisation_id
    if relation == CONSULTED:
        return _has_sketch_access(user, application)
    if relation == PUT_TO_VOTE:
        return bool(application.votes)
    if relation == SKETCH_SUBMITTED:
        return _sketch_submitted(application)
    if relation == HAS_VOTE:
        return application.current_vote is not None
    if relation == VOTE_CLOSED:
        return application.current_vote is not None and not application.current_vote.is_open
    if relation == HAS_LONG_FORM:
        return application.long_form is not None
    raise KeyError(relation)


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


def _has_sketch_access(user: User, application: Application) -> bool:
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


# Documents that carry the salary details of the cost plan: the sponsor, the coordination and the
# observers read them; the partners see category totals only (DESIGN.md, "What a long form holds").
# A rule of the document's kind, not of state and role: hence here rather than in the table.
SALARY_DOCUMENT_KINDS = frozenset({"long_form", "nbank_application"})


def _may_download(user: User | None, document) -> bool:
    """The one rule for every download route (HTML and API) of an uploaded document; the route
    checks that the document is one of the application it names."""
    if user is None or document is None:
        return False
    application = db.session.get(Application, document.application_id)  # from the identity map
    if not may(user, "view", application):
        return False
    return document.kind not in SALARY_DOCUMENT_KINDS or may(user, "see_salaries", application)


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
        if may(user, t.name, application) and is_applicable(application, t)
    ]


def trigger_named(name: str) -> Trigger | None:
    return TRIGGERS_BY_NAME.get(name)
