from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import LazyString, lazy_gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.i18n import joined
from workflow.lifecycle import INITIAL_STATE, STATE_NAMES, STATES_BY_NAME
from workflow.models.alliance import DISTRICTS, FIELDS_OF_ACTION, Alliance, FundingObject
from workflow.models.organisation import Organisation
from workflow.models.types import UTCDateTime, checked_enum, utcnow
from workflow.rules import deadlines, nbank

if TYPE_CHECKING:
    from workflow.models.document import Document
    from workflow.models.long_form import LongForm
    from workflow.models.sketch import ProjectPartner, Sketch
    from workflow.models.vote import Vote


class Application(db.Model):
    """One funding idea on its way from consultation to grant notice.

    `state` is only ever changed by the lifecycle machine (workflow.services.lifecycle.fire). The
    methods named in lifecycle.py's guards live here: the machine looks them up by name.
    """

    __tablename__ = "applications"
    __table_args__ = (
        sa.CheckConstraint(
            "requested_grant_cents IS NULL OR requested_grant_cents >= 0", name="grant_not_negative"
        ),
        sa.CheckConstraint("total_cost_cents IS NULL OR total_cost_cents >= 0", name="cost_not_negative"),
        # The table filtered by state, in deadline order (and the counts per state).
        sa.Index("ix_applications_alliance_state_due", "alliance_id", "state", "next_due_on", "id"),
        sa.Index("ix_applications_alliance_updated", "alliance_id", "updated_at"),
        # The cockpit's due list, the table's deadline order and its "overdue" filter.
        sa.Index("ix_applications_alliance_next_due", "alliance_id", "next_due_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(sa.ForeignKey("alliances.id"))
    reference: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    # The consultation request: when the sponsor could come to the talk.
    preferred_dates: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    applicant_organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    funding_object_id: Mapped[int | None] = mapped_column(sa.ForeignKey("funding_objects.id"))
    total_cost_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    requested_grant_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    state: Mapped[str] = mapped_column(checked_enum(STATE_NAMES, "application_state"), default=INITIAL_STATE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The day the next running deadline falls on and its kind, derived from the events and kept up to date by
    # services/deadlines.py when an event is written, so that lists can filter and sort by it
    # through an index. The events stay the record; this is their summary.
    next_due_on: Mapped[date | None] = mapped_column(sa.Date)
    next_due_kind: Mapped[str | None] = mapped_column(sa.String(16))  # assessment, statement, circulation
    # Optimistic locking: two requests that change the same application cannot both win.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    alliance: Mapped[Alliance] = relationship()
    applicant: Mapped[Organisation] = relationship()
    funding_object: Mapped[FundingObject | None] = relationship()
    fields: Mapped[list[ApplicationField]] = relationship(
        cascade="all, delete-orphan", order_by="ApplicationField.code"
    )
    district_rows: Mapped[list[ApplicationDistrict]] = relationship(
        cascade="all, delete-orphan", order_by="ApplicationDistrict.name"
    )
    votes: Mapped[list[Vote]] = relationship(back_populates="application", order_by="Vote.id")
    sketch: Mapped[Sketch | None] = relationship(
        back_populates="application", uselist=False, cascade="all, delete-orphan"
    )
    project_partners: Mapped[list[ProjectPartner]] = relationship(
        cascade="all, delete-orphan", order_by="ProjectPartner.id"
    )
    long_form: Mapped[LongForm | None] = relationship(back_populates="application", uselist=False)
    # Every uploaded document, loaded once per request for all the sections that list them
    # (read-only here: documents are written by services/documents.py, which commits).
    documents: Mapped[list[Document]] = relationship(
        viewonly=True, order_by="(Document.kind, Document.version.desc())"
    )

    # -- plain data -------------------------------------------------------------------------------

    @property
    def state_label(self) -> str:
        return STATES_BY_NAME[self.state].label

    @property
    def is_final(self) -> bool:
        return STATES_BY_NAME[self.state].final

    @property
    def fields_of_action(self) -> list[str]:
        return [f.code for f in self.fields]

    @fields_of_action.setter
    def fields_of_action(self, codes: list[str]) -> None:
        self.fields = [ApplicationField(code=c) for c in codes]

    @property
    def districts(self) -> list[str]:
        return [d.name for d in self.district_rows]

    @districts.setter
    def districts(self, names: list[str]) -> None:
        self.district_rows = [ApplicationDistrict(name=n) for n in names]

    @property
    def current_vote(self):
        return self.votes[-1] if self.votes else None

    def assign_reference(self, year: int) -> None:
        """NON-2026-00042: alliance, year of creation, a number unique in the instance."""
        self.reference = f"{self.alliance.slug.upper()}-{year}-{self.id:05d}"

    # -- guards (named in lifecycle.py) -----------------------------------------------------------

    def sketch_complete(self, data: dict) -> bool:
        from workflow.models.sketch import sketch_missing

        return not sketch_missing(self)

    def long_form_complete(self, data: dict) -> bool:
        return self.long_form is not None and self.long_form.is_complete()

    def long_form_complete_message(self, data: dict) -> LazyString:
        if self.long_form is None:
            return _l("Die Langfassung ist noch nicht ausgefüllt.")
        # The same reasons the long form's overview shows beside each incomplete section (their
        # titles and reasons are labels of the catalogue, written out in the reader's language).
        missing = joined(
            "; ",
            (
                joined("", [lazy_gettext(section.title), " (", joined(", ", map(lazy_gettext, reasons)), ")"])
                for section, reasons in self.long_form.problems()
            ),
        )
        return _l("Die Langfassung ist noch nicht vollständig. Noch offen: %(missing)s.", missing=missing)

    def plans_balance(self, data: dict) -> bool:
        return self.long_form is not None and self.long_form.plans_balanced()

    def plans_balance_message(self, data: dict) -> LazyString:
        from workflow.formatting import money

        plan = self.long_form
        if plan is None or plan.cost_total == 0:
            return _l("Der Kostenplan enthält noch keine Ausgaben.")
        amounts = {
            "costs": money(plan.cost_total),
            "financing": money(plan.financing_total),
            "gap": money(abs(plan.difference)),
        }
        if plan.difference > 0:
            return _l(
                "Kostenplan (%(costs)s) und Finanzierungsplan (%(financing)s) sind nicht ausgeglichen: "
                "Es fehlen %(gap)s in der Finanzierung.",
                **amounts,
            )
        return _l(
            "Kostenplan (%(costs)s) und Finanzierungsplan (%(financing)s) sind nicht ausgeglichen: "
            "Es fehlen %(gap)s an Ausgaben (die Finanzierung ist höher).",
            **amounts,
        )

    def funding_rate_allowed(self, data: dict) -> bool:
        plan = self.long_form
        return plan is not None and plan.funding_rate_within(self.alliance.procedure.max_funding_rate_percent)

    def funding_rate_allowed_message(self, data: dict) -> LazyString:
        from workflow.formatting import percent

        limit = self.alliance.procedure.max_funding_rate_percent
        rate = percent(self.long_form.funding_rate()) if self.long_form else "—"
        return _l(
            "Die Förderquote (ESF+-Zuschuss an den Gesamtkosten) beträgt %(rate)s; erlaubt sind höchstens %(limit)s %%.",
            rate=rate,
            limit=limit,
        )

    def assessment_positive(self, data: dict) -> bool:
        return bool(data.get("parties_consulted") and data.get("fundable") and data.get("fits_strategy"))

    def needs_statement(self, data: dict) -> bool:
        return self.funding_object is None or self.funding_object.needs_statement

    def statement_not_needed(self, data: dict) -> bool:
        return not self.needs_statement(data)

    def vote_setup_valid(self, data: dict) -> bool:
        if data.get("mode") == "circulation":
            deadline = data.get("deadline")
            return isinstance(deadline, date) and deadlines.is_future_day(deadline, utcnow())
        if data.get("mode") != "session" or not data.get("session_id"):
            return False
        from workflow.models.committee import CommitteeSession

        session = db.session.get(CommitteeSession, data["session_id"])
        return (
            session is not None
            and session.alliance_id == self.alliance_id
            and not session.cancelled
            and not session.entered_afterwards
            and not deadlines.planned_in_the_past(session.starts_at, utcnow())
        )

    def vote_closable(self, data: dict) -> bool:
        vote = self.current_vote
        return vote is not None and vote.is_open and vote.closable()

    def vote_approved(self, data: dict) -> bool:
        vote = self.current_vote
        return vote is not None and vote.outcome == "approved"

    def vote_not_approved(self, data: dict) -> bool:
        vote = self.current_vote
        return vote is not None and vote.outcome == "not_approved"

    def decision_endorse(self, data: dict) -> bool:
        return data.get("decision") == "endorse"

    def decision_revise(self, data: dict) -> bool:
        return data.get("decision") == "revise" and bool(data.get("requested_changes"))

    def decision_reject(self, data: dict) -> bool:
        return data.get("decision") == "reject"

    def grant_plausible(self, data: dict) -> bool:
        amount = data.get("amount_granted")
        return amount is not None and 0 < amount <= (self.requested_grant_cents or 0)

    def budget_confirmed_if_exceeded(self, data: dict) -> bool:
        """A positive statement beyond the remaining budget of the period needs the coordinator's
        explicit confirmation (recorded in the event)."""
        if data.get("budget_confirmed") or not self.needs_statement(data):
            return True
        return not self.budget_exceeded_by_endorsement()

    def budget_exceeded_by_endorsement(self) -> bool:
        from workflow.models.budget import FundingPeriod

        period = FundingPeriod.current(self.alliance_id)
        if period is None:
            return False
        figures = period.figures(exclude_application_id=self.id)
        return figures.would_exceed(self.requested_grant_cents or 0)

    def nbank_reference_valid(self, data: dict) -> bool:
        return nbank.valid_reference(data.get("nbank_reference"))

    def nbank_submitted_on(self) -> date | None:
        """The date of the submission to NBank, as recorded (the latest record)."""
        from workflow.models.event import Event

        event = db.session.scalar(
            sa.select(Event)
            .where(Event.application_id == self.id, Event.trigger == "record_nbank_submission")
            .order_by(Event.id.desc())
            .limit(1)
        )
        value = event.data.get("submitted_on") if event else None
        return date.fromisoformat(value) if value else None

    def decided_after_submission(self, data: dict) -> bool:
        decided = data.get("granted_on") or data.get("declined_on")
        submitted = self.nbank_submitted_on()
        return isinstance(decided, date) and (submitted is None or decided >= submitted)

    def grant_period_valid(self, data: dict) -> bool:
        start, end = data.get("funded_from"), data.get("funded_until")
        return isinstance(start, date) and isinstance(end, date) and start < end

    def document_attached(self, data: dict) -> bool:
        return data.get("document") is not None

    def __repr__(self) -> str:
        return f"<Application {self.id} {self.state}>"


class ApplicationField(db.Model):
    """A field of action (Handlungsfeld) an application serves."""

    __tablename__ = "application_fields"

    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(
        checked_enum(tuple(FIELDS_OF_ACTION), "field_of_action"), primary_key=True
    )

    @property
    def label(self) -> str:
        return FIELDS_OF_ACTION[self.code]


class ApplicationDistrict(db.Model):
    """A district (Landkreis) the project works in."""

    __tablename__ = "application_districts"

    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(checked_enum(DISTRICTS, "district"), primary_key=True)
