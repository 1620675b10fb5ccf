"""The committee's sessions of the caller's alliance."""

from __future__ import annotations

from typing import Literal

from flask import jsonify, url_for

from workflow.api import bp
from workflow.api.loading import caller
from workflow.api.registry import ok, route
from workflow.api.shapes import DateTime, Named, Shape, named
from workflow.api.vote import status_of
from workflow.lifecycle import STATE_NAMES
from workflow.models import CommitteeSession, User
from workflow.services import access, sessions
from workflow.services.errors import NotAllowed


class SessionItem(Shape):
    """Ein Antrag auf der Tagesordnung."""

    application_id: int
    reference: str | None
    title: str
    state: Literal[tuple(STATE_NAMES)]
    vote_status: str | None
    url: str


class Attendance(Shape):
    organisation: Named
    present: bool


class Session(Shape):
    """Eine Sitzung des Gremiums mit Tagesordnung, Protokoll und Anwesenheit."""

    id: int
    starts_at: DateTime
    place: str
    agenda: str
    minutes: str | None
    past: bool
    cancelled_at: DateTime | None
    cancel_reason: str | None
    entered_afterwards: bool
    sequence: int
    items: list[SessionItem]
    attendance: list[Attendance]


class SessionList(Shape):
    items: list[Session]


def session_of(item: CommitteeSession, user: User) -> Session:
    items = [
        SessionItem(
            application_id=application.id,
            reference=application.reference,
            title=application.title,
            state=application.state,
            vote_status=status_of(application.current_vote) if application.current_vote is not None else None,
            url=url_for("api.get_application", application_id=application.id),
        )
        for application in sessions.agenda_items(item)
        if access.may(user, "view", application)
    ]
    return Session(
        id=item.id,
        starts_at=item.starts_at,
        place=item.place,
        agenda=item.agenda or "",
        minutes=item.minutes,
        past=sessions.is_past(item),
        cancelled_at=item.cancelled_at,
        cancel_reason=item.cancel_reason,
        entered_afterwards=item.entered_afterwards,
        sequence=item.sequence,
        items=items,
        attendance=[
            Attendance(organisation=named(a.organisation), present=a.present) for a in item.attendance
        ],
    )


@route(
    bp,
    "GET",
    "/sessions",
    summary="Sitzungen des Gremiums (Bündnispartner, Koordination, Beobachter)",
    description="Die Sitzungen des eigenen Bündnisses, neueste zuerst, mit Tagesordnung, Protokoll, "
    "Anwesenheit und den Anträgen, über die dort abgestimmt wird (nur die, die Sie sehen dürfen). "
    "Projektträger sehen keine Sitzungen (403).",
    tag="Sitzungen",
    errors=(403,),
    responses=ok(SessionList),
)
def list_sessions():
    user = caller()
    if not access.may(user, "see_sessions"):
        raise NotAllowed("Die Sitzungen sehen die Bündnispartner, die Koordination und Beobachter.")
    return jsonify(SessionList(items=[session_of(s, user) for s in sessions.list_for(user)]).plain())
