"""The vote mails (issue 16, §2): opening, reminder and the move to a session reach a real SMTP
server on loopback as multipart messages, parsed back here: plain text and HTML (escaped, no remote
images, no scripts), German, local times, the deadline in the subject, a link straight to the vote
page, and the deadline (or the session) as an attached calendar event."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask import current_app
from icalendar import Calendar

from workflow.extensions import db
from workflow.formatting import local_datetime
from workflow.models.types import utcnow
from workflow.rules import deadlines
from workflow.services import jobs, sessions
from workflow.services.lifecycle import fire
from workflow.votes import casting, timing, to_session
from workflow.votes import jobs as vote_jobs

TITLE = 'Pflege & <Technik> "2027"'


def _link(application, suffix: str = "") -> str:
    return current_app.config["BASE_URL"].rstrip("/") + f"/antraege/{application.id}{suffix}"


def _vote_mails(smtp, address: str, start: str) -> list:
    return [m for m in smtp.to(address) if m["Subject"].startswith(start)]


def _parts(message) -> tuple[str, str, Calendar]:
    """The plain text, the HTML and the attached calendar of a vote mail (each checked for its type)."""
    assert message.get_content_type() == "multipart/mixed"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar" and attachment.get_filename() == "abstimmung.ics"
    assert attachment.get_param("method") == "PUBLISH"
    # Lines end in CRLF on the wire (SMTP); read as text with newlines.
    text = plain.get_content().replace("\r\n", "\n")
    return text, html.get_content(), Calendar.from_ical(attachment.get_content())


def _check_html(html: str, link: str) -> None:
    assert f'href="{link}"' in html and 'lang="de"' in html
    assert "<script" not in html.lower() and "<img" not in html.lower() and "src=" not in html.lower()
    assert "<link" not in html.lower() and "<table" in html  # layout by simple tables, as for Outlook
    assert "Pflege &amp; &lt;Technik&gt; &#34;2027&#34;" in html and "<Technik>" not in html


def test_the_opening_mail_is_multipart_with_the_deadline_and_leads_to_the_vote_page(world, smtp):
    application = world.application("long_form_submitted")
    application.title = TITLE
    db.session.commit()
    fire(
        application,
        "open_vote",
        world.user("coordinator"),
        {"mode": "circulation", "deadline": timing.default_circulation_deadline(application.alliance)},
    )
    vote = application.current_vote
    deadline = local_datetime(vote.deadline_at)  # "10.12.2026, 23:59 Uhr": local time with the date
    link = _link(application, "/votum")
    (message,) = _vote_mails(smtp, world.user("partner-dgb").email, "Neue Abstimmung")
    assert message["Subject"] == f"Neue Abstimmung: {TITLE} – bis {deadline}"
    plain, html, calendar = _parts(message)
    assert plain.startswith("Guten Tag Vertretung DGB Region Nord-Ost-Niedersachsen,")
    assert f"Frist: {deadline}" in plain and f"Jetzt abstimmen: {link}" in plain and TITLE in plain
    assert "Verfahren: Umlaufverfahren" in plain and "Europe/Berlin" in plain
    _check_html(html, link)
    assert re.search(r"<th[^>]*>Frist</th><td[^>]*>" + re.escape(deadline) + "</td>", html)
    assert calendar["method"] == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == deadlines.local_date(vote.deadline_at)  # all day, its day
    assert event.decoded("dtend") == deadlines.local_date(vote.deadline_at) + timedelta(days=1)
    assert str(event["url"]) == link and str(event["uid"]) == f"non-vote-{vote.id}-deadline@antragsweg"
    assert TITLE in str(event["summary"]) and deadline in str(event["description"])
    # The in-app notification leads there too; the recused sponsor's own partner gets nothing.
    from workflow.models import Notification

    notes = db.session.query(Notification).filter_by(kind="vote_opened").all()
    assert notes and {n.link for n in notes} == {link}
    assert not _vote_mails(smtp, world.user("applicant-bildungswerk").email, "Neue Abstimmung")


def test_a_reminder_names_the_deadline_and_carries_the_same_calendar_entry(world, smtp):
    application = world.application("partner_vote")
    vote = application.current_vote
    casting.cast_ballot(application, world.user("partner-ihk"), "approve")
    now = utcnow()
    vote.opened_at = now - timedelta(days=5)
    vote.deadline_at = now + timedelta(days=2, hours=12)  # the 3-day reminder is due
    db.session.commit()
    assert vote_jobs.send_reminders() > 0
    deadline = local_datetime(vote.deadline_at)
    (message,) = _vote_mails(smtp, world.user("partner-dgb").email, "Erinnerung")
    assert message["Subject"] == f"Erinnerung: Abstimmung „{application.title}“ endet am {deadline}"
    plain, html, calendar = _parts(message)
    link = _link(application, "/votum")
    assert f"Jetzt abstimmen: {link}" in plain and f"Die Frist endet am {deadline}." in plain
    assert f'href="{link}"' in html and "<script" not in html
    (event,) = calendar.walk("VEVENT")
    assert str(event["uid"]) == f"non-vote-{vote.id}-deadline@antragsweg"  # updates the opening's
    assert event.decoded("dtstart") == deadlines.local_date(vote.deadline_at)
    assert not _vote_mails(smtp, world.user("partner-ihk").email, "Erinnerung")  # it has voted


def test_the_move_to_a_session_names_its_day_and_cancels_the_deadline_entry(world, smtp):
    application = world.application("partner_vote")
    vote = application.current_vote
    ended = vote.deadline_at
    starts = datetime.combine(
        deadlines.local_date(utcnow()) + timedelta(days=20), datetime.min.time(), tzinfo=deadlines.BERLIN
    ).replace(hour=10)
    session = sessions.schedule(world.user("coordinator"), starts, "IHK Lüneburg, Saal 1", "Anträge")
    to_session.object_to_circulation(application, world.user("partner-agv"), "Bitte im Lenkungskreis beraten.")
    subject = (
        f"Umlaufverfahren beendet: {application.reference} kommt in die Sitzung am {local_datetime(starts)}"
    )
    (message,) = _vote_mails(smtp, world.user("partner-dgb").email, "Umlaufverfahren beendet")
    assert message["Subject"] == subject
    plain, html, calendar = _parts(message)
    link = _link(application, "/votum")
    assert f"Jetzt abstimmen: {link}" in plain and "Bitte im Lenkungskreis beraten." in plain
    assert f"Sitzung: {local_datetime(starts)}, IHK Lüneburg, Saal 1" in plain
    assert f'href="{link}"' in html
    by_uid = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    meeting = by_uid[f"non-session-{session.id}@antragsweg"]  # the feed's entry of the session
    assert meeting.decoded("dtstart") == starts and str(meeting["location"]) == "IHK Lüneburg, Saal 1"
    cancelled = by_uid[f"non-vote-{vote.id}-deadline@antragsweg"]
    assert str(cancelled["status"]) == "CANCELLED" and cancelled.decoded("dtstart") == deadlines.local_date(
        ended
    )
    # The sponsor and the coordination are led to the application page.
    (to_sponsor,) = _vote_mails(smtp, world.user("applicant-bildungswerk").email, "Umlaufverfahren beendet")
    plain = to_sponsor.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert f"Zum Antrag: {_link(application)}\n" in plain + "\n" and "/votum" not in plain


def test_other_mails_stay_plain_text(world, smtp):
    world.application("sketch_submitted")
    jobs.run_all()
    messages = smtp.messages
    assert messages and all(
        m.get_content_type() == "text/plain" for m in messages if "Abstimmung" not in m["Subject"]
    )
