"""The long form (Langfassung): DESIGN.md "What a long form holds", as sections a sponsor saves as a
draft one by one, with the cost plan and the financing plan as line items in integer cents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.extensions import db
from workflow.lifecycle import N_
from workflow.models.organisation import Organisation
from workflow.models.types import UTCDateTime, checked_enum, utcnow

PERSONNEL = "personnel"
COST_CATEGORIES = {
    PERSONNEL: N_("Personalausgaben (Standardeinheitskosten)"),
    "material": N_("Sachausgaben"),
    "third_party": N_("Ausgaben für Dritte (Fremdleistungen)"),
    "flat_rate": N_("Pauschalen"),
}
ESF_GRANT = "esf_grant"
FINANCING_SOURCES = {
    ESF_GRANT: N_("ESF+-Zuschuss"),
    "state_funds": N_("Landesmittel"),
    "own_funds": N_("Eigenmittel"),
    "third_party_funds": N_("Drittmittel"),
}
PRINCIPLES = {
    "principle_equal_opportunities": "Chancengleichheit und Nichtdiskriminierung",
    "principle_gender_equality": "Gleichstellung der Geschlechter",
    "principle_sustainable_development": "Nachhaltige Entwicklung",
    "principle_good_work": "Gute Arbeit",
}
# The funding object whose projects must be agreed with the employment agency or Jobcenter.
AGENCY_FUNDING_OBJECT = 2


@dataclass(frozen=True)
class Section:
    key: str
    title: str


SECTIONS: tuple[Section, ...] = (
    Section("partners", N_("Antragsteller und Projektpartner")),
    Section("classification", N_("Fördergegenstand, Handlungsfelder und Landkreise")),
    Section("need", N_("Ausgangslage, Bedarf und Ziele")),
    Section("target_groups", N_("Zielgruppen und geplante Teilnehmendenzahlen")),
    Section("activities", N_("Maßnahmen, Meilensteine und Laufzeit")),
    Section("costs", N_("Kostenplan")),
    Section("financing", N_("Finanzierungsplan und Förderquote")),
    Section("principles", N_("Querschnittsprinzipien")),
    Section("indicators", N_("ESF+-Indikatoren")),
    Section("agency", N_("Abstimmung mit der Agentur für Arbeit oder dem Jobcenter")),
    Section("sustainability", N_("Nachhaltigkeit nach Förderende")),
)
SECTIONS_BY_KEY = {s.key: s for s in SECTIONS}


class LongForm(db.Model):
    """One application's long form. Text sections are columns; the plans are lines."""

    __tablename__ = "long_forms"
    __table_args__ = (
        sa.CheckConstraint(
            "end_on IS NULL OR start_on IS NULL OR end_on >= start_on", name="ends_after_start"
        ),
        sa.CheckConstraint(
            "participants_planned IS NULL OR participants_planned >= 0", name="participants_ok"
        ),
        sa.CheckConstraint(
            "indicator_participants IS NULL OR indicator_participants >= 0", name="indicator_participants_ok"
        ),
        sa.CheckConstraint("indicator_women IS NULL OR indicator_women >= 0", name="indicator_women_ok"),
        sa.CheckConstraint(
            "indicator_qualified IS NULL OR indicator_qualified >= 0", name="indicator_qualified_ok"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), unique=True
    )
    other_partners: Mapped[str] = mapped_column(sa.Text, default="")
    starting_situation: Mapped[str] = mapped_column(sa.Text, default="")
    objectives: Mapped[str] = mapped_column(sa.Text, default="")
    target_groups: Mapped[str] = mapped_column(sa.Text, default="")
    participants_planned: Mapped[int | None]
    activities: Mapped[str] = mapped_column(sa.Text, default="")
    start_on: Mapped[date | None] = mapped_column(sa.Date)
    end_on: Mapped[date | None] = mapped_column(sa.Date)
    principle_equal_opportunities: Mapped[str] = mapped_column(sa.Text, default="")
    principle_gender_equality: Mapped[str] = mapped_column(sa.Text, default="")
    principle_sustainable_development: Mapped[str] = mapped_column(sa.Text, default="")
    principle_good_work: Mapped[str] = mapped_column(sa.Text, default="")
    indicator_participants: Mapped[int | None]
    indicator_women: Mapped[int | None]
    indicator_qualified: Mapped[int | None]
    indicator_notes: Mapped[str] = mapped_column(sa.Text, default="")
    agency_name: Mapped[str] = mapped_column(sa.String(200), default="")
    agency_agreed_on: Mapped[date | None] = mapped_column(sa.Date)
    agency_agreement: Mapped[str] = mapped_column(sa.Text, default="")
    sustainability: Mapped[str] = mapped_column(sa.Text, default="")
    # Sections the sponsor has saved at least once (a section without required data, such as the
    # project partners, counts as complete once it was saved).
    saved_sections: Mapped[list] = mapped_column(sa.JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    application = relationship("Application", back_populates="long_form")
    partner_rows: Mapped[list[LongFormPartner]] = relationship(
        cascade="all, delete-orphan", order_by="LongFormPartner.organisation_id"
    )
    cost_lines: Mapped[list[CostLine]] = relationship(
        cascade="all, delete-orphan", order_by="CostLine.position"
    )
    financing_lines: Mapped[list[FinancingLine]] = relationship(
        cascade="all, delete-orphan", order_by="FinancingLine.position"
    )

    # -- the plans --------------------------------------------------------------------------------

    @property
    def cost_total(self) -> int:
        return sum(line.amount_cents for line in self.cost_lines)

    @property
    def financing_total(self) -> int:
        return sum(line.amount_cents for line in self.financing_lines)

    @property
    def difference(self) -> int:
        """Cost plan minus financing plan, in cents (0 when the plans balance)."""
        return self.cost_total - self.financing_total

    @property
    def esf_grant(self) -> int:
        return sum(line.amount_cents for line in self.financing_lines if line.source == ESF_GRANT)

    def cost_by_category(self) -> dict[str, int]:
        totals = dict.fromkeys(COST_CATEGORIES, 0)
        for line in self.cost_lines:
            totals[line.category] += line.amount_cents
        return totals

    def financing_by_source(self) -> dict[str, int]:
        totals = dict.fromkeys(FINANCING_SOURCES, 0)
        for line in self.financing_lines:
            totals[line.source] += line.amount_cents
        return totals

    def funding_rate(self) -> Decimal | None:
        """The ESF+ grant in percent of the total cost, rounded to two decimals (None: no costs)."""
        if self.cost_total <= 0:
            return None
        return (Decimal(self.esf_grant) * 100 / Decimal(self.cost_total)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )

    def funding_rate_within(self, max_percent: int) -> bool:
        """The ESF+ grant as a share of the total cost, compared exactly (integers, no floats)."""
        return self.cost_total > 0 and self.esf_grant * 100 <= max_percent * self.cost_total

    # -- sections ---------------------------------------------------------------------------------

    def applicable_sections(self, application=None) -> list[Section]:
        needs_agency = self.funding_object_number(application) == AGENCY_FUNDING_OBJECT
        return [s for s in SECTIONS if s.key != "agency" or needs_agency]

    def funding_object_number(self, application=None) -> int | None:
        application = application or self.application
        fo = application.funding_object if application else None
        return fo.number if fo else None

    def plans_balanced(self) -> bool:
        """The guard `plans_balance`: costs entered and the financing plan's total equals them."""
        return self.cost_total > 0 and self.difference == 0

    def max_funding_rate(self, application=None) -> int:
        application = application or self.application
        return application.alliance.procedure.max_funding_rate_percent

    def section_problems(self, key: str, application=None) -> list[str]:
        """Why section `key` is not complete yet, in German (empty: complete). The one definition
        of a complete section: the overview's badges and count read it, and so does
        `submit_long_form` (the guard `long_form_complete`, whose financing part is exactly the
        guards `plans_balance` and `funding_rate_allowed`). `application` is given for a long form
        not stored yet (the overview before the first save)."""
        application = application or self.application
        return _PROBLEMS[key](self, application)

    def section_complete(self, key: str, application=None) -> bool:
        return not self.section_problems(key, application)

    def incomplete_sections(self) -> list[Section]:
        return [s for s in self.applicable_sections() if not self.section_complete(s.key)]

    def problems(self) -> list[tuple[Section, list[str]]]:
        """Each incomplete applicable section with its reasons."""
        found = [(s, self.section_problems(s.key)) for s in self.applicable_sections()]
        return [(s, reasons) for s, reasons in found if reasons]

    def is_complete(self) -> bool:
        return not self.incomplete_sections()

    @property
    def project_partner_ids(self) -> list[int]:
        return [row.organisation_id for row in self.partner_rows]


def _blank(value) -> bool:
    return not (value or "").strip()


def _missing(long_form: LongForm, labels: dict[str, str]) -> list[str]:
    """The labels of the text or number fields that are still empty."""
    out = []
    for name, label in labels.items():
        value = getattr(long_form, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            out.append(label)
    return out


def _lacking(labels: list[str]) -> list[str]:
    return [f"{label} fehlt" for label in labels]


def _partners_problems(long_form: LongForm, application) -> list[str]:
    # No required data: complete once the sponsor has saved it (or the sketch's partners were
    # carried over), even without project partners.
    if "partners" in (long_form.saved_sections or []):
        return []
    return ["noch nicht gespeichert (auch ohne Projektpartner bitte einmal speichern)"]


def _classification_problems(long_form: LongForm, application) -> list[str]:
    out = []
    if not application.funding_object_id:
        out.append("Fördergegenstand fehlt")
    if not application.fields:
        out.append("Handlungsfelder fehlen")
    if not application.district_rows:
        out.append("Landkreise fehlen")
    return out


def _need_problems(long_form: LongForm, application) -> list[str]:
    out = _lacking(_missing(long_form, {"starting_situation": "Ausgangslage und Bedarf"}))
    if _blank(long_form.objectives):
        out.append("Ziele fehlen")
    return out


def _target_group_problems(long_form: LongForm, application) -> list[str]:
    out = ["Zielgruppen fehlen"] if _blank(long_form.target_groups) else []
    if not (long_form.participants_planned or 0) > 0:
        out.append("geplante Teilnehmendenzahl fehlt")
    return out


def _activities_problems(long_form: LongForm, application) -> list[str]:
    out = ["Maßnahmen und Meilensteine fehlen"] if _blank(long_form.activities) else []
    return out + _lacking(_missing(long_form, {"start_on": "Projektbeginn", "end_on": "Projektende"}))


def _costs_problems(long_form: LongForm, application) -> list[str]:
    return [] if long_form.cost_total > 0 else ["noch keine Ausgaben eingetragen"]


def _financing_problems(long_form: LongForm, application) -> list[str]:
    from workflow.formatting import money, percent

    if long_form.financing_total <= 0:
        return ["noch keine Finanzierung eingetragen"]
    out = [] if long_form.esf_grant > 0 else ["ESF+-Zuschuss fehlt"]
    if long_form.cost_total <= 0:
        out.append("der Kostenplan enthält noch keine Ausgaben")
    elif long_form.difference > 0:
        out.append(f"{money(long_form.difference)} weniger als der Kostenplan")
    elif long_form.difference < 0:
        out.append(f"{money(-long_form.difference)} mehr als der Kostenplan")
    limit = long_form.max_funding_rate(application)
    if long_form.cost_total > 0 and not long_form.funding_rate_within(limit):
        out.append(f"Förderquote {percent(long_form.funding_rate())} über dem Höchstsatz von {limit} %")
    return out


def _principles_problems(long_form: LongForm, application) -> list[str]:
    return _lacking(_missing(long_form, PRINCIPLES))


def _indicators_problems(long_form: LongForm, application) -> list[str]:
    if long_form.indicator_participants is None:
        return ["Zahl der Teilnehmenden (Indikator) fehlt"]
    return []


def _agency_problems(long_form: LongForm, application) -> list[str]:
    return _lacking(
        _missing(
            long_form,
            {
                "agency_name": "Agentur für Arbeit oder Jobcenter",
                "agency_agreed_on": "Datum der Abstimmung",
                "agency_agreement": "Ergebnis der Abstimmung",
            },
        )
    )


def _sustainability_problems(long_form: LongForm, application) -> list[str]:
    return ["Angaben zur Nachhaltigkeit fehlen"] if _blank(long_form.sustainability) else []


_PROBLEMS = {
    "partners": _partners_problems,
    "classification": _classification_problems,
    "need": _need_problems,
    "target_groups": _target_group_problems,
    "activities": _activities_problems,
    "costs": _costs_problems,
    "financing": _financing_problems,
    "principles": _principles_problems,
    "indicators": _indicators_problems,
    "agency": _agency_problems,
    "sustainability": _sustainability_problems,
}
# Every section has exactly one completeness rule; a section added without one fails at import.
if set(_PROBLEMS) != set(SECTIONS_BY_KEY):
    raise RuntimeError("Abschnitte ohne Vollständigkeitsregel: %s" % (set(SECTIONS_BY_KEY) ^ set(_PROBLEMS)))


class LongFormPartner(db.Model):
    """An alliance partner named as a project partner: it does not vote on this application."""

    __tablename__ = "long_form_partners"

    long_form_id: Mapped[int] = mapped_column(
        sa.ForeignKey("long_forms.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), primary_key=True)

    organisation: Mapped[Organisation] = relationship()


class CostLine(db.Model):
    """A line of the cost plan. Personnel is costed at standard unit costs: hours × rate per hour of
    the salary group; those salary details are for the sponsor, the coordination and observers."""

    __tablename__ = "cost_lines"
    __table_args__ = (
        sa.CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
        sa.CheckConstraint("unit_cost_cents IS NULL OR unit_cost_cents > 0", name="unit_cost_positive"),
        sa.CheckConstraint("hours IS NULL OR hours > 0", name="hours_positive"),
        sa.CheckConstraint(
            "category <> 'personnel' OR (unit_cost_cents IS NOT NULL AND hours IS NOT NULL "
            "AND amount_cents = unit_cost_cents * hours)",
            name="personnel_at_unit_costs",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    long_form_id: Mapped[int] = mapped_column(sa.ForeignKey("long_forms.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger)
    category: Mapped[str] = mapped_column(checked_enum(tuple(COST_CATEGORIES), "cost_category"))
    description: Mapped[str] = mapped_column(sa.String(300))
    salary_group: Mapped[str | None] = mapped_column(sa.String(60))
    unit_cost_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    hours: Mapped[int | None]
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)

    @property
    def category_label(self) -> str:
        return COST_CATEGORIES[self.category]


class FinancingLine(db.Model):
    __tablename__ = "financing_lines"
    __table_args__ = (sa.CheckConstraint("amount_cents >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    long_form_id: Mapped[int] = mapped_column(sa.ForeignKey("long_forms.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger)
    source: Mapped[str] = mapped_column(checked_enum(tuple(FINANCING_SOURCES), "financing_source"))
    description: Mapped[str] = mapped_column(sa.String(300))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)

    @property
    def source_label(self) -> str:
        return FINANCING_SOURCES[self.source]
