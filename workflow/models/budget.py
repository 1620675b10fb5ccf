from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, joinedload, mapped_column

from workflow.extensions import db
from workflow.models.application import Application
from workflow.models.event import Event
from workflow.models.event_kinds import TRANSITION
from workflow.models.types import UTCDateTime, utcnow
from workflow.rules import budget as rules
from workflow.rules.deadlines import BERLIN


class FundingPeriod(db.Model):
    """An alliance's virtual budget for a funding period. What is committed and granted is never
    stored here: it is computed from the record (the events of the applications)."""

    __tablename__ = "funding_periods"
    __table_args__ = (
        sa.UniqueConstraint("alliance_id", "name"),
        sa.CheckConstraint("budget_cents >= 0", name="budget_not_negative"),
        sa.CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(sa.ForeignKey("alliances.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    budget_cents: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @classmethod
    def current(cls, alliance_id: int, day: date | None = None) -> FundingPeriod | None:
        """The period of the alliance that contains `day` (default: today, Berlin time)."""
        day = day or utcnow().astimezone(BERLIN).date()
        return db.session.scalar(
            sa.select(cls)
            .where(cls.alliance_id == alliance_id, cls.starts_on <= day, cls.ends_on >= day)
            .order_by(cls.starts_on.desc())
        )

    def _bounds(self) -> tuple[datetime, datetime]:
        start = datetime.combine(self.starts_on, time.min, BERLIN)
        end = datetime.combine(self.ends_on, time.max, BERLIN)
        return start, end

    def entries(self) -> list[rules.Entry]:
        """Every application endorsed by a statement in this period, with what it counts.

        An application counts from its (latest) positive statement; one passed on without a vote
        never does (its funding object needs no statement and does not count against the budget).
        """
        start, end = self._bounds()
        endorsements = db.session.execute(
            sa.select(Event.application_id, sa.func.max(Event.created_at))
            .where(
                Event.alliance_id == self.alliance_id,
                Event.kind == TRANSITION,
                Event.trigger == "issue_statement",
                Event.to_state == "endorsed",
                Event.created_at >= start,
                Event.created_at <= end,
            )
            .group_by(Event.application_id)
        ).all()
        if not endorsements:
            return []
        endorsed_at = dict(endorsements)
        applications = db.session.scalars(
            sa.select(Application)
            .where(Application.id.in_(endorsed_at))
            .options(joinedload(Application.applicant))  # one read, however many sponsors
            .order_by(Application.reference)
        ).all()
        grants = {
            event.application_id: event.data.get("amount_granted")
            for event in db.session.scalars(
                sa.select(Event)
                .where(
                    Event.application_id.in_(endorsed_at),
                    Event.kind == TRANSITION,
                    Event.trigger == "record_grant",
                )
                .order_by(Event.id)
            )
        }
        return [
            rules.Entry(
                application_id=a.id,
                reference=a.reference or "",
                title=a.title,
                applicant=a.applicant.name,
                state=a.state,
                requested_cents=a.requested_grant_cents or 0,
                granted_cents=grants.get(a.id),
                endorsed_on=endorsed_at[a.id],
            )
            for a in applications
        ]

    def figures(self, exclude_application_id: int | None = None) -> rules.Figures:
        entries = [e for e in self.entries() if e.application_id != exclude_application_id]
        return rules.figures(self.budget_cents, entries)
