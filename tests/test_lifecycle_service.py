"""Firing triggers through the domain operation: every allowed transition, every forbidden one by
state and by role, the guards, and the event each writes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.expectations import FINAL, ROLES, STATES, TRIGGERS
from workflow import demo
from workflow.demo import placeholder_pdf
from workflow.extensions import db
from workflow.models import CommitteeSession, Event, FundingObject
from workflow.services import access, long_forms, sessions
from workflow.services.errors import InvalidTransition, NotAllowed, RuleViolation
from workflow.services.lifecycle import fire
from workflow.votes import timing

TODAY = date.today()
ROLE_USER = {
    "applicant": "applicant-bildungswerk",
    "partner": "partner-dgb",
    "coordinator": "coordinator",
    "observer": "observer-nbank",
}
VALID = {
    "record_consultation": {
        "consultation_date": TODAY,
        "participants": "Koordination, Träger",
        "notes": "Gespräch geführt.",
        "recommendation": "Skizze schreiben.",
    },
    "submit_sketch": {},
    "start_assessment": {},
    "request_sketch_revision": {"reason": "Zielgruppe schärfen."},
    "invite_long_form": {
        "parties_consulted": "NBank, MS",
        "fundable": True,
        "fits_strategy": True,
        "notes": "",
    },
    "decline_sketch": {"reason": "Nicht förderfähig."},
    "submit_long_form": {},
    "request_long_form_revision": {"deficiencies": "Unterschrift fehlt."},
    "open_vote": {"mode": "circulation", "deadline": TODAY + timedelta(days=8), "session_id": None},
    "close_vote": {},
    "issue_statement": {"decision": "endorse", "statement": "Befürwortet.", "requested_changes": ""},
    "pass_without_vote": {"note": "Weiterbildung über Landesaufruf."},
    "record_nbank_submission": {
        "nbank_reference": "ESF-2026-0001",
        "submitted_on": TODAY,
        "document": placeholder_pdf("Antrag"),
    },
    "record_grant": {
        "granted_on": TODAY,
        "amount_granted": 100_00,
        "funded_from": date(2027, 1, 1),
        "funded_until": date(2027, 12, 31),
        "document": placeholder_pdf("Bescheid"),
    },
    "record_nbank_decline": {
        "declined_on": TODAY,
        "reason": "Mittel erschöpft.",
        "document": placeholder_pdf("Ablehnung"),
    },
    "withdraw": {"reason": "Anders entschieden."},
}

ALLOWED = [
    (trigger, source, role)
    for trigger, (sources, _, roles, _) in TRIGGERS.items()
    for source in sources
    for role in sorted(roles)
]


def _prepare(world, trigger, source):
    """An application in `source` on which `trigger`'s guards hold."""
    if trigger == "pass_without_vote":
        for fo in world.alliance.funding_objects:
            fo.needs_statement = False
        db.session.commit()
    application = world.application(source)
    if trigger == "submit_long_form":
        demo.fill_long_form(application, world.user("applicant-bildungswerk"))
    if trigger == "close_vote":
        world.walker.vote(application, ["approve"] * 7)  # quorum, not everyone
    return application


@pytest.mark.parametrize(("trigger", "source", "role"), ALLOWED)
def test_allowed_transition_changes_state_and_writes_the_event(world, trigger, source, role):
    application = _prepare(world, trigger, source)
    actor = world.user(ROLE_USER[role])
    event = fire(application, trigger, actor, VALID[trigger])
    dests = TRIGGERS[trigger][1]
    assert application.state in dests
    stored = db.session.get(Event, event.id)
    assert (stored.trigger, stored.from_state, stored.to_state) == (trigger, source, application.state)
    assert stored.actor_id == actor.id
    assert set(stored.data) >= {k for k, v in VALID[trigger].items() if v not in (None, "")}


@pytest.mark.parametrize("state", list(STATES))
def test_triggers_that_do_not_start_in_a_state_are_refused_with_409(world, state):
    application = world.application(state)
    for trigger, (sources, _, roles, _) in TRIGGERS.items():
        if state in sources:
            continue
        for role in roles:
            with pytest.raises(InvalidTransition):
                fire(application, trigger, world.user(ROLE_USER[role]), VALID[trigger])
            assert application.state == state


@pytest.mark.parametrize("state", [s for s in STATES if s not in FINAL])
def test_roles_that_may_not_fire_a_trigger_are_refused_with_403(world, state):
    application = world.application(state)
    events_before = db.session.scalar(sa.select(sa.func.count()).select_from(Event))
    for trigger, (sources, _, roles, _) in TRIGGERS.items():
        if state not in sources:
            continue
        for role in ROLES:
            if role in roles:
                continue
            with pytest.raises(NotAllowed):
                fire(application, trigger, world.user(ROLE_USER[role]), VALID[trigger])
    assert application.state == state
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == events_before


def test_a_sponsor_cannot_act_on_another_organisations_application(world):
    application = world.application("sketch_draft")
    with pytest.raises(NotAllowed):
        fire(application, "submit_sketch", world.user("applicant-lwz"), {})
    assert application.state == "sketch_draft"


def test_a_coordinator_of_another_alliance_cannot_act(world):
    from workflow.models import Alliance
    from workflow.services import accounts

    other = Alliance(slug="wob", name="Fachkräftebündnis Südostniedersachsen")
    db.session.add(other)
    db.session.commit()
    stranger = accounts.create_user(
        email="koordination@wob.example",
        name="K",
        role="coordinator",
        organisation="Koordination WOB",
        password="sehr-geheimes-passwort",
        alliance_slug="wob",
    )
    application = world.application("consultation")
    with pytest.raises(NotAllowed):
        fire(application, "record_consultation", stranger, VALID["record_consultation"])
    assert not access.may(stranger, "view", application)


