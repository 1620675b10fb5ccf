"""Sessions of the committee (Lenkungskreis): date, place or link, agenda, minutes, attendance."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.models.organisation import Organisation
from workflow.models.types import UTCDateTime, utcnow


class CommitteeSession(db.Model):
    """A scheduled meeting of the committee. Votes put on its agenda point to it (Vote.session_id)."""

    __tablename__ = "committee_sessions"
    __table_args__ = (sa.Index("ix_committee_sessions_alliance_starts", "alliance_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(sa.ForeignKey("alliances.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(sa.String(500))  # a room, or the link of an online meeting
    agenda: Mapped[str] = mapped_column(sa.Text, default="")
    minutes: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Recorded after it took place (never planned in the app): no invitation, no deadlines;
    # who and when are created_by and created_at.
    entered_afterwards: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The iCalendar SEQUENCE of its calendar entry: one more with each change (moved, cancelled).
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)

    attendance: Mapped[list[SessionAttendance]] = relationship(
        back_populates="session", order_by="SessionAttendance.organisation_id"
    )
    created_by = relationship("User", foreign_keys=[created_by_id])
    cancelled_by = relationship("User", foreign_keys=[cancelled_by_id])

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    def __repr__(self) -> str:
        return f"<CommitteeSession {self.id} {self.starts_at:%Y-%m-%d}>"


class SessionAttendance(db.Model):
    """Whether a partner organisation was present at a session (recorded by the coordination)."""

    __tablename__ = "session_attendance"
    __table_args__ = (sa.UniqueConstraint("session_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("committee_sessions.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    present: Mapped[bool]

    session: Mapped[CommitteeSession] = relationship(back_populates="attendance")
    organisation: Mapped[Organisation] = relationship()
