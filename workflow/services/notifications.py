"""Telling people what happened: an in-app notification and a mail for each person concerned.

`notify` only writes rows into the current transaction (the outbox pattern); the sender process
mails them after the commit (see mail.py), so nothing is mailed for an action that did not happen.

Each notification has a kind (KINDS). One that asks the person to act (DESIGN.md's roles: the
coordinator records the talk, assesses a submitted sketch, opens a vote, issues the statement; a
partner casts the organisation's vote or gives the view asked for; the sponsor writes, revises,
submits to NBank) counts in the navigation's badge on its own until it is read or done: done when
the application has left the state that asked for it, or the partner's organisation has voted. One
that only informs (a quorum reached, a session planned, a status the sponsor need not act on) is
grouped with the others of its kind (one entry, one count in the badge), or goes to the person's
daily digest instead (no mail of its own), as they chose on their account page; coordinators have
the digest by default for what needs no action.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext, lazy_gettext
from flask_babel import lazy_gettext as _l

from workflow.extensions import db
from workflow.formatting import lazy_datetime, local_date, page_datetime
from workflow.i18n import in_language_of, joined
from workflow.lifecycle import APPLICANT, COORDINATOR, N_, OBSERVER, PARTNER, STATES_BY_NAME, TRIGGERS_BY_NAME
from workflow.models import Application, User
from workflow.models.notification import Notification, NotificationPreference, OutgoingMail
from workflow.models.types import utcnow
from workflow.rules import deadlines
from workflow.services import jobs, mail_content
from workflow.services.mail_content import RichMail

IMMEDIATE, DIGEST = "immediate", "digest"


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # as the account page and the digest name it
    digestible: bool = True  # a notification of this kind that needs no action may wait for the digest


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("consultation_requested", N_("Neue Beratungsanfragen")),
        Kind("submitted", N_("Eingereichte Skizzen und Langfassungen")),
        Kind("assessment_request", N_("Bitten um Einschätzung einer Skizze")),
        Kind("assessment_comment", N_("Kommentare zur Ersteinschätzung")),
        Kind("vote_opened", N_("Neue Abstimmungen")),
        Kind("vote_reminder", N_("Erinnerungen an Abstimmungen")),
        Kind("quorum_reached", N_("Quorum erreicht")),
        Kind("vote_closed", N_("Geschlossene Abstimmungen")),
        Kind("moved_to_session", N_("Abstimmungen, die in die Sitzung gehen")),
        Kind("session_invitation", N_("Einladungen zu Sitzungen")),
        Kind("session_changed", N_("Verlegte und abgesagte Sitzungen")),
        Kind("state_changed", N_("Neuer Status Ihrer Anträge")),
        Kind("statement", N_("Stellungnahmen")),
        Kind("revision_reminder", N_("Erinnerungen an Überarbeitungen")),
        Kind("deadline_digest", N_("Tägliche Fristenübersicht"), digestible=False),
        Kind("digest", N_("Tagesübersicht"), digestible=False),
        Kind("info", N_("Sonstige Mitteilungen")),
    )
}
# The kinds a person of each role gets that need no action: the account page offers a choice for
# these (what asks for action always comes at once).
SETTINGS_BY_ROLE: dict[str, tuple[str, ...]] = {
    COORDINATOR: ("quorum_reached", "moved_to_session", "session_changed", "info"),
    PARTNER: ("session_invitation", "session_changed", "moved_to_session", "info"),
    APPLICANT: ("state_changed", "statement", "moved_to_session", "session_changed", "info"),
    OBSERVER: ("info",),
}
# Without a choice of their own: coordinators get what needs no action in the daily digest (their
# badge is for what they must do), everyone else at once.
DEFAULT_DIGEST: dict[str, frozenset[str]] = {
    COORDINATOR: frozenset({"quorum_reached", "session_changed", "info"}),
}


def mail_footer(user: User) -> str:
    """The footer names the person's own alliance (never another's)."""
    return f"\n\n--\nAntragsweg · {user.organisation.alliance.name}\n" + gettext(
        "Diese Nachricht wurde automatisch versandt. Alle Zeiten in deutscher Ortszeit (Europe/Berlin)."
    )


def greeting(user: User) -> str:
    return gettext("Guten Tag %(name)s,", name=user.name)


def application_link(application: Application) -> str:
    """The page's address as people outside reach it (also from the CLI, where no request is)."""
    path = current_app.url_map.bind("").build("applications.show", {"application_id": application.id})
    return current_app.config["BASE_URL"].rstrip("/") + path


