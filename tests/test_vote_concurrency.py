"""Many ballots at once, from threads, each in its own session and connection as in a real server:
several representatives of one partner, several partners, a close racing the last ballots, two
`tick` runs at once. Runs on SQLite and PostgreSQL (each change takes the application's lock)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from workflow.extensions import db
from workflow.models import Application, Ballot, Event, User
from workflow.services.errors import DomainError
from workflow.services.lifecycle import fire
from workflow.votes import casting
from workflow.votes import jobs as vote_jobs


def _run_together(app, calls):
    """Run each call in its own thread and app context, all released at once; returns outcomes."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def worker(index, call):
        with app.app_context():
            barrier.wait()
            try:
                outcomes[index] = ("ok", call())
            except DomainError as error:
                outcomes[index] = ("refused", type(error).__name__)
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                outcomes[index] = ("error", repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def _ballot(application_id, user_id, choice):
    def call():
        application = db.session.get(Application, application_id)
        user = db.session.get(User, user_id)
        comment = "Nicht überzeugend." if choice == "reject" else None
        casting.cast_ballot(application, user, choice, comment, rating_feasibility=3)
        return user.organisation_id

    return call


def _close(application_id, user_id):
    def call():
        fire(db.session.get(Application, application_id), "close_vote", db.session.get(User, user_id))
        return "closed"

    return call


def test_ballots_from_threads_are_counted_exactly_and_none_after_the_close(app, world):
    application = world.application("partner_vote")
    world.walker.vote(application, ["approve"] * 7)  # quorum: the close may win at any moment
    app_id = application.id
    voted = {b.organisation_id for b in application.current_vote.ballots}
    waiting = [p for p in world.walker.partners if p.organisation_id not in voted]
    deputy = world.user("partner-ihk-deputy")
    calls = []
    for partner in waiting:  # two concurrent casts per remaining partner, different choices
        calls += [_ballot(app_id, partner.id, "approve"), _ballot(app_id, partner.id, "reject")]
    calls += [_ballot(app_id, deputy.id, "abstain"), _ballot(app_id, world.user("partner-ihk").id, "reject")]
    calls.append(_close(app_id, world.user("coordinator").id))
    db.session.commit()

    outcomes = _run_together(app, calls)

    assert not [o for o in outcomes if o[0] == "error"], outcomes
    db.session.expire_all()
    application = db.session.get(Application, app_id)
    vote = application.current_vote
    assert application.state == "statement_pending" and not vote.is_open
    ballots = db.session.query(Ballot).filter_by(vote_id=vote.id).all()
    assert len(ballots) == len({b.organisation_id for b in ballots})  # one per organisation
    frozen = vote.frozen_tally
    assert frozen["approve"] + frozen["reject"] + frozen["abstain"] == len(ballots)
    counted = {c: sum(b.choice == c for b in ballots) for c in ("approve", "reject", "abstain")}
    assert counted == {c: frozen[c] for c in counted}
    events = db.session.query(Event).filter_by(application_id=app_id).order_by(Event.id).all()
    close = next(e for e in events if e.trigger == "close_vote")
    casts = [e for e in events if e.kind == "ballot_cast"]
    assert all(e.id < close.id for e in casts)  # nothing was cast after the close
    assert len(casts) == 7 + sum(o[0] == "ok" for o in outcomes[:-1])  # every accepted cast logged
    for ballot in ballots:  # the last cast of each organisation is the one that counts
        last = [e for e in casts if e.data["organisation_id"] == ballot.organisation_id][-1]
        assert last.data["choice"] == ballot.choice
    assert sum(e.trigger == "close_vote" for e in events) == 1
    refused = [o for o in outcomes if o[0] == "refused"]
    assert all(o[1] in ("InvalidTransition", "RuleViolation") for o in refused)


def test_two_ticks_at_once_settle_a_due_vote_once(app, world):
    application = world.application("partner_vote")
    world.walker.vote(application, ["approve"] * 8)
    application.current_vote.deadline_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    outcomes = _run_together(app, [vote_jobs.close_due_votes for _ in range(4)])
    assert not [o for o in outcomes if o[0] == "error"], outcomes
    assert sum(o[1] for o in outcomes) == 1
    assert db.session.query(Event).filter_by(application_id=application.id, trigger="close_vote").count() == 1


def test_a_ballot_sent_again_is_stored_once(world):
    """A client (or the proxy, for a PUT) sends a ballot again whose answer was lost with a dying
    node: the same ballot by the same person records nothing new and is answered as stored, even
    when that ballot closed the vote; a different one after the close is refused."""
    application = world.application("partner_vote")
    world.walker.vote(application, ["approve"] * 13)
    vote = application.current_vote
    voted = {b.organisation_id for b in vote.ballots}
    (last,) = [p for p in world.walker.partners if p.organisation_id not in voted]
    casts = lambda: db.session.query(Event).filter_by(application_id=application.id, kind="ballot_cast").count()  # noqa: E731
    before = casts()
    first = casting.cast_ballot(application, last, "approve", None, rating_feasibility=3)
    assert db.session.get(Application, application.id).state == "statement_pending"  # it closed the vote
    again = casting.cast_ballot(application, last, "approve", None, rating_feasibility=3)
    assert again.id == first.id and casts() == before + 1
    with pytest.raises(DomainError):
        casting.cast_ballot(application, last, "approve", None, rating_feasibility=4)
    assert casts() == before + 1
