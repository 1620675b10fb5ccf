"""The first assessment's internal side: who was consulted and what they said, comments of the
consulted parties, and who was given read access. The sponsor sees none of it."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.models.organisation import Organisation
from workflow.models.types import UTCDateTime, checked_enum, utcnow

CONSULTATION, COMMENT = "consultation", "comment"
NOTE_KINDS = (CONSULTATION, COMMENT)


class AssessmentNote(db.Model):
    """A consultation the coordinator records (who, when, what they said) or a comment left by a
    consulted party (NBank, MS, a partner)."""

    __tablename__ = "assessment_notes"
    __table_args__ = (
        sa.CheckConstraint(
            "kind <> 'consultation' OR (party IS NOT NULL AND held_on IS NOT NULL)",
            name="consultation_has_party_and_date",
        ),
        sa.CheckConstraint("length(body) > 0", name="body_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    kind: Mapped[str] = mapped_column(checked_enum(NOTE_KINDS, "assessment_note_kind"))
    party: Mapped[str | None] = mapped_column(sa.String(300))  # who was consulted
    held_on: Mapped[date | None] = mapped_column(sa.Date)  # when
    body: Mapped[str] = mapped_column(sa.Text)  # what they said / the comment
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author = relationship("User", lazy="joined")


class SketchAccess(db.Model):
    """Read access to an application in assessment, given by the coordinator to an organisation
    (a partner it wants to consult, or NBank / MS)."""

    __tablename__ = "sketch_access"
    __table_args__ = (sa.UniqueConstraint("application_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    question: Mapped[str] = mapped_column(sa.Text, default="")
    granted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
