from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from workflow.extensions import db
from workflow.models.types import UTCDateTime, utcnow

# Kinds of events besides transitions (kind == "transition").
TRANSITION, CREATED, BALLOT_CAST, RECUSAL = "transition", "created", "ballot_cast", "recusal"


class Event(db.Model):
    """Something that happened to an application: who, when, from, to, what was recorded.

    Append-only: the ORM refuses to change or delete a stored event (see the listener below).
    """

    __tablename__ = "events"
    __table_args__ = (sa.Index("ix_events_application_id_id", "application_id", "id"),)

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

    actor = relationship("User", lazy="joined")

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.kind} {self.trigger} {self.from_state}->{self.to_state}>"


class EventLogIsAppendOnly(Exception):
    pass


@sa_event.listens_for(Session, "before_flush")
def _refuse_changes_to_events(session, flush_context, instances):
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, Event) and (obj in session.deleted or session.is_modified(obj)):
            raise EventLogIsAppendOnly(f"event {obj.id} may not be changed or deleted")
