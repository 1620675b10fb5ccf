"""Who may do what, as data beside the lifecycle tables (DESIGN.md, "The people").

Pure like `workflow.lifecycle`, whose states and roles it names: it imports nothing else of the app.
`workflow.services.access.may(user, verb, obj)` evaluates it; views, the API, the templates
(`may(verb, application)`) and the operations ask that one function.

A verb is granted by any one of its `Grant`s: the person's role is one of `roles`, the application
is in one of `states` and the person stands in the grant's `relation` to it. Every verb on an
application also needs `view` (one may not act on what one may not see); `view` itself is the
visibility rule. Verbs with `states=None` are not about one application but about the person's
alliance (a page, a kind of data); `obj` is then None.

Every trigger of the lifecycle is a verb too (`may(user, "submit_sketch", application)`): its
roles are the trigger's; whether the application's state lets it fire is the machine's to say (it
answers with its own message), so the grant holds in every state.

Not state × role, and therefore evaluated where the data is rather than in this table:
- `download` of a document: a document whose kind carries salary details
  (`access.SALARY_DOCUMENT_KINDS`) also needs `see_salaries`; `obj` is the document.
- the partners' vote (cast a ballot, declare a conflict of interest, object to a circulation): it
  depends on the vote's own data (open, recusals, deadline, mode), see `workflow/votes/casting.py`,
  `workflow/votes/to_session.py` and `workflow/votes/queries.py` (ballot secrecy:
  `sees_how_partners_voted`).
- whether a committee session can still be changed (`services/sessions.may_change`): a property
  of the session, not of the person.
- whether an account may sign in by link (`services/sign_in_links.may_use`): authentication, not
  what a person may do once signed in.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflow.lifecycle import (
    APPLICANT,
    COORDINATOR,
    INITIAL_STATE,
    NON_FINAL_STATES,
    OBSERVER,
    PARTNER,
    ROLES,
    STATE_NAMES,
    TRIGGERS,
    TRIGGERS_BY_NAME,
)

# How a person (or the application) must relate for a grant to hold; access.py evaluates them.
IN_ALLIANCE = "in_alliance"  # anyone of the application's alliance with the role
OWNER = "owner"  # a person of the sponsor's organisation (the applicant organisation)
CONSULTED = "consulted"  # a partner whose organisation the coordination gave the sketch to read
PUT_TO_VOTE = "put_to_vote"  # the application was put to the partners' vote (any vote, ever)
SKETCH_SUBMITTED = "sketch_submitted"  # its sketch was submitted once (observers are consulted from then)
HAS_VOTE = "has_vote"  # it has a current vote
VOTE_CLOSED = "vote_closed"  # its current vote is closed
HAS_LONG_FORM = "has_long_form"  # a long form has been started

RELATIONS = frozenset(
    {IN_ALLIANCE, OWNER, CONSULTED, PUT_TO_VOTE, SKETCH_SUBMITTED, HAS_VOTE, VOTE_CLOSED, HAS_LONG_FORM}
)

ALL_STATES: frozenset[str] = frozenset(STATE_NAMES)
NOT_FINAL: frozenset[str] = frozenset(NON_FINAL_STATES)


def sources_of(trigger: str) -> frozenset[str]:
    """The states `trigger` leaves: e.g. the sponsor writes the sketch where it is submitted from."""
    return frozenset(t.source for t in TRIGGERS_BY_NAME[trigger].transitions)


SKETCH_DRAFT = sources_of("submit_sketch")
LONG_FORM_DRAFT = sources_of("submit_long_form")
# Where the sponsor's words are still their own: the consultation request and both drafts.
DRAFTS = SKETCH_DRAFT | LONG_FORM_DRAFT
SPONSOR_EDITS = frozenset({INITIAL_STATE}) | DRAFTS
# The first assessment is recorded and commented where it decides (invite, revise or decline).
IN_ASSESSMENT = sources_of("invite_long_form")


@dataclass(frozen=True)
class Grant:
    roles: tuple[str, ...]
    states: frozenset[str] | None  # None: a verb about the alliance, not one application
    relation: str = IN_ALLIANCE


PERMISSIONS: dict[str, tuple[Grant, ...]] = {
    # -- one application -------------------------------------------------------------------
    "view": (
        Grant((COORDINATOR,), ALL_STATES),
        Grant((APPLICANT,), ALL_STATES, OWNER),
        Grant((PARTNER,), ALL_STATES, PUT_TO_VOTE),
        Grant((PARTNER,), ALL_STATES, CONSULTED),
        Grant((OBSERVER,), ALL_STATES, SKETCH_SUBMITTED),
    ),
    # The application's own data (title, amounts, the consultation request).
    "edit": (Grant((APPLICANT,), SPONSOR_EDITS, OWNER),),
    "edit_sketch": (Grant((APPLICANT,), SKETCH_DRAFT, OWNER),),
    "edit_long_form": (Grant((APPLICANT,), LONG_FORM_DRAFT, OWNER),),
    # The long form's page: once one exists, and for the sponsor who may start it.
    "view_long_form": (
        Grant(ROLES, ALL_STATES, HAS_LONG_FORM),
        Grant((APPLICANT,), LONG_FORM_DRAFT, OWNER),
    ),
    # Documents: the sponsor until the application is final; the coordination always.
    "upload": (
        Grant((COORDINATOR,), ALL_STATES),
        Grant((APPLICANT,), NOT_FINAL, OWNER),
    ),
    "download": (Grant(ROLES, ALL_STATES),),  # and the salary rule above
    # Salary details of the cost plan: never the partners (DESIGN.md, "What a long form holds").
    "see_salaries": (Grant((APPLICANT, COORDINATOR, OBSERVER), ALL_STATES),),
    # The internal side of the first assessment: everyone who may see the application but the sponsor.
    "see_assessment": (Grant((PARTNER, COORDINATOR, OBSERVER), ALL_STATES),),
    "record_assessment": (Grant((COORDINATOR,), IN_ASSESSMENT),),
    "comment_assessment": (
        Grant((OBSERVER,), IN_ASSESSMENT),
        Grant((PARTNER,), IN_ASSESSMENT, CONSULTED),
    ),
    # The vote page: partners and coordination while the application has a vote.
    "open_vote_page": (Grant((PARTNER, COORDINATOR), ALL_STATES, HAS_VOTE),),
    # The vote protocol: the coordination; the partners once the vote is closed.
    "read_protocol": (
        Grant((COORDINATOR,), ALL_STATES, HAS_VOTE),
        Grant((PARTNER,), ALL_STATES, VOTE_CLOSED),
    ),
    # -- the alliance ------------------------------------------------------------------------
    # The coordination's own pages: settings, invitations, sessions planned, webhooks, the inbox …
    "coordinate": (Grant((COORDINATOR,), None),),
    "request_consultation": (Grant((APPLICANT,), None),),
    "see_sessions": (Grant((COORDINATOR, PARTNER, OBSERVER), None),),
    "see_budget": (Grant((COORDINATOR, PARTNER), None),),
    "see_figures": (Grant((COORDINATOR, OBSERVER), None),),
    # -- the lifecycle's triggers: roles from the trigger table, states the machine's ------------
    **{
        trigger.name: tuple(
            Grant((role,), ALL_STATES, OWNER if role == APPLICANT else IN_ALLIANCE) for role in trigger.roles
        )
        for trigger in TRIGGERS
    },
}

VERBS: frozenset[str] = frozenset(PERMISSIONS)
