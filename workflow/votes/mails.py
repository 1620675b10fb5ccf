"""The mails of a vote: it is open, a reminder before its deadline, it moved to a session. They lead
the partners straight to the vote page, are multipart (plain text and HTML), name the deadline in
the subject, give local times with the date, and carry the deadline (or the session) as a calendar
event, so that it lands in the partner's calendar. Who gets them: the vote's writes and jobs, which
decide when they go out. Each is written in its recipient's language (lazy texts, see
services/notifications.notify); the calendar entries stay German, as the calendar feeds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from workflow.formatting import lazy_datetime, local_datetime
from workflow.i18n import joined
from workflow.models import Application, CommitteeSession, User, Vote
from workflow.rules import deadlines, voting
from workflow.services import notifications
from workflow.services.calendar_feeds import calendar_file
from workflow.services.mail_content import Attachment, RichMail
from workflow.votes.timing import mode_text, session_text

VOTE_NOW = _l("Jetzt abstimmen")
CALENDAR_FILE = "abstimmung.ics"


def vote_link(application: Application) -> str:
    """The vote page's address as people outside reach it."""
    return notifications.page_link("vote_page.show", application_id=application.id)


def _facts(application: Application, vote: Vote, deadline: datetime | None, session) -> tuple:
    facts = [
        (_l("Antrag"), f"{application.title} ({application.reference})"),
        (_l("Projektträger"), application.applicant.name),
        (_l("Verfahren"), mode_text(vote)),
    ]
    if deadline is not None:
        facts.append((_l("Frist"), lazy_datetime(deadline)))
    elif session is not None:
        facts.append((_l("Sitzung"), joined(", ", [lazy_datetime(session.starts_at), session.place])))
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


def opened(application: Application, vote: Vote, note: LazyString | None) -> None:
    """To the eligible partners' representatives: a new vote, until when (`note`: why its
    deadline moved off a weekend or holiday)."""
    values = {
        "title": application.title,
        "reference": application.reference,
        "sponsor": application.applicant.name,
        "mode": mode_text(vote),
    }
    if vote.mode == voting.CIRCULATION:
        values["deadline"] = lazy_datetime(vote.deadline_at)
        subject = _l("Neue Abstimmung: %(title)s – bis %(deadline)s", **values)
        if note is not None:
            body = _l(
                "Die Langfassung „%(title)s“ (%(reference)s) von %(sponsor)s steht zur Abstimmung "
                "(%(mode)s), bis %(deadline)s. %(note)s. Jetzt abstimmen.",
                note=note,
                **values,
            )
        else:
            body = _l(
                "Die Langfassung „%(title)s“ (%(reference)s) von %(sponsor)s steht zur Abstimmung "
                "(%(mode)s), bis %(deadline)s. Jetzt abstimmen.",
                **values,
            )
    else:
        values["session"] = session_text(vote.session)
        subject = _l("Neue Abstimmung: %(title)s – %(session)s", **values)
        body = _l(
            "Die Langfassung „%(title)s“ (%(reference)s) von %(sponsor)s steht zur Abstimmung "
            "(%(mode)s), %(session)s. Jetzt abstimmen.",
            **values,
        )
    notifications.notify(
        notifications.representatives(o.id for o in vote.eligible_organisations()),
        subject,
        body,
        application,
        kind="vote_opened",
        needs_action=True,
        awaits_state="partner_vote",
        rich=_rich(application, vote, vote.deadline_at, vote.session),
    )


def reminder(application: Application, vote: Vote, waiting: Iterable[int]) -> int:
    """To the representatives of the partners that have not voted yet."""
    values = {
        "title": application.title,
        "reference": application.reference,
        "deadline": lazy_datetime(vote.deadline_at),
    }
    return notifications.notify(
        notifications.representatives(waiting),
        _l("Erinnerung: Abstimmung „%(title)s“ endet am %(deadline)s", **values),
        _l(
            "Ihre Organisation hat zur Langfassung „%(title)s“ (%(reference)s) noch kein Votum "
            "abgegeben. Die Frist endet am %(deadline)s.",
            **values,
        ),
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
    body: LazyString,
    coordinators: list[User],
    partners: list[User],
    sponsors: list[User],
) -> None:
    """The circulation became an item of a session's agenda: the subject names the session's day
    (the new deadline); the calendar event is the session, and the circulation's deadline entry is
    cancelled. The partners are led to the vote page, the coordination and the sponsor to the
    application page."""
    if session is not None:
        subject = _l(
            "Umlaufverfahren beendet: %(reference)s kommt in die Sitzung am %(when)s",
            reference=application.reference,
            when=lazy_datetime(session.starts_at),
        )
    else:
        subject = _l(
            "Umlaufverfahren beendet: %(reference)s kommt in die Sitzung (noch nicht terminiert)",
            reference=application.reference,
        )
    entries = [_session_entry(application, session)] if session else []
    if ended_deadline is not None:
        entries.append(_deadline_entry(application, vote, ended_deadline, cancelled=True))
    facts = _facts(application, vote, None, session)
    attachments = _calendar(entries)
    to_vote = RichMail(
        VOTE_NOW if session else _l("Zur Abstimmung"), vote_link(application), facts, attachments
    )
    to_page = RichMail(_l("Zum Antrag"), notifications.application_link(application), facts, attachments)
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