def notify(
    users: Iterable[User],
    subject: str,
    body: str,
    application: Application | None = None,
    *,
    kind: str = "info",
    needs_action: bool = False,
    awaits_state: str | None = None,
    rich: RichMail | None = None,
) -> int:
    """An in-app notification and a queued mail for each (active) person; returns how many.

    `needs_action`: it asks the person to act; `awaits_state`: done once the application has left
    this state. One that needs no action waits for the person's daily digest (no mail now) when
    they chose so for its kind. `rich`: the mail is multipart (plain text and HTML, with its
    attachments) and leads to `rich.action_url`, as the notification does; without it the mail is
    plain text and both lead to the application page.

    `subject` and `body` may be lazy texts (`lazy_gettext` with their values): each person's
    notification and mail are written out in that person's language (users.language)."""
    if kind not in KINDS:
        raise KeyError(kind)
    link = application_link(application) if application is not None else None
    if rich is not None:
        link = rich.action_url
    people = list({u.id: u for u in users if u.active}.values())
    digest = _wants_digest(people, kind) if not needs_action and KINDS[kind].digestible else set()
    for user in people:
        with in_language_of(user):
            notification = Notification(
                user_id=user.id,
                application_id=application.id if application else None,
                subject=str(subject),
                body=str(body),
                link=link,
                kind=kind,
                needs_action=needs_action,
                awaits_state=awaits_state if needs_action else None,
                held=user.id in digest,
            )
            db.session.add(notification)
            if not notification.held:  # a held one goes out with the digest
                _mail(user, notification, rich)
    return len(people)


def _mail(user: User, notification: Notification, rich: RichMail | None) -> None:
    """The notification's mail, in the language being forced (the person's)."""
    subject, body = notification.subject, notification.body
    if rich is not None:
        db.session.add(
            OutgoingMail(to_address=user.email, subject=subject, body=_rich_body(user, subject, body, rich))
        )
        return
    text = f"{greeting(user)}\n\n{body}"
    if notification.link:
        text += "\n\n" + gettext("Zum Antrag: %(link)s", link=notification.link)
    db.session.add(OutgoingMail(to_address=user.email, subject=subject, body=text + mail_footer(user)))


def _rich_body(user: User, subject: str, body: str, rich: RichMail) -> str:
    alliance = user.organisation.alliance.name
    return mail_content.compose(
        mail_content.plain_text(user.name, body, rich, mail_footer(user)),
        mail_content.html(user.name, subject, body, rich, alliance),
        rich.attachments,
    )


def _wants_digest(people: list[User], kind: str) -> set[int]:
    """The ids of those who want notifications of `kind` in their digest (one query)."""
    if not people:
        return set()
    chosen = dict(
        db.session.execute(
            sa.select(NotificationPreference.user_id, NotificationPreference.delivery).where(
                NotificationPreference.kind == kind,
                NotificationPreference.user_id.in_([u.id for u in people]),
            )
        ).all()
    )
    return {
        u.id
        for u in people
        if chosen.get(u.id, DIGEST if kind in DEFAULT_DIGEST.get(u.role, ()) else IMMEDIATE) == DIGEST
    }


def resolve(
    application: Application, kinds: tuple[str, ...] = (), organisation_id: int | None = None
) -> None:
    """What asked for action on `application` and is done now. Without `kinds`: everything
    awaiting a state the application has left. With `kinds`: what asked for that action (of the
    people of `organisation_id`, or of everyone), which has just been taken or is no longer theirs."""
    now = utcnow()
    query = sa.update(Notification).where(
        Notification.application_id == application.id,
        Notification.resolved_at.is_(None),
        Notification.needs_action.is_(True),
    )
    if not kinds:
        query = query.where(
            Notification.awaits_state.is_not(None), Notification.awaits_state != application.state
        )
    else:
        query = query.where(Notification.kind.in_(kinds))
        if organisation_id is not None:
            people = sa.select(User.id).where(User.organisation_id == organisation_id).scalar_subquery()
            query = query.where(Notification.user_id.in_(people))
    db.session.execute(query.values(resolved_at=now).execution_options(synchronize_session=False))


