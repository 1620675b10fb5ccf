"""Every transition is an event that is never changed or deleted; the history is read from it."""

import pytest

from workflow.extensions import db
from workflow.models import Event
from workflow.models.event import EventLogIsAppendOnly
from workflow.services.lifecycle import history


def test_the_history_tells_the_way_an_application_went(world):
    application = world.application("granted")
    events = history(application)
    transitions = [(e.trigger, e.from_state, e.to_state) for e in events if e.kind == "transition"]
    assert transitions[0] == ("record_consultation", "consultation", "sketch_draft")
    assert transitions[-1] == ("record_grant", "nbank_submitted", "granted")
    assert [e.to_state for e in events if e.kind == "transition"][:6] == [
        "sketch_draft",
        "sketch_submitted",
        "sketch_assessment",
        "long_form_draft",
        "long_form_submitted",
        "partner_vote",
    ]
    assert events[0].kind == "created"
    assert all(e.created_at.tzinfo is not None for e in events)
    grant = events[-1]
    assert set(grant.data) == {"granted_on", "amount_granted", "funded_from", "funded_until", "document"}
    assert grant.data["amount_granted"] == application.requested_grant_cents
    assert grant.data["document"]["kind"] == "grant_notice"


def test_an_event_cannot_be_changed(world):
    application = world.application("sketch_draft")
    event = history(application)[-1]
    event.data = {"notes": "nachträglich geändert"}
    with pytest.raises(EventLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()


def test_an_event_cannot_be_deleted(world):
    application = world.application("sketch_draft")
    db.session.delete(history(application)[-1])
    with pytest.raises(EventLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert db.session.query(Event).filter_by(application_id=application.id).count() == 2
