"""Committee sessions: the coordination schedules them (date, place or link, agenda), moves or
cancels them before they take place, records one that took place without being planned here
("entered afterwards") and keeps their minutes; votes are put on their agenda (see workflow/votes/ for
what happens to a vote there). Every change is an event of the alliance; a change that moves an
agenda item is also an event of its application. The committee's members (partners) and the
coordination find each session in their calendar feed (one entry per session, stable UID, its
SEQUENCE counting the changes, STATUS:CANCELLED once cancelled)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import LazyString, gettext, lazy_gettext
from flask_babel import lazy_gettext as _l

from workflow.extensions import db
from workflow.formatting import lazy_datetime, local_datetime, page_datetime
from workflow.i18n import joined
from workflow.lifecycle import COORDINATOR, N_, PARTNER
from workflow.models import Alliance, Application, CommitteeSession, Event, Organisation, User, Vote
from workflow.models.event import log_event
from workflow.models.event_kinds import MOVED_TO_SESSION
from workflow.models.types import utcnow
from workflow.rules import deadlines, voting
from workflow.services import access, calendar_feeds, notifications
from workflow.services.errors import InvalidTransition, Message, NotAllowed, NotFound, RuleViolation
from workflow.services.lifecycle import lock, lock_agenda
from workflow.votes import timing, to_session

SESSION_SCHEDULED, SESSION_MINUTES = "session_scheduled", "session_minutes"
SESSION_MOVED, SESSION_CANCELLED, SESSION_ENTERED = "session_moved", "session_cancelled", "session_entered"
SESSION_EVENTS = (SESSION_SCHEDULED, SESSION_MOVED, SESSION_CANCELLED, SESSION_ENTERED, SESSION_MINUTES)
SESSION_CHANGED_KIND = "session_changed"  # notifications.KINDS: a session moved or cancelled
PAST_PLANNING = _l("Eine Sitzung kann nicht in der Vergangenheit geplant werden.")
# A calendar entry needs an end; a session has none of its own.
CALENDAR_DURATION = timedelta(hours=2)
# Sessions that took place stay in the calendar feeds this long; cancelled ones until their day.
CALENDAR_KEEPS_PAST = timedelta(days=365)


def _coordinator_only(user: User) -> None:
    if not access.may(user, "coordinate"):
        raise NotAllowed(_l("Nur die Netzwerkkoordination plant Sitzungen."))


def _own(session: CommitteeSession, user: User) -> None:
    _coordinator_only(user)
    if session.alliance_id != user.alliance_id:
        raise NotFound(_l("Diese Sitzung gibt es nicht."))


def get(session_id: int, user: User) -> CommitteeSession:
    session = db.session.get(CommitteeSession, session_id)
    if session is None or session.alliance_id != user.alliance_id or not access.may(user, "see_sessions"):
        raise NotFound(_l("Diese Sitzung gibt es nicht."))
    return session


def list_for(user: User) -> list[CommitteeSession]:
    if not access.may(user, "see_sessions"):
        return []
    return list(
        db.session.scalars(
            sa.select(CommitteeSession)
            .where(CommitteeSession.alliance_id == user.alliance_id)
            .order_by(CommitteeSession.starts_at.desc())
        )
    )


def _clean_place(place: str | None) -> str:
    place = (place or "").strip()
    if not place:
        raise RuleViolation(_l("Bitte geben Sie den Ort oder den Link der Sitzung an."), field="place")
    return place


def _valid_time(starts_at: datetime) -> None:
    if starts_at.tzinfo is None:
        raise RuleViolation(_l("Ungültiger Zeitpunkt."), field="starts_at")
    if not deadlines.day_in_range(deadlines.local_date(starts_at)):
        raise RuleViolation(lazy_gettext(deadlines.DAY_OUT_OF_RANGE), field="day")


def _planned_time(starts_at: datetime) -> None:
    """A session is planned for today or later (Berlin's day, the rule in rules/deadlines.py)."""
    _valid_time(starts_at)
    if deadlines.planned_in_the_past(starts_at, utcnow()):
        raise RuleViolation(PAST_PLANNING, field="day")


def _event(session: CommitteeSession, actor: User, kind: str, data: dict) -> None:
    log_event(None, actor, kind, alliance_id=session.alliance_id, session_id=session.id, **data)


def schedule(coordinator: User, starts_at: datetime, place: str, agenda: str) -> CommitteeSession:
    """A new session. Votes waiting for "the next session" go onto its agenda if it is the next."""
    _coordinator_only(coordinator)
    place, agenda = _clean_place(place), (agenda or "").strip()
    _planned_time(starts_at)
    lock_agenda(coordinator.alliance_id)  # which session is the next one, and what waits for it
    session = CommitteeSession(
        alliance_id=coordinator.alliance_id,
        starts_at=starts_at,
        place=place,
        agenda=agenda,
        created_by_id=coordinator.id,
    )
    db.session.add(session)
    db.session.flush()
    upcoming = timing.upcoming_sessions(coordinator.alliance_id)
    attached = to_session.attach_waiting_votes(session) if upcoming and upcoming[0].id == session.id else 0
    _event(
        session,
        coordinator,
        SESSION_SCHEDULED,
        {"starts_at": starts_at, "place": place, "attached": attached},
    )
    invite(session)
    db.session.commit()
    return session


def has_taken_place(session: CommitteeSession, now: datetime | None = None) -> bool:
    return session.entered_afterwards or session.starts_at <= (now or utcnow())


def _why_unchangeable(session: CommitteeSession) -> Message | None:
    """A session can be moved or cancelled until it begins (and not once cancelled): why not."""
    if session.cancelled:
        return _l("Die Sitzung ist abgesagt.")
    if has_taken_place(session):
        return _l("Die Sitzung hat bereits stattgefunden; sie kann nicht mehr geändert werden.")
    return None


def may_change(session: CommitteeSession) -> bool:
    return _why_unchangeable(session) is None


def ensure_changeable(session: CommitteeSession) -> None:
    problem = _why_unchangeable(session)
    if problem:
        raise InvalidTransition(problem)


def _lock_session(session: CommitteeSession) -> None:
    """The session's row for this transaction alone (two changes at once count their SEQUENCE
    one after the other); on SQLite a no-op UPDATE takes the database's write lock. After the
    agenda, before any application (the lock order is in services/lifecycle.py)."""
    db.session.flush()
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            sa.text("UPDATE committee_sessions SET id = id WHERE id = :id"), {"id": session.id}
        )
    db.session.refresh(session, with_for_update={"key_share": True})


