"""A committee session's papers: the invitation with its agenda and the minutes, as PDF (rendered
on request from the record, never stored: each is the session as it stands), and the invitation
mail that carries the PDF and the session as a calendar event."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from workflow.extensions import db
from workflow.formatting import in_record_language, lazy_datetime, local_datetime, tally_summary
from workflow.models import Alliance, Application, CommitteeSession, Organisation, User, Vote
from workflow.models.types import utcnow
from workflow.services import notifications, pdf
from workflow.services.calendar_feeds import calendar_file
from workflow.services.mail_content import Attachment, RichMail
from workflow.services.statements import PDF_VARIANT, letterhead

INVITATION_FILE = "Einladung-Sitzung-{day}.pdf"
MINUTES_FILE = "Protokoll-Sitzung-{day}.pdf"


def _items(session: CommitteeSession) -> list[tuple[Application, Vote]]:
    return [
        (application, vote)
        for application, vote in db.session.execute(
            sa.select(Application, Vote)
            .join(Vote, Vote.application_id == Application.id)
            .where(Vote.session_id == session.id)
            .order_by(Application.reference)
        )
    ]


def _context(session: CommitteeSession, printed_by: User | None) -> dict:
    alliance = db.session.get(Alliance, session.alliance_id)
    return {
        "letterhead": letterhead(alliance),
        "committee": alliance.committee_name,
        "when": local_datetime(session.starts_at),
        "place": session.place,
        "agenda": session.agenda or "",
        "cancelled": session.cancel_reason if session.cancelled else None,
        "entered_afterwards": local_datetime(session.created_at) if session.entered_afterwards else None,
        "printed": local_datetime(utcnow()),
        "printed_by": printed_by.name if printed_by else "Antragsweg",
    }


def invitation_pdf(session: CommitteeSession, printed_by: User | None = None) -> bytes:
    context = _context(session, printed_by) | {
        "items": [
            {"reference": a.reference, "title": a.title, "sponsor": a.applicant.name}
            for a, _ in _items(session)
        ]
    }
    with in_record_language():  # an issued paper is German, whatever the reader's pages are in
        return pdf.render("pdf/session_invitation.html", context, pdf_variant=PDF_VARIANT)


def has_minutes(session: CommitteeSession) -> bool:
    """The minutes exist once the session has taken place (and was not cancelled)."""
    return not session.cancelled and session.starts_at <= utcnow()


def minutes_pdf(session: CommitteeSession, printed_by: User | None = None) -> bytes:
    with in_record_language():
        return _render_minutes(session, printed_by)


def _render_minutes(session: CommitteeSession, printed_by: User | None) -> bytes:
    organisations = {
        o.id: o.name
        for o in db.session.scalars(
            sa.select(Organisation).where(Organisation.alliance_id == session.alliance_id)
        )
    }
    attendance = sorted(
        ((organisations.get(a.organisation_id, ""), a.present) for a in session.attendance),
        key=lambda p: p[0],
    )
    items = []
    for application, vote in _items(session):
        decided = vote.closed_at is not None
        items.append(
            {
                "reference": application.reference,
                "title": application.title,
                "sponsor": application.applicant.name,
                "outcome": vote.outcome_label if decided else "noch nicht entschieden",
                "tally": tally_summary(vote.tally().as_dict()) if decided else "",
            }
        )
    context = _context(session, printed_by) | {
        "present": [name for name, present in attendance if present],
        "absent": [name for name, present in attendance if not present],
        "items": items,
        "minutes": session.minutes or "",
    }
    return pdf.render("pdf/session_minutes.html", context, pdf_variant=PDF_VARIANT)


def file_name(template: str, session: CommitteeSession) -> str:
    return template.format(day=f"{session.starts_at:%Y-%m-%d}")


def send_invitation(session: CommitteeSession, members: list[User], link: str) -> int:
    """The invitation to the committee's members (inside the caller's transaction): the mail
    carries the invitation as PDF and the session as a calendar event (the feed's UID)."""
    from workflow.services.sessions import calendar_entry

    alliance = db.session.get(Alliance, session.alliance_id)
    when = lazy_datetime(session.starts_at)
    items = [(a.reference, a.title) for a, _ in _items(session)]
    ics = calendar_file([calendar_entry(session, alliance, items)], f"Antragsweg: {alliance.committee_name}")
    rich = RichMail(
        action_label=_l("Zur Sitzung"),
        action_url=link,
        facts=((_l("Wann"), when), (_l("Wo"), session.place)),
        attachments=(
            Attachment(invitation_pdf(session), "pdf", file_name(INVITATION_FILE, session)),
            Attachment(ics.decode(), "calendar", "sitzung.ics", {"method": "PUBLISH"}),
        ),
    )
    return notifications.notify(
        members,
        _l("Sitzung (%(committee)s) am %(when)s", committee=alliance.committee_name, when=when),
        _l(
            "Die nächste Sitzung findet am %(when)s statt: %(place)s.\n\nTagesordnung:\n%(agenda)s\n\n"
            "Die Einladung mit der Tagesordnung hängt als PDF an, der Termin als Kalendereintrag.",
            when=when,
            place=session.place,
            agenda=session.agenda or "—",
        ),
        kind="session_invitation",
        rich=rich,
    )
