"""Mail through a real SMTP server on loopback, sent only after the commit; in-app notifications."""

from __future__ import annotations

from datetime import date

from workflow.extensions import db
from workflow.models import Notification, OutgoingMail
from workflow.services import jobs, mail, notifications
from workflow.services.lifecycle import fire


def test_a_change_of_state_mails_the_sponsor_and_notifies_in_app(world, smtp, login):
    application = world.application("consultation")
    smtp.messages.clear()
    response = login("coordinator").post(
        f"/antraege/{application.id}/aktion/record_consultation",
        data={"consultation_date": "2026-01-05", "participants": "K. Koordinatorin", "notes": "Gut."},
    )
    assert response.status_code == 302
    sponsor = world.user("applicant-bildungswerk")
    received = smtp.to(sponsor.email)
    assert len(received) == 1
    body = received[0].get_content()
    assert "Projektskizze in Bearbeitung" in received[0]["Subject"]
    assert f"/antraege/{application.id}" in body and "Uhr" in body
    assert Notification.query.filter_by(user_id=sponsor.id, read_at=None).count() >= 1


def test_a_submission_is_mailed_to_the_coordination(world, smtp):
    application = world.application("sketch_draft")
    mail.send_pending()
    smtp.messages.clear()  # the consultation request's mail is not what this test is about
    fire(application, "submit_sketch", world.user("applicant-bildungswerk"))
    mail.send_pending()
    [message] = [
        m for m in smtp.to(world.user("coordinator").email) if m["Subject"].startswith("Eingereicht:")
    ]
    assert application.reference in message["Subject"] and "Projektskizze eingereicht" in message["Subject"]
    body = message.get_content()
    assert application.title in body and "Ziel für die Ersteinschätzung:" in body


def test_a_failing_mail_server_loses_nothing_and_tick_retries(app, world, smtp):
    application = world.application("consultation")
    app.config["MAIL_PORT"] = 1  # nothing listens there
    fire(
        application,
        "record_consultation",
        world.user("coordinator"),
        {"consultation_date": date.today(), "notes": "x"},
    )
    assert mail.send_pending() == 0
    assert application.state == "sketch_draft"  # the action stands
    waiting = OutgoingMail.query.filter(OutgoingMail.sent_at.is_(None)).all()
    assert waiting and all(m.attempts == 1 and m.last_error for m in waiting)
    app.config["MAIL_PORT"] = smtp.port
    for m in waiting:
        m.next_attempt_at = m.created_at
    db.session.commit()
    assert jobs.run_all()["mail"] == len(waiting)
    assert OutgoingMail.query.filter(OutgoingMail.sent_at.is_(None)).count() == 0


def test_opening_a_vote_tells_every_eligible_partner(world, smtp):
    world.application("partner_vote")
    mail.send_pending()
    partner = world.user("partner-dgb")
    messages = smtp.to(partner.email)
    assert any("Neue Abstimmung" in m["Subject"] and "Uhr" in m["Subject"] for m in messages)
    assert not smtp.to(world.user("observer-nbank").email)


def test_notifications_are_read_and_unread(world):
    user = world.user("applicant-bildungswerk")
    world.application("sketch_draft")
    assert notifications.unread_count(user) >= 1
    notifications.mark_read(user)
    assert notifications.unread_count(user) == 0
    assert notifications.recent(user)


def test_claim_is_true_exactly_once(ctx):
    assert jobs.claim("reminder:1:2") is True
    db.session.commit()
    assert jobs.claim("reminder:1:2") is False
    assert jobs.claimed("reminder:1:2")


def test_odd_ids_when_marking_notifications_read_are_no_500(world, login):
    world.application("sketch_draft")
    sponsor = login("applicant-bildungswerk")
    for value in ("²", "-1", "x", "9" * 40, "\x00"):
        response = sponsor.post("/benachrichtigungen/gelesen", data={"id": value, "open": value})
        assert response.status_code == 303, value