def _open_items(session: CommitteeSession) -> list[Application]:
    """The alliance's agenda and the session locked, then the applications whose open vote is on
    this session's agenda, each locked (in id order). Under the agenda's lock no vote comes onto
    or leaves this session meanwhile, so the list is whole."""
    lock_agenda(session.alliance_id)
    _lock_session(session)
    ids = db.session.scalars(
        sa.select(Vote.application_id)
        .where(Vote.session_id == session.id, Vote.closed_at.is_(None))
        .order_by(Vote.application_id)
    ).all()
    applications = []
    for application_id in ids:
        application = db.session.get(Application, application_id)
        lock(application)
        vote = application.current_vote
        if vote is not None and vote.is_open and vote.session_id == session.id:
            applications.append(application)
    return applications


def _item_event(application: Application, actor: User, reason: str, target: CommitteeSession | None) -> None:
    vote = application.current_vote
    log_event(
        application, actor, MOVED_TO_SESSION, vote_id=vote.id, reason=reason, session=timing.session_record(target)
    )


def _tell(
    session: CommitteeSession,
    actor: User,
    items: list[Application],
    subject: LazyString,
    news: LazyString,
    agenda: list[LazyString],
    sponsor_line,
) -> None:
    """The committee's members and the (other) coordinators read `news` with the whole `agenda`
    (its paragraphs); the sponsor of each item concerned reads `news` with
    `sponsor_line(application)` about their own application only (the agenda names other
    sponsors' applications). Each in their own language (lazy texts)."""
    people = members(session.alliance_id) + notifications.coordinators(session.alliance_id)
    notifications.notify(
        [p for p in people if p.id != actor.id],
        subject,
        joined("\n\n", [news, *agenda]),
        kind=SESSION_CHANGED_KIND,
    )
    for application in items:
        notifications.notify(
            [u for u in notifications.sponsors(application) if u.id != actor.id],
            subject,
            joined("\n\n", [news, sponsor_line(application)]),
            application,
            kind=SESSION_CHANGED_KIND,
        )


