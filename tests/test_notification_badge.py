"""The badge counts what a person must do, not everything that happened: notifications that ask
for action count one by one until done; the others are grouped by kind or wait for the daily
digest, as each person chose on the account page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests.conftest import text_of
from workflow.extensions import db
from workflow.models import Notification
from workflow.services import notifications
from workflow.votes import casting, to_session


def _rows(user) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification).where(Notification.user_id == user.id)
    )


def _a_day(world):
    """A day of the coordination like the demo's: new requests, submissions, votes reaching
    quorum and closing, statements issued."""
    world.application("consultation")
    world.application("consultation", applicant="applicant-lwz")
    world.application("sketch_submitted", applicant="applicant-elbtal")
    world.application("long_form_submitted")
    world.application("statement_pending", applicant="applicant-lwz")
    world.application("endorsed", applicant="applicant-elbtal")
    running = world.application("partner_vote")
    world.walker.vote(running, ["approve"] * 8)  # quorum, not yet everyone
    return running


def test_a_day_like_the_demos_leaves_the_coordinator_a_badge_of_what_to_do(world, login):
    _a_day(world)
    coordinator = world.user("coordinator")
    assert _rows(coordinator) >= 20  # everything that happened is kept …
    # … the badge: 2 talks to hold, 1 sketch and 1 long form to look at, 1 statement to write;
    # three votes reached quorum: in tomorrow's digest (the coordinator's default)
    assert notifications.unread_count(coordinator) == 5
    page = text_of(login("coordinator").get("/benachrichtigungen").text)
    assert "5 ungelesen" in page and "zu tun" in page and "erledigt" in page

    # the coordinator wants quorum at once: all three as one entry, one count
    notifications.set_preferences(coordinator, {"quorum_reached": "immediate"})
    world.walker.vote(world.application("partner_vote", applicant="applicant-lwz"), ["approve"] * 8)
    assert notifications.unread_count(coordinator) == 5 + 1
    world.walker.vote(world.application("partner_vote", applicant="applicant-elbtal"), ["approve"] * 8)
    assert notifications.unread_count(coordinator) == 5 + 1
    page = text_of(login("coordinator").get("/benachrichtigungen").text)
    assert "2 Mitteilungen: Quorum erreicht" in page


def test_a_partner_is_asked_until_the_organisation_has_voted(world):
    application = world.application("partner_vote")
    ihk, deputy = world.user("partner-ihk"), world.user("partner-ihk-deputy")
    assert notifications.unread_count(ihk) == 1 and notifications.unread_count(deputy) == 1
    casting.cast_ballot(application, deputy, "approve")
    assert notifications.unread_count(ihk) == 0 and notifications.unread_count(deputy) == 0
    dgb = world.user("partner-dgb")
    assert notifications.unread_count(dgb) == 1  # has not voted yet
    # an objection moves the vote to a session: nobody is asked to vote in writing any more; that
    # it moved is one piece of news
    to_session.object_to_circulation(application, world.user("partner-agv"), "Bitte in der Sitzung beraten.")
    assert notifications.unread_count(dgb) == 1
    assert [(n.kind, n.resolved_at is None) for n in notifications.unread(dgb)] == [
        ("moved_to_session", True)
    ]


def test_what_needs_no_action_waits_for_the_digest_and_is_mailed_once_a_day(world, smtp):
    _a_day(world)
    coordinator = world.user("coordinator")
    smtp.messages.clear()
    held = Notification.query.filter_by(user_id=coordinator.id, held=True).all()
    assert held and {n.kind for n in held} == {"quorum_reached"}
    assert not [m for m in smtp.to(coordinator.email) if m["Subject"].startswith("Quorum erreicht")]

    morning = datetime.now(UTC).astimezone(notifications.deadlines.BERLIN).replace(hour=7) + timedelta(days=1)
    early = morning.replace(hour=5)
    assert notifications.send_digests(now=early) == 0  # not before 06:00
    assert notifications.send_digests(now=morning) == 1
    assert notifications.send_digests(now=morning + timedelta(hours=1)) == 0  # once a day
    (digest,) = [m for m in smtp.to(coordinator.email) if m["Subject"].startswith("Tagesübersicht")]
    body = digest.get_content()
    assert f"Quorum erreicht ({len(held)}):" in body and f"{len(held)} Mitteilungen" in digest["Subject"]
    assert Notification.query.filter_by(user_id=coordinator.id, held=True).count() == 0
    assert notifications.unread_count(coordinator) == 5 + 1  # the digest itself


def test_the_setting_is_on_the_account_page_per_kind(world, login):
    partner = login("partner-dgb")
    page = partner.get("/konto/")
    assert "Einladungen zu Sitzungen" in text_of(page.text) and 'value="digest"' in page.text
    response = partner.post(
        "/konto/benachrichtigungen",
        data={
            "session_invitation": "digest",
            "session_changed": "digest",
            "moved_to_session": "immediate",
            "info": "immediate",
        },
    )
    assert response.status_code == 302
    choices = {p["kind"]: p["delivery"] for p in notifications.preferences(world.user("partner-dgb"))}
    assert choices == {
        "session_invitation": "digest",
        "session_changed": "digest",
        "moved_to_session": "immediate",
        "info": "immediate",
    }
    refused = partner.post("/konto/benachrichtigungen", data={"session_invitation": "weekly"})
    assert refused.status_code == 422
    assert notifications.preferences(world.user("partner-dgb"))[0]["delivery"] == "digest"  # nothing lost
