"""What the figures are, as plain typed data (computed by figures/queries.py): the span they are for
(a calendar year or a funding period), the stages of the funnel, the stretches timed, the amounts'
dimensions, and one dataclass per kind of figure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from workflow.lifecycle import N_
from workflow.models import FundingPeriod
from workflow.rules import deadlines

# -- the span ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """The days the figures are for: a calendar year or a funding period, both days included."""

    first_day: date
    last_day: date
    year: int | None = None
    period_id: int | None = None
    name: str = ""

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, deadlines.BERLIN)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last_day + timedelta(days=1), time.min, deadlines.BERLIN)

    def holds(self, moment: datetime) -> bool:
        return self.first_day <= deadlines.local_date(moment) <= self.last_day


def year_span(year: int) -> Span:
    return Span(date(year, 1, 1), date(year, 12, 31), year=year, name=str(year))


def period_span(period: FundingPeriod) -> Span:
    return Span(period.starts_on, period.ends_on, period_id=period.id, name=period.name)


# -- what the figures are ---------------------------------------------------------------------------

STAGES = (
    ("consultation", N_("Beratungen")),
    ("sketch", N_("Skizzen eingereicht")),
    ("invited", N_("Zur Langfassung eingeladen")),
    ("long_form", N_("Langfassungen eingereicht")),
    ("endorsed", N_("Positive Stellungnahmen")),
    ("nbank", N_("Bei der NBank beantragt")),
    ("granted", N_("Bewilligt")),
)
STAGE_ORDER = {key: index for index, (key, _) in enumerate(STAGES)}

DURATIONS = (
    ("assessment", N_("Skizze eingereicht bis Ende der Ersteinschätzung")),
    ("statement", N_("Langfassung eingereicht bis Stellungnahme")),
    ("decision", N_("Stellungnahme bis Entscheidung der NBank")),
)

DIMENSIONS = (
    ("field", N_("Handlungsfeld")),
    ("district", N_("Landkreis")),
    ("funding_object", N_("Fördergegenstand")),
)
NO_FUNDING_OBJECT = "none"


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    reached: int
    declined: int
    withdrawn: int


@dataclass(frozen=True)
class Duration:
    """One measured stretch of one application."""

    application_id: int
    alliance_id: int
    days: int
    working_days: int
    within_promise: bool | None = None  # the statement only


@dataclass(frozen=True)
class Times:
    key: str
    label: str
    count: int
    median_days: float | None
    p90_days: int | None
    median_working_days: float | None
    p90_working_days: int | None
    within_promise: int | None = None  # the statement only: how many within the deadline
    durations: tuple[Duration, ...] = ()

    @property
    def within_share(self) -> float | None:
        """Percent of the statements given within the deadline (None without statements)."""
        if self.within_promise is None or not self.count:
            return None
        return self.within_promise * 100 / self.count


@dataclass(frozen=True)
class AmountRow:
    key: str
    label: str
    requested_cents: int = 0
    endorsed_cents: int = 0
    granted_cents: int = 0
    requested_count: int = 0
    endorsed_count: int = 0
    granted_count: int = 0


@dataclass(frozen=True)
class Amounts:
    dimension: str
    label: str
    rows: tuple[AmountRow, ...]
    total: AmountRow


@dataclass(frozen=True)
class PeriodBudget:
    alliance_id: int
    period_id: int
    name: str
    starts_on: date
    ends_on: date
    total_cents: int
    committed_cents: int
    granted_cents: int
    remaining_cents: int
    exceeded: bool


@dataclass(frozen=True)
class Figures:
    span: Span
    alliance_ids: tuple[int, ...]
    funnel: tuple[Stage, ...]
    times: tuple[Times, ...]
    amounts: tuple[Amounts, ...]
    budgets: tuple[PeriodBudget, ...] = field(default=())