def reschedule(
    session: CommitteeSession, coordinator: User, starts_at: datetime, place: str, agenda: str
) -> bool:
    """Move a session (another day or time, place or agenda) before it takes place. Its agenda
    items go with it. Returns False when nothing changed."""
    _own(session, coordinator)
    place, agenda = _clean_place(place), (agenda or "").strip()
    _planned_time(starts_at)
    items = _open_items(session)  # locked first: no objection or recording runs meanwhile
    ensure_changeable(session)
    before = {"starts_at": session.starts_at, "place": session.place}
    moved = session.starts_at != starts_at
    if not moved and session.place == place and (session.agenda or "") == agenda:
        db.session.rollback()
        return False
    session.starts_at, session.place, session.agenda = starts_at, place, agenda
    session.sequence += 1
    session.updated_at = utcnow()
    for application in items:
        vote = application.current_vote
        vote.session_date = deadlines.local_date(starts_at)
        if moved:
            _item_event(application, coordinator, "session_moved", session)
    _event(
        session,
        coordinator,
        SESSION_MOVED,
        {
            "from": before["starts_at"],
            "to": starts_at,
            "place_before": before["place"],
            "place": place,
            "sequence": session.sequence,
        },
    )
    when = lazy_datetime(starts_at)
    change = LazyString(moved_text, before["starts_at"], starts_at, before["place"], place)
    if moved:
        subject = _l("Sitzung verlegt: neu am %(when)s", when=when)
    else:
        subject = _l("Sitzung am %(when)s geändert", when=when)
    news = _l(
        "%(change)s. Die Sitzung findet am %(when)s statt: %(place)s.", change=change, when=when, place=place
    )
    _tell(
        session,
        coordinator,
        items,
        subject,
        news,
        [_l("Tagesordnung:\n%(agenda)s", agenda=agenda or "—"), *_item_lines(items)],
        lambda a: _sponsor_line(a, session),
    )
    db.session.commit()
    return True


def cancel(session: CommitteeSession, coordinator: User, reason: str) -> int:
    """Cancel a session before it takes place. Its open agenda items go to the next session (or
    wait for one to be scheduled). Returns how many items were moved."""
    _own(session, coordinator)
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(_l("Bitte nennen Sie den Grund der Absage."), field="reason")
    items = _open_items(session)
    ensure_changeable(session)
    session.cancelled_at = session.updated_at = utcnow()
    session.cancelled_by_id = coordinator.id
    session.cancel_reason = reason
    session.sequence += 1
    db.session.flush()
    upcoming = timing.upcoming_sessions(session.alliance_id)
    target = upcoming[0] if upcoming else None
    for application in items:
        vote = application.current_vote
        vote.session_id = target.id if target else None
        vote.session_date = deadlines.local_date(target.starts_at) if target else None
        _item_event(application, coordinator, "session_cancelled", target)
    _event(
        session,
        coordinator,
        SESSION_CANCELLED,
        {"reason": reason, "moved": len(items), "to_session_id": target.id if target else None},
    )
    when = lazy_datetime(session.starts_at)
    news = _l(
        "Die Sitzung am %(when)s (%(place)s) ist abgesagt: %(reason)s",
        when=when,
        place=session.place,
        reason=reason,
    )
    moved_items = (
        [
            _l(
                "Die Anträge auf ihrer Tagesordnung werden %(session)s beraten:",
                session=timing.session_text(target),
            ),
            *_item_lines(items),
        ]
        if items
        else []
    )
    _tell(
        session,
        coordinator,
        items,
        _l("Sitzung am %(when)s abgesagt", when=when),
        news,
        moved_items,
        lambda a: _sponsor_line(a, target),
    )
    db.session.commit()
    return len(items)


# -- a session recorded afterwards --------------------------------------------------------------


