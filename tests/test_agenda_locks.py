"""Changes of the agenda at once, from threads, each in its own session and connection as in a
real server: a session cancelled while a partner objects to a circulation (the objection's vote
must go to a session that takes place), and cancelling, moving, objecting and `tick` together.
Every path takes the locks in one order (services/lifecycle.py), so none waits for another in a
circle: PostgreSQL would end one of them with a deadlock error. On PostgreSQL only (SQLite has
one writer at a time: nothing there can wait in a circle)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.concurrency import in_thread, second_while_first_holds
from workflow.extensions import db
from workflow.models import Application, CommitteeSession, User, Vote
from workflow.rules.deadlines import BERLIN
from workflow.services import sessions
from workflow.services.lifecycle import fire
from workflow.votes import jobs as vote_jobs
from workflow.votes import to_session

NOW = datetime.now(UTC)


@pytest.fixture(autouse=True)
def _postgresql_only(ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("lock order matters on PostgreSQL (row locks); SQLite has one writer")


def _at(days: int) -> datetime:
    day = NOW.astimezone(BERLIN).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, 14, tzinfo=BERLIN)


def _on_session(world, session) -> Application:
    application = world.application("long_form_submitted")
    fire(application, "open_vote", world.user("coordinator"), {"mode": "session", "session_id": session.id})
    return application


def _object(application_id: int, user_id: int):
    def call():
        to_session.object_to_circulation(
            db.session.get(Application, application_id), db.session.get(User, user_id), "Im Gremium."
        )
        return "objected"

    return call


def _cancel(session_id: int, user_id: int):
    def call():
        return sessions.cancel(
            db.session.get(CommitteeSession, session_id), db.session.get(User, user_id), "Terminkonflikt."
        )

    return call


def test_an_objection_while_the_session_is_cancelled_goes_to_a_session_that_takes_place(app, world):
    coordinator = world.user("coordinator")
    first = sessions.schedule(coordinator, _at(8), "IHK", "Voten")
    second = sessions.schedule(coordinator, _at(30), "HWK", "Voten")
    on_first = _on_session(world, first)
    circulation = world.application("partner_vote", applicant="applicant-lwz")
    ids = {"first": first.id, "second": second.id, "on_first": on_first.id, "circulation": circulation.id}
    partner, coordinator_id = world.user("partner-dgb").id, coordinator.id
    db.session.commit()

    outcomes = second_while_first_holds(
        app, _object(ids["circulation"], partner), _cancel(ids["first"], coordinator_id)
    )

    assert outcomes == {"first": ("ok", "objected"), "second": ("ok", 2)}, outcomes
    db.session.expire_all()
    for key in ("on_first", "circulation"):
        vote = db.session.get(Application, ids[key]).current_vote
        assert vote.mode == "session" and vote.session_id == ids["second"], key
    assert db.session.get(CommitteeSession, ids["first"]).cancelled


def test_cancelling_moving_objecting_and_tick_at_once_end_without_a_deadlock(app, world):
    coordinator = world.user("coordinator")
    first = sessions.schedule(coordinator, _at(8), "IHK", "Voten")
    second = sessions.schedule(coordinator, _at(20), "HWK", "Voten")
    items = [_on_session(world, first), _on_session(world, second), _on_session(world, second)]
    objected = [world.application("partner_vote", applicant=k) for k in ("applicant-lwz", "applicant-elbtal")]
    due = world.application("partner_vote")  # without quorum at its deadline: `tick` moves it
    due.current_vote.deadline_at = NOW - timedelta(minutes=1)
    db.session.commit()
    partner, coordinator_id = world.user("partner-dgb").id, coordinator.id
    session_ids = (first.id, second.id)

    def reschedule():
        session = db.session.get(CommitteeSession, session_ids[1])
        return sessions.reschedule(session, db.session.get(User, coordinator_id), _at(21), "HWK", "Voten")

    calls = {
        "cancel first": _cancel(session_ids[0], coordinator_id),
        "move second": reschedule,
        "tick": vote_jobs.close_due_votes,
        **{f"object {a.id}": _object(a.id, partner) for a in objected},
    }
    outcomes: dict = {}
    barrier = threading.Barrier(len(calls))

    def together(call):
        def run():
            barrier.wait(timeout=30)
            return call()

        return run

    threads = [in_thread(app, together(call), outcomes, key) for key, call in calls.items()]
    for thread in threads:
        thread.join(timeout=120)

    assert all(outcome[0] == "ok" for outcome in outcomes.values()) and len(outcomes) == 5, outcomes
    db.session.expire_all()
    # Every vote that went to a session is on the one that takes place, moved to its new day.
    for application in [*items, *objected, due]:
        vote = db.session.get(Vote, db.session.get(Application, application.id).current_vote.id)
        assert vote.mode == "session" and vote.session_id == session_ids[1], application.reference
        assert vote.session_date == _at(21).date(), application.reference
