"""Fire a trigger of the lifecycle for a person, with what it records, in one transaction."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm
from flask import g, has_request_context
from flask_babel import lazy_gettext
from flask_babel import lazy_gettext as _l

from workflow.extensions import db
from workflow.i18n import joined
from workflow.lifecycle import (
    GUARD_MESSAGES,
    INITIAL_STATE,
    MACHINE,
    STATES_BY_NAME,
    TRIGGERS_BY_NAME,
    transitions_of,
)
from workflow.models import Application, Event, User
from workflow.models.event import log_event
from workflow.models.event_kinds import CREATED, TRANSITION
from workflow.services import access, notifications
from workflow.services.errors import InvalidTransition, NotAllowed, NotFound, RuleViolation

_GUARDED_BY_LOCK: tuple[type, ...] | None = None


def create_application(actor: User, **fields) -> Application:
    """A sponsor asks for a consultation on a new idea: the application starts in `consultation`."""
    if not access.may(actor, "request_consultation"):
        raise NotAllowed(_l("Nur Antragsteller können einen Antrag anlegen."))
    ensure_confirmed(actor)
    application = Application(
        alliance_id=actor.alliance_id,
        applicant_organisation_id=actor.organisation_id,
        created_by_id=actor.id,
        state=INITIAL_STATE,
    )
    fields_of_action = fields.pop("fields_of_action", [])
    districts = fields.pop("districts", [])
    for name, value in fields.items():
        setattr(application, name, value)
    application.fields_of_action = fields_of_action
    application.districts = districts
    db.session.add(application)
    db.session.flush()
    application.assign_reference(application.created_at.year)
    log_event(application, actor, CREATED, to_state=INITIAL_STATE, title=application.title)
    notifications.notify(
        notifications.coordinators(application.alliance_id),
        _l("Neue Beratungsanfrage: %(reference)s", reference=application.reference),
        _l(
            "%(sponsor)s bittet um ein Beratungsgespräch zu „%(title)s“.",
            sponsor=application.applicant.name,
            title=application.title,
        ),
        application,
        kind="consultation_requested",
        needs_action=True,
        awaits_state=INITIAL_STATE,
    )
    db.session.commit()
    return application


EMAIL_NOT_CONFIRMED = _l(
    "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse über den Link, den wir Ihnen geschickt haben. "
    "Danach können Sie Beratungen anfragen und Unterlagen einreichen."
)


def ensure_confirmed(actor: User | None) -> None:
    """A person whose address is not confirmed yet submits nothing."""
    if actor is not None and not actor.email_confirmed:
        raise NotAllowed(EMAIL_NOT_CONFIRMED)


def ensure_may_fire(application: Application, trigger_name: str, actor: User | None):
    """The trigger, if `actor` may fire it on `application` in its current state; raises otherwise."""
    trigger = TRIGGERS_BY_NAME.get(trigger_name)
    if trigger is None:
        raise NotFound(_l("Diese Aktion gibt es nicht."))
    if not access.may(actor, trigger.name, application):
        raise NotAllowed(
            _l(
                "Sie dürfen „%(action)s“ bei diesem Antrag nicht ausführen.",
                action=lazy_gettext(trigger.label),
            )
        )
    ensure_confirmed(actor)
    if not transitions_of(trigger.name, application.state) or not access.is_applicable(application, trigger):
        raise InvalidTransition(
            _l(
                "„%(action)s“ ist im Status „%(state)s“ nicht möglich.",
                action=lazy_gettext(trigger.label),
                state=lazy_gettext(STATES_BY_NAME[application.state].label),
            )
        )
    return trigger


def fire(application: Application, trigger_name: str, actor: User | None, data: dict | None = None) -> Event:
    """Fire `trigger_name` on `application` for `actor` (None: the system) and commit.

    Raises NotFound for an unknown trigger, NotAllowed (403) for a missing right, InvalidTransition
    (409) when the trigger does not apply in the current state, RuleViolation (422) when a guard
    refuses the data. Nothing is changed when it raises.
    """
    try:
        event = transition(application, trigger_name, actor, data)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return event


def transition(
    application: Application, trigger_name: str, actor: User | None, data: dict | None = None
) -> Event:
    """`fire` inside the caller's transaction, which commits (or rolls back) it with its own work:
    a closing that follows from a ballot is committed with the ballot. Raises as `fire` does,
    leaving the rollback to the caller."""
    data = dict(data or {})
    # Lock the row and read the state as it is now, so that two requests cannot both fire from the
    # same state.
    if trigger_name in AGENDA_TRIGGERS:
        lock_agenda(application.alliance_id)
    lock(application)
    trigger = ensure_may_fire(application, trigger_name, actor)
    from_state = application.state
    candidates = transitions_of(trigger.name, from_state)
    if not MACHINE.events[trigger.name].trigger(application, data=data):
        messages = _refusals(application, candidates, data)
        raise RuleViolation(joined(" ", messages), messages=messages)
    recorded = {k: v for k, v in data.items() if k in trigger.records}
    # What else the trigger does (a vote opened, a tally frozen...): the table in workflow/effects.py,
    # read here and not imported on top, since its functions fire triggers themselves.
    from workflow.effects import EFFECTS

    for fn in EFFECTS.get(trigger.name, ()):
        recorded |= fn(application, actor, data) or {}
    event = log_event(
        application, actor, TRANSITION, trigger=trigger.name, from_state=from_state, to_state=application.state, **recorded
    )
    notifications.state_changed(application, trigger.name, actor)
    db.session.flush()
    return event


def _guarded_by_lock() -> tuple[type, ...]:
    from workflow import models

    return tuple(
        getattr(models, name)
        for name in (
            "Application",
            "Vote",
            "Ballot",
            "Recusal",
            "Objection",
            "LongForm",
            "CostLine",
            "FinancingLine",
            "LongFormPartner",
            "CommitteeSession",
            "SessionAttendance",
        )
        if hasattr(models, name)
    )


# Lock order. A transaction that takes more than one of these locks takes them in this order, so
# that two of them can never wait for each other (a deadlock on PostgreSQL):
#   1. the alliance's agenda (`lock_agenda`): whatever changes which session an open vote is on,
#      or creates, moves or cancels a session (schedule, reschedule, cancel, enter_past, an
#      objection, `tick` moving a circulation, opening a vote onto a session);
#   2. a committee session (sessions._lock_session);
#   3. applications (`lock`), several in id order.
# Rows of 1 and 2 are locked FOR NO KEY UPDATE: rows that only reference them (a vote's session,
# an event's alliance) take a KEY SHARE lock, which it does not block.
# Triggers that put a vote on a session's agenda: `fire` takes the agenda first.
AGENDA_TRIGGERS = frozenset({"open_vote"})


def lock_agenda(alliance_id: int) -> None:
    """The alliance's agenda for this transaction alone: the sessions to come and which open vote
    is on which of them cannot change meanwhile. Taken before any application's lock."""
    lock_alliance(alliance_id)