def attachable_votes(alliance_id: int, day, exclude_session_id: int | None = None) -> list[Application]:
    """The applications whose vote may be put on a session held on `day` that is recorded
    afterwards: open votes of the alliance opened on or before that day that no session has
    decided and no past session holds: a circulation that is still running (or ran out without
    quorum, waiting to be moved), a vote waiting for the next session, or one on the agenda of a
    session still to come (dealt with earlier than planned)."""
    now = utcnow()
    candidates = db.session.scalars(
        sa.select(Application)
        .join(Vote, Vote.application_id == Application.id)
        .where(
            Application.alliance_id == alliance_id,
            Application.state == "partner_vote",
            Vote.closed_at.is_(None),
        )
        .order_by(Application.reference)
    ).unique()
    found = []
    for application in candidates:
        vote = application.current_vote
        if vote is None or not vote.is_open or deadlines.local_date(vote.opened_at) > day:
            continue
        if vote.mode == voting.CIRCULATION:
            usable = timing.status(vote) != "closed"  # past its deadline with quorum: it decides itself
        else:
            held = vote.session
            usable = held is None or held.id == exclude_session_id or not has_taken_place(held, now)
        if usable:
            found.append(application)
    return found


def enter_past(
    coordinator: User,
    starts_at: datetime,
    place: str,
    agenda: str,
    minutes: str,
    application_ids: list[int],
) -> CommitteeSession:
    """Record a session that took place without being planned here: date, place, agenda, minutes
    and the votes it dealt with (each then recorded and closed on the session's page as in any
    session). Marked as entered afterwards (by whom and when); no invitation goes out, and the
    votes it takes leave their circulation: no deadline, reminder or `tick` applies to them."""
    _coordinator_only(coordinator)
    place, agenda, minutes = _clean_place(place), (agenda or "").strip(), (minutes or "").strip()
    _valid_time(starts_at)
    if deadlines.still_to_come(starts_at, utcnow()):
        raise RuleViolation(
            _l("Eine Sitzung, die noch bevorsteht, planen Sie über „Sitzung planen“."), field="day"
        )
    day = deadlines.local_date(starts_at)
    lock_agenda(coordinator.alliance_id)  # the votes it takes leave their sessions
    session = CommitteeSession(
        alliance_id=coordinator.alliance_id,
        starts_at=starts_at,
        place=place,
        agenda=agenda,
        minutes=minutes or None,
        created_by_id=coordinator.id,
        entered_afterwards=True,
    )
    db.session.add(session)
    db.session.flush()
    wanted = sorted(set(application_ids))
    for application_id in wanted:
        application = db.session.get(Application, application_id)
        if application is None or application.alliance_id != coordinator.alliance_id:
            db.session.rollback()
            raise RuleViolation(_l("Dieser Antrag gehört nicht zu Ihrem Bündnis."), field="application_ids")
        lock(application)
        allowed = {
            a.id for a in attachable_votes(coordinator.alliance_id, day, exclude_session_id=session.id)
        }
        if application.id not in allowed:
            db.session.rollback()
            raise RuleViolation(
                _l(
                    "Über „%(title)s“ (%(reference)s) kann diese Sitzung nicht abgestimmt haben: die "
                    "Abstimmung war an diesem Tag nicht offen, ist entschieden oder steht auf einer Sitzung, "
                    "die schon stattgefunden hat.",
                    title=application.title,
                    reference=application.reference,
                ),
                field="application_ids",
            )
        vote = application.current_vote
        was_circulation = vote.mode == voting.CIRCULATION
        vote.mode = voting.SESSION
        vote.deadline_at = None  # the circulation's deadline ended (kept in the open_vote event)
        vote.session_id = session.id
        vote.session_date = day
        _item_event(application, coordinator, "entered_session", session)
        values = {
            "reference": application.reference,
            "title": application.title,
            "committee": application.alliance.committee_name,
            "session": timing.session_text(session),
        }
        if was_circulation:
            body = _l(
                "Über „%(title)s“ (%(reference)s) hat das Gremium „%(committee)s“ %(session)s beraten. Die "
                "Netzwerkkoordination hat die Sitzung nachgetragen und erfasst ihr Ergebnis. Das "
                "Umlaufverfahren ist damit beendet.",
                **values,
            )
        else:
            body = _l(
                "Über „%(title)s“ (%(reference)s) hat das Gremium „%(committee)s“ %(session)s beraten. Die "
                "Netzwerkkoordination hat die Sitzung nachgetragen und erfasst ihr Ergebnis.",
                **values,
            )
        notifications.notify(
            notifications.representatives(o.id for o in vote.eligible_organisations())
            + notifications.sponsors(application),
            _l(
                "%(reference)s: in der Sitzung am %(when)s beraten",
                reference=application.reference,
                when=lazy_datetime(starts_at),
            ),
            body,
            application,
            kind="moved_to_session",  # one application's notice: its own sponsor and voters only
        )
    _event(
        session,
        coordinator,
        SESSION_ENTERED,
        {"starts_at": starts_at, "place": place, "items": wanted, "minutes": bool(minutes)},
    )
    db.session.commit()
    return session


