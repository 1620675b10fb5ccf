"""Telling people what happened: an in-app notification and a mail for each person concerned.

`notify` only writes rows into the current transaction (the outbox pattern); mail goes out after
the commit (see mail.py and the app's after_request hook), so nothing is mailed for an action that
did not happen.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app

from workflow.extensions import db
from workflow.formatting import local_date, local_datetime
from workflow.lifecycle import COORDINATOR, STATES_BY_NAME, TRIGGERS_BY_NAME
from workflow.models import Application, User
from workflow.models.notification import Notification, OutgoingMail
from workflow.models.types import utcnow
from workflow.rules import deadlines

MAIL_FOOTER = (
    "\n\n--\nAntragsweg · {alliance}\n"
    "Diese Nachricht wurde automatisch versandt. Alle Zeiten in deutscher Ortszeit (Europe/Berlin)."
)


def mail_footer(user: User) -> str:
    """The footer names the person's own alliance (never another's)."""
    return MAIL_FOOTER.format(alliance=user.organisation.alliance.name)


def application_link(application: Application) -> str:
    """The page's address as people outside reach it (also from the CLI, where no request is)."""
    path = current_app.url_map.bind("").build("applications.show", {"application_id": application.id})
    return current_app.config["BASE_URL"].rstrip("/") + path


def notify(users: Iterable[User], subject: str, body: str, application: Application | None = None) -> int:
    """An in-app notification and a queued mail for each (active) person; returns how many."""
    link = application_link(application) if application is not None else None
    count = 0
    for user in {u.id: u for u in users if u.active}.values():
        db.session.add(
            Notification(
                user_id=user.id,
                application_id=application.id if application else None,
                subject=subject,
                body=body,
                link=link,
            )
        )
        text = f"Guten Tag {user.name},\n\n{body}"
        if link:
            text += f"\n\nZum Antrag: {link}"
        db.session.add(OutgoingMail(to_address=user.email, subject=subject, body=text + mail_footer(user)))
        count += 1
    return count


def mail_to(user: User, subject: str, body: str) -> None:
    """A mail only, no in-app notification (links to confirm an address or set a password: they
    belong in the person's mailbox, not on a page)."""
    text = f"Guten Tag {user.name},\n\n{body}"
    db.session.add(OutgoingMail(to_address=user.email, subject=subject, body=text + mail_footer(user)))


def page_link(endpoint: str, **values) -> str:
    path = current_app.url_map.bind("").build(endpoint, values)
    return current_app.config["BASE_URL"].rstrip("/") + path


# The first assessment's result goes to the sponsor as a letter (views/assessment.py).
ASSESSMENT_DECISIONS = ("invite_long_form", "request_sketch_revision", "decline_sketch")


def coordinators(alliance_id: int) -> list[User]:
    return _users_where(User.role == COORDINATOR, alliance_id)


def sponsors(application: Application) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User).where(User.organisation_id == application.applicant_organisation_id, User.active)
        )
    )


def representatives(organisation_ids: Iterable[int]) -> list[User]:
    ids = list(organisation_ids)
    if not ids:
        return []
    return list(db.session.scalars(sa.select(User).where(User.organisation_id.in_(ids), User.active)))


def _users_where(condition, alliance_id: int) -> list[User]:
    from workflow.models import Organisation

    return list(
        db.session.scalars(
            sa.select(User)
            .join(Organisation, User.organisation_id == Organisation.id)
            .where(condition, Organisation.alliance_id == alliance_id, User.active)
        )
    )


def state_changed(application: Application, trigger: str, actor: User | None) -> None:
    """The sponsor hears of every change of their application; the coordination of every
    submission."""
    label = STATES_BY_NAME[application.state].label
    subject = f"{application.reference}: {label}"
    who = actor.name if actor else "Antragsweg"
    body = (
        f"Ihr Antrag „{application.title}“ ({application.reference}) hat den Status „{label}“ "
        f"(„{TRIGGERS_BY_NAME[trigger].label}“, {who}, {local_datetime(utcnow())})."
    )
    if trigger in ASSESSMENT_DECISIONS:
        body += "\n\nDas Ergebnis der Ersteinschätzung als Schreiben (auch als PDF): " + page_link(
            "assessment.letter", application_id=application.id
        )
    notify([u for u in sponsors(application) if u != actor], subject, body, application)
    if trigger in ("submit_sketch", "submit_long_form"):
        text = f"„{application.title}“ von {application.applicant.name} ist eingegangen: {label}."
        if trigger == "submit_sketch":
            counted = deadlines.counted_day(utcnow(), application.alliance.procedure.assessment_days)
            due = deadlines.next_working_day(counted)
            text += f" Ziel für die Ersteinschätzung: {local_date(due)}."
            if due != counted:
                text += f" ({deadlines.shift_note(counted)}.)"
        notify(
            coordinators(application.alliance_id),
            f"Eingereicht: {application.reference} – {label}",
            text,
            application,
        )


def unread(user: User, limit: int = 50) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def recent(user: User, limit: int = 50) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def unread_count_column():
    """The person's unread notifications, as a column of a query on users: signing a request in
    reads it with the person (every page shows the count in the navigation)."""
    return (
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .scalar_subquery()
    )


def remember_unread(user: User, count: int) -> None:
    user.unread_when_loaded = count  # a plain attribute: it lives as long as this request's session


def unread_count(user: User) -> int:
    counted = user.__dict__.get("unread_when_loaded")
    if counted is not None:
        return counted
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def mark_read(user: User, notification_id: int | None = None) -> None:
    query = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    db.session.execute(query.values(read_at=utcnow()))
    db.session.commit()
    user.__dict__.pop("unread_when_loaded", None)
