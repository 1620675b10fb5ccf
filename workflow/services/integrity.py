"""Checking the event log's hash chains (tamper evidence)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from workflow.extensions import db
from workflow.models import Event


@dataclass(frozen=True)
class Break:
    event_id: int
    application_id: int | None
    reason: str


def verify_log() -> tuple[int, Break | None]:
    """Walk every chain in order; returns (events checked, the first broken link or None)."""
    checked = 0
    previous: dict[tuple, str | None] = {}
    query = sa.select(Event).order_by(Event.id).execution_options(yield_per=1000)
    result = db.session.scalars(query)
    try:
        for event in result:
            checked += 1
            key = (event.application_id, None if event.application_id else event.alliance_id)
            if event.prev_hash != previous.get(key):
                return checked, Break(
                    event.id,
                    event.application_id,
                    "Die Verkettung ist unterbrochen: der Vorgänger fehlt oder wurde verändert.",
                )
            if event.content_hash() != event.hash:
                return checked, Break(
                    event.id, event.application_id, "Der Inhalt des Ereignisses wurde verändert."
                )
            previous[key] = event.hash
        return checked, None
    finally:
        result.close()  # a server-side cursor on PostgreSQL
