from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.lifecycle import N_
from workflow.models.organisation import Organisation, partners_of
from workflow.models.types import UTCDateTime, checked_enum, utcnow
from workflow.rules import voting
from workflow.rules.procedure import ProcedureRules
from workflow.rules.voting import CHOICES, CRITERIA, MODES, RATING_MAX, RATING_MIN, Tally

OUTCOMES = ("approved", "not_approved")
OUTCOME_LABELS = {"approved": N_("Zustimmung"), "not_approved": N_("Keine Zustimmung")}


class Vote(db.Model):
    """The partners' vote on one long form: by circulation (with a deadline) or in a session.

    Its tally is computed from the ballots while it is open and frozen into the row when it closes.
    """

    __tablename__ = "votes"
    __table_args__ = (
        sa.CheckConstraint(
            "(closed_at IS NULL AND outcome IS NULL) OR (closed_at IS NOT NULL AND outcome IS NOT NULL)",
            name="outcome_iff_closed",
        ),
        sa.CheckConstraint(
            "mode <> 'circulation' OR deadline_at IS NOT NULL", name="circulation_has_deadline"
        ),
        # The start pages: open votes (closed_at IS NULL) by deadline, the latest closed ones.
        sa.Index("ix_votes_closed_at_deadline_at", "closed_at", "deadline_at"),
        # A partner's start page: the alliance's votes closed last, its open votes most urgent first.
        sa.Index("ix_votes_alliance_closed", "alliance_id", "closed_at"),
        sa.Index(
            "ix_votes_open_by_deadline",
            "alliance_id",
            "deadline_at",
            "session_date",
            "id",
            postgresql_where=sa.text("closed_at IS NULL"),
            sqlite_where=sa.text("closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The application's alliance, kept on the vote so that a start page finds the open ones by index.
    alliance_id: Mapped[int] = mapped_column(sa.ForeignKey("alliances.id"))
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    mode: Mapped[str] = mapped_column(checked_enum(MODES, "vote_mode"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The circulation's deadline while it runs (None in a session: moving a circulation there
    # ends its deadline; the open_vote event keeps the day it had).
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    session_date: Mapped[date | None] = mapped_column(sa.Date)
    # The committee session whose agenda holds this vote (None: waiting for the next one).
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("committee_sessions.id"), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(checked_enum(OUTCOMES, "vote_outcome"))
    # The frozen tally: approve, reject, abstain, eligible (JSON written once, at closing).
    frozen_tally: Mapped[dict | None] = mapped_column(sa.JSON)
    # The alliance's rules of procedure as they were when the vote opened.
    rules: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    application = relationship("Application", back_populates="votes")
    ballots: Mapped[list[Ballot]] = relationship(back_populates="vote", order_by="Ballot.id")
    recusals: Mapped[list[Recusal]] = relationship(back_populates="vote", order_by="Recusal.id")
    objections: Mapped[list[Objection]] = relationship(back_populates="vote", order_by="Objection.id")
    session = relationship("CommitteeSession")

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def procedure(self) -> ProcedureRules:
        return ProcedureRules.from_dict(self.rules)

    @property
    def mode_label(self) -> str:
        label = voting.MODE_LABELS[self.mode]
        if self.mode == voting.SESSION and self.application is not None:
            return f"{label} „{self.application.alliance.committee_name}“"  # the alliance's own
        return label

    @property
    def outcome_label(self) -> str | None:
        return OUTCOME_LABELS.get(self.outcome) if self.outcome else None

    @property
    def recused_ids(self) -> set[int]:
        return {r.organisation_id for r in self.recusals}

    def eligible_organisations(self) -> list[Organisation]:
        """Every partner organisation of the alliance, less the recused ones."""
        recused = self.recused_ids
        return [o for o in partners_of(self.application.alliance_id) if o.active and o.id not in recused]

    def tally(self, eligible: list[Organisation] | None = None) -> Tally:
        """The frozen tally of a closed vote, or the running one (`eligible`: the eligible
        organisations when the caller has them already)."""
        if self.frozen_tally is not None:
            return Tally(**self.frozen_tally)
        eligible_ids = {o.id for o in (self.eligible_organisations() if eligible is None else eligible)}
        return voting.tally(
            (b.choice for b in self.ballots if b.organisation_id in eligible_ids),
            eligible=len(eligible_ids),
            quorum_percent=self.procedure.quorum_percent,
        )

    def closable(self) -> bool:
        """A session vote closes when the coordinator says so; a circulation needs quorum."""
        return self.mode == voting.SESSION or self.tally().quorum_reached

    def ballot_of(self, organisation_id: int) -> Ballot | None:
        return next((b for b in self.ballots if b.organisation_id == organisation_id), None)


class Recusal(db.Model):
    """A partner organisation that does not vote on this application (conflict of interest)."""

    __tablename__ = "recusals"
    __table_args__ = (sa.UniqueConstraint("vote_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("votes.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    declared_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    vote: Mapped[Vote] = relationship(back_populates="recusals")
    organisation: Mapped[Organisation] = relationship()


class Ballot(db.Model):
    """The one ballot of a partner organisation in a vote; the last cast counts, every cast is an
    event in the log."""

    __tablename__ = "ballots"
    __table_args__ = (
        sa.UniqueConstraint("vote_id", "organisation_id"),
        sa.CheckConstraint(
            "choice <> 'reject' OR (comment IS NOT NULL AND length(comment) > 0)",
            name="reject_needs_comment",
        ),
        *(
            sa.CheckConstraint(
                f"{name} IS NULL OR ({name} >= {RATING_MIN} AND {name} <= {RATING_MAX})",
                name=f"{name}_range",
            )
            for name in CRITERIA
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("votes.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    choice: Mapped[str] = mapped_column(checked_enum(CHOICES, "ballot_choice"))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    rating_skilled_labour: Mapped[int | None] = mapped_column(sa.SmallInteger)
    rating_strategy_fit: Mapped[int | None] = mapped_column(sa.SmallInteger)
    rating_regional_relevance: Mapped[int | None] = mapped_column(sa.SmallInteger)
    rating_feasibility: Mapped[int | None] = mapped_column(sa.SmallInteger)
    rating_sustainability: Mapped[int | None] = mapped_column(sa.SmallInteger)
    cast_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    vote: Mapped[Vote] = relationship(back_populates="ballots")
    organisation: Mapped[Organisation] = relationship()
    cast_by = relationship("User")

    @property
    def choice_label(self) -> str:
        return voting.CHOICE_LABELS[self.choice]

    def ratings(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in CRITERIA}


class Objection(db.Model):
    """A partner objects to the circulation procedure: the vote goes to the next session."""

    __tablename__ = "objections"
    __table_args__ = (sa.UniqueConstraint("vote_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("votes.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    declared_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    vote: Mapped[Vote] = relationship(back_populates="objections")
    organisation: Mapped[Organisation] = relationship()
