"""Reminders sent by `flask --app wsgi tick`, each exactly once (jobs.claim):

- sponsors with an open revision request (the sketch or the long form was sent back and has not been
  resubmitted), `procedure.revision_reminder_days` after the request;
- each coordinator's daily digest of what is overdue and what falls due in the next seven days.

(Reminders to partners who have not voted belong to the vote: workflow/votes/jobs.py.)
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from workflow.extensions import db
from workflow.formatting import local_date
from workflow.i18n import in_language_of, language_of
from workflow.lifecycle import COORDINATOR
from workflow.models import Alliance, Application, Event, Organisation, User
from workflow.models.types import utcnow
from workflow.permissions import DRAFTS
from workflow.rules import deadlines as calendar
from workflow.services import jobs, notifications, signing

# The sponsor's drafts, as the permission table knows them (the states the submissions leave).
DRAFT_STATES = tuple(sorted(DRAFTS))
# The triggers that hand a draft (back) to the sponsor; the latest tells whether it is a revision.
_INTO_DRAFT = (
    "record_consultation",
    "invite_long_form",
    "request_sketch_revision",
    "request_long_form_revision",
    "issue_statement",
)
DIGEST_FROM_HOUR = 6  # the digest goes out with the first tick after 06:00 in Berlin
DIGEST_DAYS = 7


def _is_revision(event: Event) -> bool:
    return event.trigger in ("request_sketch_revision", "request_long_form_revision") or (
        event.trigger == "issue_statement" and event.to_state == "long_form_draft"
    )


def requested_changes(event: Event) -> str:
    data = event.data or {}
    return data.get("reason") or data.get("deficiencies") or data.get("requested_changes") or ""


def open_revision_requests(applications) -> dict[int, Event]:
    """application id → the revision request the sponsor has not answered yet (one query)."""
    drafts = [a for a in applications if a.state in DRAFT_STATES]
    if not drafts:
        return {}
    latest: dict[int, Event] = {}
    for event in db.session.scalars(
        sa.select(Event)
        .where(Event.application_id.in_([a.id for a in drafts]), Event.trigger.in_(_INTO_DRAFT))
        .order_by(Event.id)
    ):
        latest[event.application_id] = event
    return {app_id: e for app_id, e in latest.items() if _is_revision(e)}


def send_revision_reminders(now: datetime | None = None) -> int:
    now = now or utcnow()
    today = calendar.local_date(now)
    applications = list(db.session.scalars(sa.select(Application).where(Application.state.in_(DRAFT_STATES))))
    sent = 0
    for app_id, request in open_revision_requests(applications).items():
        application = db.session.get(Application, app_id)
        waited = (today - calendar.local_date(request.created_at)).days
        reached = [n for n in application.alliance.procedure.revision_reminder_days if waited >= n]
        if not reached:
            continue
        # Only the latest reminder that is due; earlier ones missed meanwhile are not sent late.
        if not jobs.claim(f"revision-reminder:{request.id}:{max(reached)}"):
            continue
        values = {
            "reference": application.reference,
            "day": local_date(request.created_at),
            "title": application.title,
            "changes": requested_changes(request),
        }
        if application.state == "sketch_draft":
            subject = _l("Erinnerung: Überarbeitung der Projektskizze – %(reference)s", **values)
            body = _l(
                "Am %(day)s hat die Netzwerkkoordination um eine Überarbeitung der Projektskizze "
                "„%(title)s“ (%(reference)s) gebeten:\n\n%(changes)s\n\nBitte reichen Sie die "
                "überarbeitete Projektskizze ein, sobald sie fertig ist. Fragen beantwortet Ihnen die "
                "Netzwerkkoordination.",
                **values,
            )
        else:
            subject = _l("Erinnerung: Überarbeitung der Langfassung – %(reference)s", **values)
            body = _l(
                "Am %(day)s hat die Netzwerkkoordination um eine Überarbeitung der Langfassung "
                "„%(title)s“ (%(reference)s) gebeten:\n\n%(changes)s\n\nBitte reichen Sie die "
                "überarbeitete Langfassung ein, sobald sie fertig ist. Fragen beantwortet Ihnen die "
                "Netzwerkkoordination.",
                **values,
            )
        sent += notifications.notify(
            notifications.sponsors(application),
            subject,
            body,
            application,
            kind="revision_reminder",
            needs_action=True,
            awaits_state=application.state,
        )
        db.session.commit()
    return sent


def send_digests(now: datetime | None = None) -> int:
    from workflow.services import overview

    now = now or utcnow()
    local = now.astimezone(calendar.BERLIN)
    if local.hour < DIGEST_FROM_HOUR:
        return 0
    today = local.date().isoformat()
    sent = 0
    for alliance in db.session.scalars(sa.select(Alliance).order_by(Alliance.id)):
        entries, _total = overview.due_list(alliance.id, within_days=DIGEST_DAYS, limit=500, now=now)
        certificate = signing.expiry_warning(alliance.id, now)
        if not entries and not certificate:
            continue
        coordinators = list(
            db.session.scalars(
                sa.select(User)
                .join(Organisation, User.organisation_id == Organisation.id)
                .where(Organisation.alliance_id == alliance.id, User.role == COORDINATOR, User.active)
            )
        )
        written = {}  # the entries once per language: their descriptions are in it
        for user in coordinators:
            if not jobs.claim(f"digest:{user.id}:{today}"):
                continue
            with in_language_of(user):
                language = language_of(user)
                if language not in written:
                    written[language] = overview.due_list(
                        alliance.id, within_days=DIGEST_DAYS, limit=500, now=now
                    )[0]
                entries = written[language]
                body = _digest_body(alliance, entries, now)
                subject = gettext(
                    "Fristen am %(day)s: %(summary)s", day=local_date(now), summary=_summary(entries)
                )
                if certificate:  # 30 days before the signing certificate expires, every day until replaced
                    body = f"{certificate}\n\n{body}"
                    subject += " · " + gettext("Signaturzertifikat erneuern")
                sent += notifications.notify([user], subject, body, kind="deadline_digest")
        db.session.commit()
    return sent


def _summary(entries: list[dict]) -> str:
    overdue = sum(1 for e in entries if e["status"] == "overdue")
    return gettext(
        "%(overdue)s überfällig, %(soon)s in den nächsten %(days)s Tagen fällig",
        overdue=overdue,
        soon=len(entries) - overdue,
        days=DIGEST_DAYS,
    )


def _digest_body(alliance: Alliance, entries: list[dict], now: datetime) -> str:
    link = notifications.current_app.config["BASE_URL"].rstrip("/") + "/start"
    lines = [
        gettext("die Fristen der %(alliance)s am %(day)s:", alliance=alliance.name, day=local_date(now)),
        "",
    ]
    for title, wanted in (
        (gettext("Überfällig"), ("overdue",)),
        (gettext("Fällig in den nächsten %(days)s Tagen", days=DIGEST_DAYS), ("due_soon", "running")),
    ):
        chosen = [e for e in entries if e["status"] in wanted]
        if not chosen:
            continue
        lines.append(f"{title}:")
        for e in chosen:
            a = e["application"]
            lines.append(
                f"- {local_date(e['due_on'])} · {a['reference']} „{a['title']}“ ({a['sponsor']}): "
                f"{gettext(e['label'])} – {e['description']}"
            )
        lines.append("")
    lines.append(gettext("Übersicht: %(link)s", link=link))
    return "\n".join(lines)