def lock_alliance(alliance_id: int) -> None:
    """The alliance's row for this transaction alone (FOR NO KEY UPDATE; on SQLite a no-op UPDATE
    takes the database's write lock): what the alliance holds as a whole (its agenda, its funding
    periods) is checked and changed by one transaction at a time."""
    from workflow.models import Alliance

    db.session.flush()
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(sa.text("UPDATE alliances SET id = id WHERE id = :id"), {"id": alliance_id})
    else:
        db.session.execute(
            sa.select(Alliance.id).where(Alliance.id == alliance_id).with_for_update(key_share=True)
        )


def lock(application: Application) -> None:
    """Take the application's write lock and forget everything read before it.

    Every change of an application, its vote and its ballots goes through this first, so changes
    are serialised per application: PostgreSQL locks the row (SELECT … FOR UPDATE); SQLite has one
    writer at a time, so a no-op UPDATE as the first write takes its write lock (waiting up to the
    busy timeout), and nothing of the application's own records read before the lock is trusted
    afterwards (they are expired and read again).
    """
    global _GUARDED_BY_LOCK
    if _GUARDED_BY_LOCK is None:
        _GUARDED_BY_LOCK = _guarded_by_lock()
    db.session.flush()
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(sa.text("UPDATE applications SET id = id WHERE id = :id"), {"id": application.id})
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, _GUARDED_BY_LOCK):
            db.session.expire(obj)
    db.session.refresh(application, with_for_update=True)


def commit_as_written() -> None:
    """Commit, keeping what this transaction loaded and wrote instead of expiring it, so that the
    answer built right after (the vote after a ballot) shows the state as committed without reading
    it all again. For work done under `lock`, whose records nobody else changed meanwhile."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _refusals(application: Application, candidates, data: dict) -> list:
    messages: list = []
    for transition in candidates:  # the first guard that refuses each way out of the state
        failed = next((g for g in transition.guards if not getattr(application, g)(data=data)), None)
        if not failed:
            continue
        # A guard may explain itself with the figures at hand (`<guard>_message`).
        explain = getattr(application, f"{failed}_message", None)
        message = explain(data=data) if explain else lazy_gettext(GUARD_MESSAGES[failed])
        if message not in messages:
            messages.append(message)
    return messages or [_l("Die Aktion wurde abgelehnt.")]


def history(application: Application) -> list[Event]:
    """Every event of the application, oldest first. Within a request it is read once: the page's
    sections (the assessment letter, …) ask `latest_transition` and find it here."""
    known = _histories()
    if application.id not in known:
        known[application.id] = list(
            db.session.scalars(
                db.select(Event).where(Event.application_id == application.id).order_by(Event.id)
            )
        )
    return known[application.id]


def latest_transition(application: Application, *triggers: str) -> Event | None:
    """The application's latest transition by one of `triggers` (from the request's history when
    it has been read)."""
    known = _histories().get(application.id)
    if known is not None:
        return next((e for e in reversed(known) if e.kind == TRANSITION and e.trigger in triggers), None)
    return db.session.scalar(
        sa.select(Event)
        .where(Event.application_id == application.id, Event.kind == TRANSITION, Event.trigger.in_(triggers))
        .order_by(Event.id.desc())
        .limit(1)
    )


def _histories() -> dict[int, list[Event]]:
    """The histories read in this request (none outside one: tests and commands read afresh)."""
    if not has_request_context():
        return {}
    return g.setdefault("histories", {})


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _forget_histories(session, flush_context, instances):
    # A new event makes a history read before it incomplete.
    if has_request_context() and any(isinstance(obj, Event) for obj in session.new):
        g.pop("histories", None)