def save_minutes(session: CommitteeSession, coordinator: User, minutes: str) -> None:
    _own(session, coordinator)
    minutes = (minutes or "").strip()
    if not minutes:
        raise RuleViolation(_l("Bitte geben Sie das Protokoll ein."), field="minutes")
    session.minutes = minutes
    _event(session, coordinator, SESSION_MINUTES, {"length": len(minutes)})
    db.session.commit()


def moved_text(starts_before: datetime, starts_at: datetime, place_before: str, place: str) -> str:
    """A change of a session as its history and its mails tell it, in the language of the moment
    (a mail's `LazyString(moved_text, …)` in its recipient's)."""
    values = {"before": page_datetime(starts_before), "after": page_datetime(starts_at), "place": place}
    if starts_before != starts_at:
        if place != place_before:
            return gettext("Verlegt vom %(before)s auf den %(after)s; Ort: %(place)s", **values)
        return gettext("Verlegt vom %(before)s auf den %(after)s", **values)
    if place != place_before:
        return gettext("Geändert; Ort: %(place)s", **values)
    return gettext("Geändert")


def describe(event: Event) -> str:
    """One event of a session, as its page's history tells it (in the page's language)."""
    data = event.data or {}
    if event.kind == SESSION_MOVED:
        return moved_text(
            datetime.fromisoformat(data["from"]),
            datetime.fromisoformat(data["to"]),
            data.get("place_before"),
            data.get("place"),
        )
    if event.kind == SESSION_CANCELLED:
        return gettext("Abgesagt: %(reason)s", reason=data.get("reason", ""))
    labels = {
        SESSION_SCHEDULED: N_("Geplant"),
        SESSION_ENTERED: N_("Nachgetragen (die Sitzung war nicht in Antragsweg geplant)"),
        SESSION_MINUTES: N_("Protokoll gespeichert"),
    }
    return gettext(labels[event.kind]) if event.kind in labels else event.kind


def history(session: CommitteeSession) -> list[Event]:
    """The session's own events (planned, moved, cancelled, entered afterwards, minutes)."""
    events = db.session.scalars(
        sa.select(Event)
        .where(
            Event.alliance_id == session.alliance_id,
            Event.application_id.is_(None),
            Event.kind.in_(SESSION_EVENTS),
        )
        .order_by(Event.id)
    )
    return [e for e in events if (e.data or {}).get("session_id") == session.id]


def agenda_items(session: CommitteeSession) -> list[Application]:
    """The applications whose vote is on this session's agenda (open or already decided there)."""
    return list(
        db.session.scalars(
            sa.select(Application)
            .join(Vote, Vote.application_id == Application.id)
            .where(Vote.session_id == session.id)
            .order_by(Application.reference)
        )
    )


def _item_lines(items: list[Application]) -> list[LazyString]:
    """The paragraph that lists the applications on the agenda (none without any)."""
    if not items:
        return []
    lines = "\n".join(f"- {a.reference} – {a.title}" for a in items)
    return [_l("Anträge zur Abstimmung:\n%(items)s", items=lines)]