def mail_to(user: User, subject: str, body: str) -> None:
    """A mail only, no in-app notification (links to confirm an address or set a password: they
    belong in the person's mailbox, not on a page)."""
    with in_language_of(user):
        text = f"{greeting(user)}\n\n{body}" + mail_footer(user)
        db.session.add(OutgoingMail(to_address=user.email, subject=str(subject), body=text))


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
    label = lazy_gettext(STATES_BY_NAME[application.state].label)
    subject = joined(": ", [application.reference, label])
    who = actor.name if actor else "Antragsweg"
    body = _l(
        "Ihr Antrag „%(title)s“ (%(reference)s) hat den Status „%(state)s“ („%(action)s“, %(who)s, %(time)s).",
        title=application.title,
        reference=application.reference,
        state=label,
        action=lazy_gettext(TRIGGERS_BY_NAME[trigger].label),
        who=who,
        time=lazy_datetime(utcnow()),
    )
    if trigger in ASSESSMENT_DECISIONS:
        letter = _l(
            "Das Ergebnis der Ersteinschätzung als Schreiben (auch als PDF): %(link)s",
            link=page_link("assessment.letter", application_id=application.id),
        )
        body = joined("\n\n", [body, letter])
    resolve(application)  # what the previous state asked of anyone is done
    sponsor_acts = STATES_BY_NAME[application.state].next_actor.startswith("Antragsteller")
    notify(
        [u for u in sponsors(application) if u != actor],
        subject,
        body,
        application,
        kind="state_changed",
        needs_action=sponsor_acts,
        awaits_state=application.state,
    )
    if trigger in ("submit_sketch", "submit_long_form"):
        text = [
            _l(
                "„%(title)s“ von %(sponsor)s ist eingegangen: %(state)s.",
                title=application.title,
                sponsor=application.applicant.name,
                state=label,
            )
        ]
        if trigger == "submit_sketch":
            counted = deadlines.counted_day(utcnow(), application.alliance.procedure.assessment_days)
            due = deadlines.next_working_day(counted)
            if due != counted:
                from workflow.services.deadlines import shift_note

                text.append(
                    _l(
                        "Ziel für die Ersteinschätzung: %(day)s. (%(why)s.)",
                        day=local_date(due),
                        why=shift_note(counted),
                    )
                )
            else:
                text.append(_l("Ziel für die Ersteinschätzung: %(day)s.", day=local_date(due)))
        notify(
            coordinators(application.alliance_id),
            _l("Eingereicht: %(reference)s – %(state)s", reference=application.reference, state=label),
            joined(" ", text),
            application,
            kind="submitted",
            needs_action=True,
            awaits_state=application.state,
        )


def _shown(user_id):
    """What a person sees in the list: everything but what waits for their digest."""
    return sa.and_(Notification.user_id == user_id, Notification.held.is_(False))


def _open(user_id):
    return sa.and_(_shown(user_id), Notification.read_at.is_(None), Notification.resolved_at.is_(None))


def unread(user: User, limit: int = 50) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification).where(_open(user.id)).order_by(Notification.id.desc()).limit(limit)
        )
    )


def recent(user: User, limit: int = 50) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification).where(_shown(user.id)).order_by(Notification.id.desc()).limit(limit)
        )
    )


def _count(user_id):
    """The badge: each open notification that asks for action, plus one per kind of the unread
    ones that only inform."""
    actions = (
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(_open(user_id), Notification.needs_action.is_(True))
        .scalar_subquery()
    )
    groups = (
        sa.select(sa.func.count(sa.distinct(Notification.kind)))
        .where(_open(user_id), Notification.needs_action.is_(False))
        .scalar_subquery()
    )
    return actions + groups


def unread_count_column():
    """The person's badge count, as a column of a query on users: signing a request in reads it
    with the person (every page shows the count in the navigation)."""
    return _count(User.id)


def remember_unread(user: User, count: int) -> None:
    user.unread_when_loaded = count  # a plain attribute: it lives as long as this request's session


def unread_count(user: User) -> int:
    counted = user.__dict__.get("unread_when_loaded")
    if counted is not None:
        return counted
    return db.session.scalar(sa.select(_count(user.id)))


