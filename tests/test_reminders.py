"""Reminders through `flask --app wsgi tick`, read back from a real SMTP server, each sent once."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from tests.conftest import move_deadline
from workflow.extensions import db
from workflow.models import Event
from workflow.models.types import utcnow
from workflow.services import reminders
from workflow.services.lifecycle import fire


def _backdate(application, trigger: str, days: int) -> None:
    """Move the events of `trigger` `days` into the past (Core update: the log stays append-only
    for the app; only the test travels in time)."""
    db.session.execute(
        sa.update(Event)
        .where(Event.application_id == application.id, Event.trigger == trigger)
        .values(created_at=utcnow() - timedelta(days=days))
    )
    db.session.commit()


def _tick(app) -> str:
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    return result.output


def _revision_requested(world, days_ago: int):
    application = world.application("sketch_assessment")
    fire(
        application,
        "request_sketch_revision",
        world.user("coordinator"),
        {"reason": "Bitte die Zielgruppe genauer beschreiben."},
    )
    _backdate(application, "request_sketch_revision", days_ago)
    return application


def test_a_sponsor_with_an_open_revision_request_is_reminded_once(app, world, smtp):
    application = _revision_requested(world, days_ago=8)
    smtp.messages.clear()
    _tick(app)
    _tick(app)
    sponsor = world.user("applicant-bildungswerk")
    received = [m for m in smtp.to(sponsor.email) if "Erinnerung" in m["Subject"]]
    assert len(received) == 1
    assert application.reference in received[0]["Subject"]
    assert "Zielgruppe genauer beschreiben" in received[0].get_content()
    # The deputy of nobody else: other sponsors and the coordination get nothing of it.
    assert not [m for m in smtp.to(world.user("applicant-lwz").email) if "Erinnerung" in m["Subject"]]


def test_the_second_reminder_comes_later_and_also_once(app, world, smtp):
    application = _revision_requested(world, days_ago=8)
    _tick(app)
    _backdate(application, "request_sketch_revision", 15)
    smtp.messages.clear()
    _tick(app)
    _tick(app)
    sponsor = world.user("applicant-bildungswerk")
    assert len([m for m in smtp.to(sponsor.email) if "Erinnerung" in m["Subject"]]) == 1


def test_no_reminder_before_its_day_nor_after_resubmission(app, world, smtp):
    early = _revision_requested(world, days_ago=3)
    answered = _revision_requested(world, days_ago=10)
    fire(answered, "submit_sketch", world.user("applicant-bildungswerk"))
    smtp.messages.clear()
    _tick(app)
    assert not [m for m in smtp.messages if "Erinnerung" in m["Subject"]]
    assert early.state == "sketch_draft"


def test_the_coordinators_daily_digest_lists_overdue_and_due_this_week_once(app, world, smtp, monkeypatch):
    monkeypatch.setattr(reminders, "DIGEST_FROM_HOUR", 0)
    late = world.application("sketch_submitted")
    move_deadline(late, "submit_sketch", (utcnow() - timedelta(days=2)).date())
    soon = world.application("long_form_submitted", applicant="applicant-lwz")
    move_deadline(soon, "submit_long_form", (utcnow() + timedelta(days=5)).date())
    world.application("sketch_submitted", applicant="applicant-elbtal")  # due in 3 weeks: not listed
    smtp.messages.clear()
    _tick(app)
    _tick(app)
    digests = [m for m in smtp.to(world.user("coordinator").email) if m["Subject"].startswith("Fristen am")]
    assert len(digests) == 1
    body = digests[0].get_content()
    assert "1 überfällig, 1 in den nächsten 7 Tagen fällig" in digests[0]["Subject"]
    assert late.reference in body.split("Fällig in den nächsten")[0]
    assert soon.reference in body.split("Fällig in den nächsten")[1]
    assert "überfällig seit 2 Tagen" in body and "fällig in 5 Tagen" in body
    assert "Testprojekt sketch_submitted" in body and body.count("NON-") == 2


def test_no_digest_before_six_in_the_morning_nor_when_nothing_is_due(world, smtp):
    world.application("sketch_submitted")
    early = utcnow().astimezone(reminders.calendar.BERLIN).replace(hour=5, minute=0)
    assert reminders.send_digests(now=early) == 0
    assert reminders.send_digests(now=early.replace(hour=7)) == 0  # 21 days ahead: nothing due


def test_two_ticks_at_the_same_moment_send_one_reminder(app, world, smtp):
    _revision_requested(world, days_ago=8)
    smtp.messages.clear()
    results = []

    def run():
        with app.app_context():
            results.append(reminders.send_revision_reminders())
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 1]
    sponsor = world.user("applicant-bildungswerk")
    assert len([m for m in smtp.to(sponsor.email) if "Erinnerung" in m["Subject"]]) == 1
