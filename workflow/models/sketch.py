"""The project sketch (Projektskizze): the short version of the long form, about three pages.

Title, summary, funding object, fields of action, districts, total cost and requested grant live on
the application itself (they stay the same through the stages); the sketch holds the rest. Project
partners belong to the application: the vote recuses the alliance partners named here.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.models.organisation import Organisation
from workflow.models.types import UTCDateTime, utcnow


class Sketch(db.Model):
    __tablename__ = "sketches"
    __table_args__ = (
        sa.CheckConstraint(
            "participants_planned IS NULL OR participants_planned >= 0", name="participants_not_negative"
        ),
        sa.CheckConstraint(
            "start_date IS NULL OR end_date IS NULL OR start_date <= end_date", name="starts_before_end"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), unique=True
    )
    need: Mapped[str] = mapped_column(sa.Text, default="")  # starting situation and need
    objectives: Mapped[str] = mapped_column(sa.Text, default="")
    target_groups: Mapped[str] = mapped_column(sa.Text, default="")
    participants_planned: Mapped[int | None]
    activities: Mapped[str] = mapped_column(sa.Text, default="")
    start_date: Mapped[date | None] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    application = relationship("Application", back_populates="sketch")


class ProjectPartner(db.Model):
    """A project partner: an organisation of the alliance (picked from the list) or another one,
    named."""

    __tablename__ = "project_partners"
    __table_args__ = (
        sa.CheckConstraint("(organisation_id IS NULL) <> (name IS NULL)", name="organisation_or_name"),
        sa.UniqueConstraint("application_id", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    name: Mapped[str | None] = mapped_column(sa.String(200))

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    @property
    def label(self) -> str:
        return self.organisation.name if self.organisation else (self.name or "")


# What a complete sketch holds (the guard `sketch_complete` and the sketch page's checklist).
CORE_ITEMS = {
    "title": "Projekttitel",
    "funding_object_id": "Fördergegenstand",
    "fields": "Handlungsfelder",
    "district_rows": "Landkreise",
    "total_cost_cents": "Geschätzte Gesamtkosten",
    "requested_grant_cents": "Beantragte Förderung",
}
STRUCTURED_ITEMS = {
    "summary": "Kurzbeschreibung",
    "need": "Ausgangslage und Bedarf",
    "objectives": "Ziele",
    "target_groups": "Zielgruppen",
    "participants_planned": "Geplante Teilnehmendenzahl",
    "activities": "Maßnahmen und Aktivitäten",
    "start_date": "Projektbeginn",
    "end_date": "Projektende",
}
MAX_SKETCH_PAGES = 3


def current_sketch_pdf(application):
    """The newest uploaded sketch PDF (from the application's documents, loaded once)."""
    return next((d for d in application.documents if d.kind == "sketch"), None)


def sketch_missing(application) -> list[str]:
    """The labels of what the sketch still lacks: the core data always; the structured parts
    unless a sketch PDF of at most three pages was uploaded instead."""
    missing = [label for name, label in CORE_ITEMS.items() if not getattr(application, name)]
    pdf = current_sketch_pdf(application)
    if pdf is not None and (pdf.pages or 0) <= MAX_SKETCH_PAGES:
        return missing
    sketch = application.sketch
    for name, label in STRUCTURED_ITEMS.items():
        holder = application if name == "summary" else sketch
        value = getattr(holder, name) if holder is not None else None
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(label)
    return missing
