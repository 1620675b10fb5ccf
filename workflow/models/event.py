from __future__ import annotations

import hashlib
import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from workflow.extensions import db
from workflow.models.types import UTC, UTCDateTime, utcnow

# Kinds of events besides transitions (kind == "transition").
TRANSITION, CREATED, BALLOT_CAST, RECUSAL = "transition", "created", "ballot_cast", "recusal"


class Event(db.Model):
    """Something that happened to an application: who, when, from, to, what was recorded.

    Append-only: the ORM refuses to change or delete a stored event (see the listener below).
    Tamper-evident: each event carries the hash of its predecessor in its chain (the events of one
    application; events of no application form one chain per alliance) and its own hash over its
    content; `flask --app wsgi verify-log` checks every chain. Two events can never claim the same
    predecessor (unique prev_hash), so concurrent writers cannot fork a chain.
    """

    __tablename__ = "events"
    __table_args__ = (
        sa.Index("ix_events_application_id_id", "application_id", "id"),
        # The deadlines read "the latest submit_sketch / submit_long_form / open_vote of this
        # application" for every row of a list (services/deadlines.py): one index seek each.
        sa.Index("ix_events_application_id_trigger_id", "application_id", "trigger", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(sa.ForeignKey("alliances.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("applications.id"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: the system
    kind: Mapped[str] = mapped_column(sa.String(32))
    trigger: Mapped[str | None] = mapped_column(sa.String(64))
    from_state: Mapped[str | None] = mapped_column(sa.String(32))
    to_state: Mapped[str | None] = mapped_column(sa.String(32))
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64))

    actor = relationship("User", lazy="joined")

    def content_hash(self) -> str:
        """SHA-256 over everything recorded, and the predecessor's hash."""
        content = {
            "alliance_id": self.alliance_id,
            "application_id": self.application_id,
            "actor_id": self.actor_id,
            "kind": self.kind,
            "trigger": self.trigger,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "data": self.data or {},
            "created_at": self.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "prev_hash": self.prev_hash,
        }
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.kind} {self.trigger} {self.from_state}->{self.to_state}>"


class EventLogIsAppendOnly(Exception):
    pass


def chain_condition(application_id: int | None, alliance_id: int):
    """The events of one chain: one application's, or an alliance's events of no application."""
    if application_id is not None:
        return Event.application_id == application_id
    return sa.and_(Event.application_id.is_(None), Event.alliance_id == alliance_id)


@sa_event.listens_for(Session, "before_flush")
def _guard_and_chain_events(session, flush_context, instances):
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, Event) and (obj in session.deleted or session.is_modified(obj)):
            raise EventLogIsAppendOnly(f"event {obj.id} may not be changed or deleted")
    new_events = [obj for obj in session.new if isinstance(obj, Event)]
    if not new_events:
        return
    last_hash: dict[tuple, str | None] = {}
    with session.no_autoflush:
        for event in sorted(new_events, key=lambda e: getattr(e, "_sequence", 0)):
            if event.created_at is None:
                event.created_at = utcnow()
            event.data = event.data or {}
            key = (event.application_id, None if event.application_id else event.alliance_id)
            if key not in last_hash:
                last_hash[key] = session.scalar(
                    sa.select(Event.hash)
                    .where(chain_condition(event.application_id, event.alliance_id))
                    .order_by(Event.id.desc())
                    .limit(1)
                )
            event.prev_hash = last_hash[key]
            event.hash = event.content_hash()
            last_hash[key] = event.hash


_counter = iter(range(1, 2**62))


@sa_event.listens_for(Event, "init")
def _remember_order(target, args, kwargs):
    # The order events were created in one request is the order of their chain.
    target._sequence = next(_counter)
