"""A session's papers (issue 16, §4): the invitation with its agenda as PDF and as a calendar event
in the invitation mail (read from the real SMTP server, the PDF and the event parsed back), and
the minutes as PDF once the session took place (presence, results, the minutes' text); only for
the alliance's committee and coordination; downloaded over real HTTP from gunicorn as well."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import icalendar
from pypdf import PdfReader

from tests.conftest import text_of
from workflow.extensions import db
from workflow.services import sessions
from workflow.services.lifecycle import fire

NOW = datetime.now(UTC)


def _pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


def _scheduled(world, application=None, days: int = 14):
    coordinator = world.user("coordinator")
    session = sessions.schedule(
        coordinator, NOW + timedelta(days=days), "Kreishaus Uelzen", "TOP 1: Begrüßung"
    )
    if application is not None:
        fire(application, "open_vote", coordinator, {"mode": "session", "session_id": session.id})
    db.session.commit()
    return session


def test_the_invitation_mail_carries_the_agenda_as_pdf_and_the_session_as_calendar_event(world, smtp):
    session = _scheduled(world)
    (mail,) = [m for m in smtp.to(world.user("partner-dgb").email) if m["Subject"].startswith("Sitzung (")]
    attachments = {part.get_filename(): part for part in mail.iter_attachments()}
    pdf = next(part for name, part in attachments.items() if name.endswith(".pdf"))
    assert pdf.get_content_type() == "application/pdf"
    text = _pdf_text(pdf.get_content())
    assert "Einladung zur Sitzung" in text and "Kreishaus Uelzen" in text and "TOP 1: Begrüßung" in text
    event = icalendar.Calendar.from_ical(attachments["sitzung.ics"].get_content()).walk("VEVENT")[0]
    feed_uid = f"{world.alliance.slug}-session-{session.id}@antragsweg"
    assert str(event["UID"]) == feed_uid and str(event["LOCATION"]) == "Kreishaus Uelzen"
    assert "Zur Sitzung" in mail.get_body(preferencelist=("plain",)).get_content()


def test_the_invitation_pdf_lists_the_votes_on_the_agenda(world, login):
    application = world.application("long_form_submitted")
    session = _scheduled(world, application)
    response = login("partner-dgb").get(f"/sitzungen/{session.id}/einladung.pdf")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    text = _pdf_text(response.data)
    assert application.reference in text and application.title in text


def test_the_minutes_pdf_after_the_session_holds_presence_results_and_text(world, login):
    application = world.application("long_form_submitted")
    session = _scheduled(world, application, days=2)
    coordinator = login("coordinator")
    assert coordinator.get(f"/sitzungen/{session.id}/protokoll.pdf").status_code == 404  # not yet held
    session.starts_at = NOW - timedelta(hours=2)
    db.session.commit()
    vote = application.current_vote
    orgs = vote.eligible_organisations()
    data = {"close": "y"}
    for i, org in enumerate(orgs):
        data[f"p{org.id}_attendance"] = "present" if i < 9 else "absent"
        if i < 9:
            data[f"p{org.id}_choice"] = "approve"
    assert (
        coordinator.post(f"/sitzungen/{session.id}/antraege/{application.id}", data=data).status_code == 303
    )
    coordinator.post(f"/sitzungen/{session.id}/protokoll", data={"minutes": "TOP 2: Langfassung beraten."})
    page = coordinator.get(f"/sitzungen/{session.id}").text
    assert (
        f"/sitzungen/{session.id}/protokoll.pdf" in page and f"/sitzungen/{session.id}/einladung.pdf" in page
    )
    response = login("partner-dgb").get(f"/sitzungen/{session.id}/protokoll.pdf")
    assert response.status_code == 200
    text = _pdf_text(response.data)
    assert "Protokoll der Sitzung" in text and "TOP 2: Langfassung beraten." in text
    assert application.reference in text and "9 Zustimmungen" in text
    assert orgs[0].name in text.split("Anwesend:", 1)[1].split("Abwesend:", 1)[0]
    assert orgs[-1].name in text.split("Abwesend:", 1)[1]


def test_the_papers_are_the_committees_only(world, login):
    session = _scheduled(world)
    for path in (f"/sitzungen/{session.id}/einladung.pdf", f"/sitzungen/{session.id}/protokoll.pdf"):
        assert login("applicant-bildungswerk").get(path).status_code in (403, 404)
    assert login("partner-dgb").get("/sitzungen/999999/einladung.pdf").status_code == 404


def test_a_cancelled_session_has_no_minutes_and_its_invitation_says_so(world, login):
    session = _scheduled(world)
    sessions.cancel(session, world.user("coordinator"), "Beschlussunfähig")
    coordinator = login("coordinator")
    assert coordinator.get(f"/sitzungen/{session.id}/protokoll.pdf").status_code == 404
    text = _pdf_text(coordinator.get(f"/sitzungen/{session.id}/einladung.pdf").data)
    assert "abgesagt" in text and "Beschlussunfähig" in text
    assert "Einladung mit Tagesordnung (PDF)" in text_of(coordinator.get(f"/sitzungen/{session.id}").text)


def test_the_papers_download_whole_over_real_http(world, http):
    application = world.application("long_form_submitted")
    session = _scheduled(world, application)
    partner = http("partner-dgb")
    response = partner.get(f"/sitzungen/{session.id}/einladung.pdf")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert application.reference in _pdf_text(response.content)
