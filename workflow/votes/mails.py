"""The mails of a vote: it is open, a reminder before its deadline, it moved to a session. They lead
the partners straight to the vote page, are multipart (plain text and HTML), name the deadline in
the subject, give local times with the date, and carry the deadline (or the session) as a calendar
event, so that it lands in the partner's calendar. Who gets them: the vote's writes and jobs, which
decide when they go out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from workflow.formatting import local_datetime
from workflow.models import Application, CommitteeSession, User, Vote
from workflow.rules import deadlines
from workflow.services import notifications
from workflow.services.calendar_feeds import calendar_file
from workflow.services.mail_content import Attachment, RichMail

VOTE_NOW = "Jetzt abstimmen"
CALENDAR_FILE = "abstimmung.ics"


def vote_link(application: Application) -> str:
    """The vote page's address as people outside reach it."""
    return notifications.page_link("vote_page.show", application_id=application.id)


def _facts(application: Application, vote: Vote, deadline: datetime | None, session) -> tuple:
    facts = [
        ("Antrag", f"{application.title} ({application.reference})"),
        ("Projektträger", application.applicant.name),
        ("Verfahren", vote.mode_label),
    ]
    if deadline is not None:
        facts.append(("Frist", local_datetime(deadline)))
    elif session is not None:
        facts.append(("Sitzung", f"{local_datetime(session.starts_at)}, {session.place}"))
    return tuple(facts)


def _deadline_entry(
    application: Application, vote: Vote, deadline: datetime, cancelled: bool = False
) -> dict:
    """The circulation's deadline as an all-day entry on its day (as the calendar feed shows a
    deadline); one UID per vote, so that a reminder's file updates the opening's entry and the
    move to a session cancels it."""
    link = vote_link(application)
    return {
        "uid": f"{application.alliance.slug}-vote-{vote.id}-deadline@antragsweg",
        "day": deadlines.local_date(deadline),
        "summary": f"Frist: Votum „{application.title}“ ({application.reference})",
        "description": (
            f"Votum der Bündnispartner zu „{application.title}“ ({application.reference}), "
            f"{application.applicant.name}: Frist bis {local_datetime(deadline)} (Europe/Berlin).\n"
            f"Zur Abstimmung: {link}"
        ),
        "url": link,
        "sequence": 1 if cancelled else 0,
        "status": "CANCELLED" if cancelled else "CONFIRMED",
    }


def _session_entry(application: Application, session: CommitteeSession) -> dict:
    """The session as the alliance's calendar feed names it (the same UID and sequence)."""
    from workflow.services.sessions import CALENDAR_DURATION

    committee = application.alliance.committee_name
    return {
        "uid": f"{application.alliance.slug}-session-{session.id}@antragsweg",
        "summary": f"Sitzung: {committee}",
        "description": (
            f"Sitzung: {committee}, {local_datetime(session.starts_at)}, {session.place}.\n"
            f"Zur Abstimmung: {application.reference} – {application.title}"
        ),
        "url": vote_link(application),
        "start": session.starts_at,
        "end": session.starts_at + CALENDAR_DURATION,
        "location": session.place,
        "sequence": session.sequence,
        "status": "CONFIRMED",
    }


def _calendar(entries: list[dict]) -> tuple[Attachment, ...]:
    if not entries:
        return ()
    ics = calendar_file(entries, "Antragsweg: Abstimmung").decode()
    return (Attachment(ics, "calendar", CALENDAR_FILE, {"method": "PUBLISH"}),)


def opened(application: Application, vote: Vote, when: str, note: str | None) -> None:
    """To the eligible partners' representatives: a new vote, until when."""
    notifications.notify(
        notifications.representatives(o.id for o in vote.eligible_organisations()),
        f"Neue Abstimmung: {application.title} – {when}",
        f"Die Langfassung „{application.title}“ ({application.reference}) von {application.applicant.name} "
        f"steht zur Abstimmung ({vote.mode_label}), {when}."
        + (f" {note}." if note else "")
        + " Jetzt abstimmen.",
        application,
        kind="vote_opened",
        needs_action=True,
        awaits_state="partner_vote",
        rich=_rich(application, vote, vote.deadline_at, vote.session),
    )


def reminder(application: Application, vote: Vote, waiting: Iterable[int]) -> int:
    """To the representatives of the partners that have not voted yet."""
    deadline = local_datetime(vote.deadline_at)
    return notifications.notify(
        notifications.representatives(waiting),
        f"Erinnerung: Abstimmung „{application.title}“ endet am {deadline}",
        f"Ihre Organisation hat zur Langfassung „{application.title}“ ({application.reference}) "
        f"noch kein Votum abgegeben. Die Frist endet am {deadline}.",
        application,
        kind="vote_reminder",
        needs_action=True,
        awaits_state="partner_vote",
        rich=_rich(application, vote, vote.deadline_at, None),
    )


def moved(
    application: Application,
    vote: Vote,
    session: CommitteeSession | None,
    ended_deadline: datetime | None,
    body: str,
    coordinators: list[User],
    partners: list[User],
    sponsors: list[User],
) -> None:
    """The circulation became an item of a session's agenda: the subject names the session's day
    (the new deadline); the calendar event is the session, and the circulation's deadline entry is
    cancelled. The partners are led to the vote page, the coordination and the sponsor to the
    application page."""
    when = f"am {local_datetime(session.starts_at)}" if session else "(noch nicht terminiert)"
    subject = f"Umlaufverfahren beendet: {application.reference} kommt in die Sitzung {when}"
    entries = [_session_entry(application, session)] if session else []
    if ended_deadline is not None:
        entries.append(_deadline_entry(application, vote, ended_deadline, cancelled=True))
    facts = _facts(application, vote, None, session)
    attachments = _calendar(entries)
    to_vote = RichMail(VOTE_NOW if session else "Zur Abstimmung", vote_link(application), facts, attachments)
    to_page = RichMail("Zum Antrag", notifications.application_link(application), facts, attachments)
    notifications.notify(
        coordinators,
        subject,
        body,
        application,
        kind="moved_to_session",
        needs_action=session is None,
        awaits_state="partner_vote",
        rich=to_page,
    )
    notifications.notify(partners, subject, body, application, kind="moved_to_session", rich=to_vote)
    notifications.notify(sponsors, subject, body, application, kind="moved_to_session", rich=to_page)


def _rich(application: Application, vote: Vote, deadline: datetime | None, session) -> RichMail:
    entries = []
    if deadline is not None:
        entries.append(_deadline_entry(application, vote, deadline))
    elif session is not None:
        entries.append(_session_entry(application, session))
    return RichMail(
        VOTE_NOW, vote_link(application), _facts(application, vote, deadline, session), _calendar(entries)
    )
