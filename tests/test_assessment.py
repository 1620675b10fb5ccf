"""The first assessment: the coordinator's inbox, what happens next and by when, consultations
with NBank, MS and partners, read access and comments the sponsor never sees, the result as a
letter (HTML and a PDF parsed back), and the notifications page."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader

from tests.conftest import text_of
from workflow.extensions import db
from workflow.formatting import local_datetime
from workflow.models import Application, AssessmentNote, Event, Notification
from workflow.services import assessment, notifications
from workflow.services.lifecycle import fire

SCRIPT = "<script>alert(1)</script>"
TODAY = date.today()


def test_the_consultation_talk_records_date_participants_notes_and_recommendation(app, world, login):
    application = world.application("consultation")
    response = login("coordinator").post(
        f"/antraege/{application.id}/aktion/record_consultation",
        data={
            "consultation_date": TODAY.isoformat(),
            "participants": "K. Koordinatorin, P. Projektleitung",
            "notes": "Idee tragfähig.",
            "recommendation": "Landkreis Celle einbinden.",
        },
    )
    assert response.status_code == 302
    event = Event.query.filter_by(application_id=application.id, trigger="record_consultation").one()
    assert set(event.data) == {"consultation_date", "participants", "notes", "recommendation"}
    page = text_of(login("applicant-bildungswerk").get(f"/antraege/{application.id}").text)
    assert "Teilnehmende des Gesprächs K. Koordinatorin, P. Projektleitung" in page
    assert "Empfehlung an den Projektträger Landkreis Celle einbinden." in page
    refused = login("coordinator").post(
        f"/antraege/{world.application('consultation').id}/aktion/record_consultation",
        data={"consultation_date": TODAY.isoformat(), "notes": "x"},
    )
    assert refused.status_code == 422 and "Bitte füllen Sie dieses Feld aus" in text_of(refused.text)


def test_the_inbox_lists_new_requests_and_sketches_with_their_due_dates(app, world, login):
    request_ = world.application("consultation")
    submitted = world.application("sketch_submitted")
    in_assessment = world.application("sketch_assessment")
    world.application("long_form_draft")
    page = login("coordinator").get("/eingang")
    assert page.status_code == 200
    text = text_of(page.text)
    for application in (request_, submitted, in_assessment):
        assert application.title in text
    assert "Testprojekt long_form_draft" not in text
    assert "Dienstag oder Donnerstag vormittags" in text  # the preferred dates of the request
    assert assessment.assessment_due(submitted).strftime("%d.%m.%Y") in text
    for key in ("applicant-bildungswerk", "partner-dgb", "observer-nbank"):
        assert login(key).get("/eingang").status_code == 403


def test_the_application_page_says_what_happens_next_who_acts_and_by_when(app, world, login, monkeypatch):
    from workflow.services import deadlines as deadline_service
    from workflow.services.lifecycle import fire

    application = world.application("sketch_draft")
    # Submitted on Friday 4 December 2026: 21 days later is Christmas Day, then a weekend.
    submitted = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    monkeypatch.setattr(deadline_service, "utcnow", lambda: submitted)
    event = fire(application, "submit_sketch", world.user("applicant-bildungswerk"))
    assert assessment.assessment_due(application) == date(2026, 12, 28)
    page = text_of(login("applicant-bildungswerk").get(f"/antraege/{application.id}").text)
    assert "Wie es weitergeht" in page
    assert "Ziel für die Ersteinschätzung: 28.12.2026" in page
    assert "Wer Netzwerkkoordination" in page
    assert f"ab Einreichung der Skizze am {local_datetime(event.created_at)}" in page  # local time


def test_no_due_date_before_submission(world):
    application = world.application("sketch_draft")
    step = assessment.next_step(application)
    assert step["due"] is None and "Projektskizze" in step["what"]


def _post(client, application, what, data):
    return client.post(f"/antraege/{application.id}/ersteinschaetzung/{what}", data=data)


def test_consultations_and_comments_are_internal(app, world, login, smtp):
    application = world.application("sketch_assessment")
    coordinator = login("coordinator")
    response = _post(
        coordinator,
        application,
        "abstimmung",
        {
            "consultation-party": "NBank, Frau Beispiel",
            "consultation-held_on": TODAY.isoformat(),
            "consultation-statement": "Förderfähig, Personalkosten prüfen.",
        },
    )
    assert response.status_code == 303
    # A partner not consulted cannot see the sketch; once given access, it is told and may comment.
    assert login("partner-lk-celle").get(f"/antraege/{application.id}").status_code == 404
    smtp.messages.clear()
    response = _post(
        coordinator,
        application,
        "freigabe",
        {"grant-organisation_id": world.orgs["lk-celle"].id, "grant-question": "Bedarf in Celle?"},
    )
    assert response.status_code == 303
    partner = world.user("partner-lk-celle")
    (mail,) = smtp.to(partner.email)
    assert "Bitte um Einschätzung" in mail["Subject"] and "Bedarf in Celle?" in mail.get_content()
    assert f"/antraege/{application.id}" in mail.get_content()
    assert login("partner-lk-celle").get(f"/antraege/{application.id}").status_code == 200
    assert application.title in login("partner-lk-celle").get("/").text
    assert login("partner-dgb").get(f"/antraege/{application.id}").status_code == 404
    response = _post(login("partner-lk-celle"), application, "kommentar", {"comment-body": "Passt gut."})
    assert response.status_code == 303
    response = _post(
        login("observer-nbank"), application, "kommentar", {"comment-body": "Aus Sicht der NBank ok."}
    )
    assert response.status_code == 303
    assert smtp.to(world.user("coordinator").email)  # told of each comment

    coordinator_page = text_of(coordinator.get(f"/antraege/{application.id}").text)
    for text in (
        "NBank, Frau Beispiel",
        "Förderfähig, Personalkosten prüfen.",
        "Passt gut.",
        "Aus Sicht der NBank ok.",
    ):
        assert text in coordinator_page
    sponsor_page = text_of(login("applicant-bildungswerk").get(f"/antraege/{application.id}").text)
    for text in ("Frau Beispiel", "Personalkosten prüfen", "Passt gut.", "Aus Sicht der NBank", "intern"):
        assert text not in sponsor_page


def test_only_the_right_people_record_grant_and_comment(app, world, login):
    application = world.application("sketch_assessment")
    note = {
        "consultation-party": "MS",
        "consultation-held_on": TODAY.isoformat(),
        "consultation-statement": "ok",
    }
    assert _post(login("applicant-bildungswerk"), application, "abstimmung", note).status_code == 403
    assert _post(login("observer-nbank"), application, "abstimmung", note).status_code == 403
    assert _post(login("applicant-lwz"), application, "abstimmung", note).status_code == 404
    comment = {"comment-body": "Ich bin der Träger."}
    assert _post(login("applicant-bildungswerk"), application, "kommentar", comment).status_code == 403
    assert _post(login("partner-dgb"), application, "kommentar", comment).status_code == 404
    grant = {"grant-organisation_id": world.orgs["dgb"].id}
    assert _post(login("observer-nbank"), application, "freigabe", grant).status_code == 403
    assert AssessmentNote.query.count() == 0
    drafting = world.application("sketch_draft")
    assert _post(login("coordinator"), drafting, "abstimmung", note).status_code in (403, 409)


@pytest.mark.parametrize(
    ("what", "data", "message"),
    [
        (
            "abstimmung",
            {
                "consultation-party": "",
                "consultation-held_on": TODAY.isoformat(),
                "consultation-statement": "x",
            },
            "Bitte füllen Sie dieses Feld aus",
        ),
        (
            "abstimmung",
            {"consultation-party": "MS", "consultation-held_on": "gestern", "consultation-statement": "x"},
            "gültiges Datum",
        ),
        (
            "abstimmung",
            {
                "consultation-party": "MS",
                "consultation-held_on": (TODAY + timedelta(days=2)).isoformat(),
                "consultation-statement": "x",
            },
            "nicht in der Zukunft",
        ),
        (
            "abstimmung",
            {
                "consultation-party": "MS",
                "consultation-held_on": TODAY.isoformat(),
                "consultation-statement": "x" * 5001,
            },
            "Höchstens 5000 Zeichen",
        ),
        ("freigabe", {"grant-organisation_id": "abc"}, "Auswahl"),
        ("kommentar", {"comment-body": ""}, "Bitte füllen Sie dieses Feld aus"),
    ],
)
def test_bad_assessment_input_is_a_422_in_german(app, world, login, what, data, message):
    application = world.application("sketch_assessment")
    who = "observer-nbank" if what == "kommentar" else "coordinator"
    response = _post(login(who), application, what, data)
    assert response.status_code == 422
    assert message in text_of(response.text)
    assert AssessmentNote.query.count() == 0


def test_html_in_internal_notes_is_shown_escaped(app, world, login):
    application = world.application("sketch_assessment")
    _post(
        login("coordinator"),
        application,
        "abstimmung",
        {
            "consultation-party": SCRIPT,
            "consultation-held_on": TODAY.isoformat(),
            "consultation-statement": SCRIPT,
        },
    )
    _post(login("observer-nbank"), application, "kommentar", {"comment-body": SCRIPT})
    page = login("coordinator").get(f"/antraege/{application.id}").text
    assert SCRIPT not in page and page.count("&lt;script&gt;") >= 3


@pytest.mark.parametrize(
    ("trigger", "data", "heading", "expected"),
    [
        (
            "decline_sketch",
            {"reason": "Kein Bezug zur Fachkräftesicherung."},
            "nicht befürwortet",
            "Kein Bezug zur Fachkräftesicherung.",
        ),
        (
            "request_sketch_revision",
            {"reason": "Zielgruppe genauer fassen."},
            "Überarbeitung",
            "Zielgruppe genauer fassen.",
        ),
        (
            "invite_long_form",
            {
                "parties_consulted": "NBank, MS",
                "fundable": True,
                "fits_strategy": True,
                "notes": "Kostenplan beilegen.",
            },
            "Einladung zur Langfassung",
            "Kostenplan beilegen.",
        ),
    ],
)
def test_the_result_is_a_letter_as_html_and_pdf(app, world, login, smtp, trigger, data, heading, expected):
    application = world.application("sketch_assessment")
    fire(application, trigger, world.user("coordinator"), data)
    sponsor = login("applicant-bildungswerk")
    show = text_of(sponsor.get(f"/antraege/{application.id}").text)
    assert "Ergebnis der Ersteinschätzung" in show
    page = sponsor.get(f"/antraege/{application.id}/ersteinschaetzung/schreiben")
    assert page.status_code == 200
    text = text_of(page.text)
    assert heading in text and expected in text and application.reference in text
    assert "Bildungswerk Heide gGmbH" in text and "Mit freundlichen Grüßen" in text
    with sponsor.get(f"/antraege/{application.id}/ersteinschaetzung/schreiben.pdf") as response:
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment")
        reader = PdfReader(io.BytesIO(response.data))
    pdf_text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert application.reference in pdf_text and heading in pdf_text and expected in pdf_text
    assert reader.metadata.title.startswith("Ersteinschätzung")
    mail = smtp.to(world.user("applicant-bildungswerk").email)[-1].get_content()
    assert "/ersteinschaetzung/schreiben" in mail
    assert (
        login("applicant-lwz").get(f"/antraege/{application.id}/ersteinschaetzung/schreiben.pdf").status_code
        == 404
    )


def test_no_letter_before_a_decision(login, world):
    application = world.application("sketch_assessment")
    assert (
        login("coordinator").get(f"/antraege/{application.id}/ersteinschaetzung/schreiben").status_code == 404
    )


def test_the_letter_pdf_fetches_nothing_from_outside(app, world):
    from workflow.services import pdf

    fetcher = pdf.AssetsOnlyFetcher()
    for url in ("file:///etc/passwd", "http://example.org/x.css", pdf.ASSET_ORIGIN + "../../../setup.cfg"):
        with pytest.raises(pdf.RefusedURL):
            fetcher.fetch(url)
    assert fetcher.fetch(pdf.ASSET_ORIGIN + "document.css").status == 200


# -- notifications --------------------------------------------------------------------------------


def test_a_new_consultation_request_tells_the_coordination_by_mail_and_in_the_app(app, world, login, smtp):
    fo = world.alliance.funding_objects[0]
    response = login("applicant-lwz").post(
        "/antraege/neu",
        data={"title": "Neue Idee", "summary": "Kurz", "funding_object_id": fo.id, "preferred_dates": "Mo"},
    )
    assert response.status_code == 302
    coordinator = world.user("coordinator")
    (mail,) = smtp.to(coordinator.email)
    assert "Neue Beratungsanfrage" in mail["Subject"] and "/antraege/" in mail.get_content()
    assert Notification.query.filter_by(user_id=coordinator.id, read_at=None).count() == 1


def test_the_notifications_page_marks_read_and_the_nav_counts_unread(app, world, login):
    application = world.application("sketch_draft")
    sponsor = login("applicant-bildungswerk")
    user = world.user("applicant-bildungswerk")
    unread = Notification.query.filter_by(user_id=user.id, read_at=None).count()
    assert unread >= 1
    assert notifications.unread_count(user) == unread  # each asks the sponsor to act (the sketch)
    page = sponsor.get("/benachrichtigungen")
    assert page.status_code == 200
    assert f"{unread} ungelesen" in text_of(page.text)  # the nav badge
    assert "Projektskizze in Bearbeitung" in text_of(page.text)
    first = Notification.query.filter_by(user_id=user.id).order_by(Notification.id).first()
    response = sponsor.post("/benachrichtigungen/gelesen", data={"id": first.id, "open": application.id})
    assert response.status_code == 303 and response.location.endswith(f"/antraege/{application.id}")
    assert Notification.query.filter_by(user_id=user.id, read_at=None).count() == unread - 1
    sponsor.post("/benachrichtigungen/gelesen", data={})
    assert Notification.query.filter_by(user_id=user.id, read_at=None).count() == 0
    assert "ungelesen" not in text_of(sponsor.get("/benachrichtigungen").text)
    # Someone else's notification is not marked by id.
    other = world.user("coordinator")
    before = Notification.query.filter_by(user_id=other.id, read_at=None).count()
    mine = Notification.query.filter_by(user_id=other.id).first()
    sponsor.post("/benachrichtigungen/gelesen", data={"id": mine.id})
    assert Notification.query.filter_by(user_id=other.id, read_at=None).count() == before
    assert sponsor.post("/benachrichtigungen/gelesen", data={"id": "abc"}).status_code == 303


def test_every_change_of_the_sketch_reaches_the_sponsor_by_mail_in_local_time(app, world, smtp):
    from workflow.services import mail

    application = world.application("sketch_assessment")
    mail.send_pending()  # what the walk there queued
    smtp.messages.clear()
    fire(application, "request_sketch_revision", world.user("coordinator"), {"reason": "Mehr Details."})
    mail.send_pending()
    (message,) = smtp.to(world.user("applicant-bildungswerk").email)
    body = message.get_content()
    assert "Projektskizze in Bearbeitung" in message["Subject"]
    assert "Uhr" in body and f"/antraege/{application.id}" in body
    db.session.expire_all()
    assert db.session.get(Application, application.id).state == "sketch_draft"
