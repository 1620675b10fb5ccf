"""A personal iCalendar feed per person (RFC 5545): the deadlines that concern them.

The address carries a secret token; only its SHA-256 is stored, so the address is shown once, when
it is made. Making a new one or revoking it ends the old address at once. UIDs are stable (the
application, the kind of deadline and the moment it started), so that calendar clients update an
entry instead of duplicating it.

A deadline is a day (it ends at midnight in Berlin), so each is an all-day event on the day it falls
on; the calendar declares Europe/Berlin with its VTIMEZONE for every timed entry. Other features add
their own entries (the committee sessions) with `@source`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from icalendar import Calendar, Timezone
from icalendar import Event as CalendarEvent

from workflow.extensions import db
from workflow.formatting import local_date
from workflow.lifecycle import PARTNER
from workflow.models import Alliance, Application, CalendarFeed, User, Vote
from workflow.models.types import utcnow
from workflow.rules.deadlines import BERLIN
from workflow.services import access, deadlines, overview

Source = Callable[[User], list[dict]]
_SOURCES: list[Source] = []
PRODID = "-//Antragsweg//Fristen//DE"


def source(fn: Source) -> Source:
    """Register a function that returns a person's calendar entries as dicts: uid, summary,
    description, url, and either `day` (a date: all-day) or `start`/`end` (aware datetimes);
    optionally location, sequence (one more with each change), status (CONFIRMED, CANCELLED),
    started_at (CREATED) and last_modified."""
    _SOURCES.append(fn)
    return fn


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user: User) -> str:
    """A new secret address for `user` (any earlier one stops working). Returns the token."""
    revoke(user, commit=False)
    token = secrets.token_urlsafe(32)
    db.session.add(CalendarFeed(user_id=user.id, token_hash=_hash(token)))
    db.session.commit()
    return token


def revoke(user: User, commit: bool = True) -> int:
    result = db.session.execute(
        sa.update(CalendarFeed)
        .where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if commit:
        db.session.commit()
    return result.rowcount


def active_feed(user: User) -> CalendarFeed | None:
    return db.session.scalar(
        sa.select(CalendarFeed).where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))
    )


def user_for(token: str) -> User | None:
    if not token or len(token) > 100:
        return None
    feed = db.session.scalar(
        sa.select(CalendarFeed).where(
            CalendarFeed.token_hash == _hash(token), CalendarFeed.revoked_at.is_(None)
        )
    )
    if feed is None or not feed.user.active:
        return None
    feed.last_used_at = utcnow()
    db.session.commit()
    return feed.user


def _link(application_id: int) -> str:
    path = current_app.url_map.bind("").build("applications.show", {"application_id": application_id})
    return current_app.config["BASE_URL"].rstrip("/") + path


@source
def _deadlines(user: User) -> list[dict]:
    """Running deadlines: the coordinator's (all), a sponsor's (their applications'), an observer's
    (the assessments they are consulted in), a partner's (the circulations their organisation
    votes in)."""
    alliance = db.session.get(Alliance, user.alliance_id)
    states = {s for k in deadlines.KINDS for s in k.running_states}
    query = access.visible_applications(user).where(Application.state.in_(states))
    applications = list(db.session.scalars(query))
    wanted = deadlines.KINDS_OF_ROLE[user.role]
    eligible = None
    if user.role == PARTNER:
        eligible = set(
            db.session.scalars(overview.open_votes_of(user).with_only_columns(Vote.application_id))
        )
    entries = []
    due = deadlines.for_applications(applications)
    for application in applications:
        if eligible is not None and application.id not in eligible:
            continue
        for d in deadlines.running(due[application.id]):
            if d.kind.name not in wanted:
                continue
            stamp = d.started_at.strftime("%Y%m%dT%H%M%SZ")
            entries.append(
                {
                    "uid": f"{alliance.slug}-{application.id}-{d.kind.name}-{stamp}@antragsweg",
                    "day": d.due_on,
                    "summary": f"Frist: {d.kind.label} – {application.reference}",
                    "description": (
                        f"„{application.title}“ ({application.reference}), {application.applicant.name}.\n"
                        f"{d.kind.label}: Frist bis {local_date(d.due_on)}, 23:59 Uhr (Europe/Berlin); "
                        f"es handelt: {d.kind.actor_label}."
                        + (f"\n{d.explanation}." if d.explanation else "")
                    ),
                    "url": _link(application.id),
                    "started_at": d.started_at,
                }
            )
    return entries


def entries_for(user: User) -> list[dict]:
    entries = [entry for fn in _SOURCES for entry in fn(user)]
    return sorted(entries, key=lambda e: (e.get("day") or e["start"].date(), e["uid"]))


def ics(user: User, now: datetime | None = None) -> bytes:
    return calendar_file(entries_for(user), f"Antragsweg: Fristen und Sitzungen für {user.name}", now)


def calendar_file(entries: list[dict], name: str, now: datetime | None = None) -> bytes:
    """An iCalendar file (METHOD:PUBLISH) of `entries` (see `source`): the feed, and the calendar
    event a mail carries (workflow/votes/mails.py)."""
    now = now or utcnow()
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Berlin")
    today = now.astimezone(BERLIN).date()
    calendar.add_component(
        Timezone.from_tzid(
            "Europe/Berlin", first_date=date(today.year - 1, 1, 1), last_date=date(today.year + 3, 1, 1)
        )
    )
    for entry in entries:
        event = CalendarEvent()
        event.add("uid", entry["uid"])
        event.add("dtstamp", now)
        event.add("summary", entry["summary"])
        event.add("description", entry["description"])
        if entry.get("url"):
            event.add("url", entry["url"])
        if entry.get("day"):
            event.add("dtstart", entry["day"])
            event.add("dtend", entry["day"] + timedelta(days=1))
            event.add("transp", "TRANSPARENT")
        else:
            event.add("dtstart", entry["start"].astimezone(BERLIN))
            event.add("dtend", entry["end"].astimezone(BERLIN))
        if entry.get("started_at"):
            event.add("created", entry["started_at"])
        for key in ("location", "sequence", "status", "last_modified"):
            if entry.get(key) is not None:
                event.add(key.replace("_", "-"), entry[key])
        calendar.add_component(event)
    return calendar.to_ical()