# -- guards ----------------------------------------------------------------------------------------


def test_an_incomplete_sketch_cannot_be_submitted(world):
    application = world.application("sketch_draft")
    application.fields_of_action = []
    db.session.commit()
    with pytest.raises(RuleViolation, match="nicht vollständig"):
        fire(application, "submit_sketch", world.user("applicant-bildungswerk"), {})
    assert application.state == "sketch_draft"


def test_the_long_form_is_invited_only_on_a_positive_assessment(world):
    application = world.application("sketch_assessment")
    data = VALID["invite_long_form"] | {"fundable": False}
    with pytest.raises(RuleViolation, match="förderfähig"):
        fire(application, "invite_long_form", world.user("coordinator"), data)
    assert application.state == "sketch_assessment"


def test_plans_must_balance_before_the_long_form_is_submitted(world):
    application = world.application("long_form_draft")
    sponsor = world.user("applicant-bildungswerk")
    demo.fill_long_form(application, sponsor)
    costs, financing = demo.plan_lines(application.total_cost_cents, application.requested_grant_cents)
    financing[-1]["amount_cents"] -= 1_234_56
    long_forms.save_section(application, sponsor, "financing", {"lines": financing})
    with pytest.raises(RuleViolation, match="Finanzierungsplan .*1.234,56.€ weniger als der Kostenplan"):
        fire(application, "submit_long_form", world.user("applicant-bildungswerk"), {})


def test_a_circulation_needs_a_future_deadline_and_a_session_its_date(world):
    application = world.application("long_form_submitted")
    coordinator = world.user("coordinator")
    with pytest.raises(RuleViolation):
        fire(application, "open_vote", coordinator, {"mode": "circulation", "deadline": TODAY})
    with pytest.raises(RuleViolation):
        fire(application, "open_vote", coordinator, {"mode": "session", "session_id": None})
    past = CommitteeSession(  # planned back then (today it could not be planned any more)
        alliance_id=coordinator.alliance_id,
        starts_at=datetime.now(UTC) - timedelta(days=3),
        place="IHK, Saal 1",
        created_by_id=coordinator.id,
    )
    db.session.add(past)
    db.session.commit()
    with pytest.raises(RuleViolation):
        fire(application, "open_vote", coordinator, {"mode": "session", "session_id": past.id})
    session = sessions.schedule(coordinator, datetime.now(UTC) + timedelta(days=3), "IHK, Saal 1", "")
    fire(application, "open_vote", coordinator, {"mode": "session", "session_id": session.id})
    assert application.current_vote.mode == "session"
    assert application.current_vote.session_id == session.id


def test_a_deadline_on_a_holiday_moves_to_the_next_working_day(world):
    application = world.application("long_form_submitted")
    christmas_eve = date(TODAY.year + 1, 12, 24)
    # 24.12. is a working day unless it is a weekend; 25./26.12. are holidays; pick the 25th.
    fire(
        application,
        "open_vote",
        world.user("coordinator"),
        {"mode": "circulation", "deadline": christmas_eve + timedelta(days=1)},
    )
    deadline = application.current_vote.deadline_at.astimezone(timing.deadlines.BERLIN)
    assert deadline.date() > date(TODAY.year + 1, 12, 26)
    assert deadline.weekday() < 5
    assert (deadline.hour, deadline.minute) == (23, 59)


def test_open_vote_and_pass_without_vote_depend_on_the_funding_object(world):
    application = world.application("long_form_submitted")
    coordinator = world.user("coordinator")
    offered = {t.name for t in access.allowed_triggers(coordinator, application)}
    assert "open_vote" in offered and "pass_without_vote" not in offered
    with pytest.raises(InvalidTransition):
        fire(application, "pass_without_vote", coordinator, VALID["pass_without_vote"])
    application.funding_object.needs_statement = False
    db.session.commit()
    offered = {t.name for t in access.allowed_triggers(coordinator, application)}
    assert "pass_without_vote" in offered and "open_vote" not in offered
    with pytest.raises(InvalidTransition):
        fire(application, "open_vote", coordinator, VALID["open_vote"])
    fire(application, "pass_without_vote", coordinator, VALID["pass_without_vote"])
    assert application.state == "endorsed"


def test_a_grant_larger_than_requested_is_refused(world):
    application = world.application("nbank_submitted")
    data = VALID["record_grant"] | {"amount_granted": application.requested_grant_cents + 1}
    with pytest.raises(RuleViolation, match="nicht übersteigen"):
        fire(application, "record_grant", world.user("coordinator"), data)
    assert application.state == "nbank_submitted"


def test_allowed_triggers_answer_per_role(world):
    application = world.application("endorsed")
    names = {
        role: [t.name for t in access.allowed_triggers(world.user(ROLE_USER[role]), application)]
        for role in ROLES
    }
    assert names == {
        "applicant": ["record_nbank_submission", "withdraw"],
        "partner": [],
        "observer": [],
        "coordinator": ["record_nbank_submission", "withdraw"],
    }


def test_funding_objects_are_settings_per_alliance(world):
    numbers = db.session.scalars(
        sa.select(FundingObject.number).where(FundingObject.alliance_id == world.alliance.id)
    ).all()
    assert sorted(numbers) == [1, 2, 3]