def grouped(items: list[Notification]) -> list[dict]:
    """The list as people read it: what asks for action one by one; what only informs and is
    unread, one entry per kind (newest first) holding its notifications; read ones one by one."""
    entries: list[dict] = []
    groups: dict[str, dict] = {}
    for n in items:
        unread_info = n.read_at is None and n.resolved_at is None and not n.needs_action
        if unread_info and n.kind != "digest":
            group = groups.get(n.kind)
            if group is None:
                group = groups[n.kind] = {"group": True, "kind": gettext(KINDS[n.kind].label), "items": []}
                entries.append(group)
            group["items"].append(n)
        else:
            entries.append({"group": False, "item": n})
    return entries


def mark_read(user: User, notification_id: int | None = None, kind: str | None = None) -> None:
    """Mark one notification, one group (its kind), or all as read."""
    query = sa.update(Notification).where(_shown(user.id), Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    elif kind is not None:
        query = query.where(Notification.kind == kind, Notification.needs_action.is_(False))
    db.session.execute(query.values(read_at=utcnow()))
    db.session.commit()
    user.__dict__.pop("unread_when_loaded", None)


# -- the person's choice, and the daily digest ---------------------------------------------------------


def preferences(user: User) -> list[dict]:
    """The kinds the person may choose for, with their current choice."""
    chosen = dict(
        db.session.execute(
            sa.select(NotificationPreference.kind, NotificationPreference.delivery).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )
    return [
        {
            "kind": name,
            "label": KINDS[name].label,
            "delivery": chosen.get(name, DIGEST if name in DEFAULT_DIGEST.get(user.role, ()) else IMMEDIATE),
        }
        for name in SETTINGS_BY_ROLE.get(user.role, ())
    ]


def set_preferences(user: User, choices: dict[str, str]) -> None:
    from workflow.services.errors import RuleViolation

    offered = SETTINGS_BY_ROLE.get(user.role, ())
    for kind, delivery in choices.items():
        if kind not in offered or delivery not in (IMMEDIATE, DIGEST):
            raise RuleViolation(_l("Bitte wählen Sie „sofort“ oder „in der Tagesübersicht“."), field=kind)
    existing = {
        p.kind: p
        for p in db.session.scalars(
            sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    for kind, delivery in choices.items():
        if kind in existing:
            existing[kind].delivery = delivery
        else:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, delivery=delivery))
    db.session.commit()


def _digest(items: list[Notification], now: datetime) -> tuple[str, str]:
    """The digest's subject and text, in the language being forced (its recipient's)."""
    lines = [
        gettext("was seit der letzten Tagesübersicht für Sie eingegangen ist (%(count)s):", count=len(items)),
        "",
    ]
    for kind in dict.fromkeys(n.kind for n in items):
        of_kind = [n for n in items if n.kind == kind]
        lines.append(f"{gettext(KINDS[kind].label)} ({len(of_kind)}):")
        lines += [
            f"- {page_datetime(n.created_at)}: {n.subject}" + (f" – {n.link}" if n.link else "")
            for n in of_kind
        ]
        lines.append("")
    lines.append(
        gettext(
            "Wie Sie benachrichtigt werden, stellen Sie unter „Mein Konto“ ein: %(link)s",
            link=page_link("account.index"),
        )
    )
    subject = gettext(
        "Tagesübersicht am %(day)s: %(count)s Mitteilungen", day=local_date(now), count=len(items)
    )
    return subject, "\n".join(lines)


def send_digests(now: datetime | None = None) -> int:
    """With the first tick after 06:00 (Berlin), each person whose notifications wait for the
    digest gets one notification and one mail that list them by kind; once a day."""
    now = now or utcnow()
    local = now.astimezone(deadlines.BERLIN)
    if local.hour < 6:
        return 0
    waiting = db.session.scalars(
        sa.select(User).where(
            User.id.in_(
                sa.select(Notification.user_id).where(
                    Notification.held.is_(True), Notification.created_at <= now
                )
            )
        )
    ).all()
    sent = 0
    for user in waiting:
        key = f"notification-digest:{user.id}:{local.date().isoformat()}"
        if jobs.claimed(key) or not jobs.claim(key):
            continue
        items = list(
            db.session.scalars(
                sa.select(Notification)
                .where(
                    Notification.user_id == user.id,
                    Notification.held.is_(True),
                    Notification.created_at <= now,
                )
                .order_by(Notification.kind, Notification.id)
            )
        )
        with in_language_of(user):
            subject, body = _digest(items, now)
        notify([user], subject, body, kind="digest")
        db.session.execute(
            sa.update(Notification)
            .where(Notification.id.in_([n.id for n in items]))
            .values(held=False, read_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        sent += 1
    return sent