def _sponsor_line(application: Application, session: CommitteeSession | None) -> LazyString:
    return _l(
        "Ihr Antrag „%(title)s“ (%(reference)s) wird %(session)s beraten.",
        title=application.title,
        reference=application.reference,
        session=timing.session_text(session),
    )


def is_past(session: CommitteeSession) -> bool:
    """Its day has come (today or earlier, Berlin's day): its results can be recorded."""
    return not deadlines.is_future_day(deadlines.local_date(session.starts_at), utcnow())


def members(alliance_id: int) -> list[User]:
    """The committee's members: the active representatives of the alliance's partners."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Organisation, User.organisation_id == Organisation.id)
            .where(Organisation.alliance_id == alliance_id, User.role == PARTNER, User.active)
        )
    )


def invite(session: CommitteeSession) -> int:
    """Tell the committee's members about a new session (inside the caller's transaction), with
    the invitation as PDF and the session as a calendar event."""
    from workflow.services import session_papers

    return session_papers.send_invitation(session, members(session.alliance_id), _session_link(session))


# -- the calendar feeds -------------------------------------------------------------------------


def _session_link(session: CommitteeSession) -> str:
    path = current_app.url_map.bind("").build("sessions.show", {"session_id": session.id})
    return current_app.config["BASE_URL"].rstrip("/") + path


@calendar_feeds.source
def _calendar_entries(user: User) -> list[dict]:
    """The alliance's sessions in the coordination's and every partner's feed: the ones to come,
    those held in the last year, and a cancelled one (STATUS:CANCELLED) until its day is over."""
    if user.role not in (COORDINATOR, PARTNER):
        return []
    now = utcnow()
    alliance = db.session.get(Alliance, user.alliance_id)
    found = list(
        db.session.scalars(
            sa.select(CommitteeSession)
            .where(
                CommitteeSession.alliance_id == user.alliance_id,
                CommitteeSession.starts_at >= now - CALENDAR_KEEPS_PAST,
            )
            .order_by(CommitteeSession.starts_at)
        )
    )
    start_of_today = datetime.combine(deadlines.local_date(now), datetime.min.time(), tzinfo=deadlines.BERLIN)
    found = [s for s in found if not s.cancelled or s.starts_at >= start_of_today]
    items: dict[int, list[tuple[str, str]]] = {s.id: [] for s in found}
    if found:
        for session_id, reference, title in db.session.execute(
            sa.select(Vote.session_id, Application.reference, Application.title)
            .join(Application, Vote.application_id == Application.id)
            .where(Vote.session_id.in_(list(items)))
            .order_by(Application.reference)
        ):
            items[session_id].append((reference, title))
    return [calendar_entry(session, alliance, items[session.id]) for session in found]


def calendar_entry(session: CommitteeSession, alliance: Alliance, items: list[tuple[str, str]]) -> dict:
    """A session as calendar event (the feed's, and the invitation's attachment: the same UID,
    so a calendar that has both keeps one entry). `items`: (reference, title) on its agenda."""
    when = local_datetime(session.starts_at)
    lines = [f"Sitzung: {alliance.committee_name}, {when}, {session.place}."]
    if session.cancelled:
        lines.append(f"ABGESAGT: {session.cancel_reason}")
    if session.entered_afterwards:
        lines.append(f"Nachgetragen am {local_datetime(session.created_at)}.")
    if session.agenda:
        lines += ["", "Tagesordnung:", session.agenda]
    if items:
        lines += ["", "Anträge zur Abstimmung:"] + [f"- {ref} – {title}" for ref, title in items]
    return {
        "uid": f"{alliance.slug}-session-{session.id}@antragsweg",
        "summary": ("Abgesagt: " if session.cancelled else "") + f"Sitzung: {alliance.committee_name}",
        "description": "\n".join(lines),
        "url": _session_link(session),
        "start": session.starts_at,
        "end": session.starts_at + CALENDAR_DURATION,
        "location": session.place,
        "sequence": session.sequence,
        "status": "CANCELLED" if session.cancelled else "CONFIRMED",
        "started_at": session.created_at,
        "last_modified": session.updated_at or session.created_at,
    }
