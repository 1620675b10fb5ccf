"""The alliance's virtual budget per funding period."""

from __future__ import annotations

from typing import Literal

from flask import jsonify

from workflow.api import bp
from workflow.api.loading import caller
from workflow.api.registry import ok, route
from workflow.api.shapes import DateTime, Day, Shape
from workflow.lifecycle import STATE_NAMES
from workflow.models import FundingPeriod, User
from workflow.services import access, budget
from workflow.services.errors import NotAllowed


class BudgetApplication(Shape):
    """Ein Antrag, der das Budget bindet (Beträge in Cent)."""

    application_id: int
    reference: str | None
    title: str
    applicant: str
    state: Literal[tuple(STATE_NAMES)]
    status: Literal["committed", "granted", "released"]
    requested_cents: int
    granted_cents: int | None
    counted_cents: int
    endorsed_on: DateTime | None


class BudgetPeriod(Shape):
    """Eine Förderperiode: Budget, gebunden, bewilligt, verbleibend (in Cent)."""

    id: int
    name: str
    starts_on: Day
    ends_on: Day
    current: bool
    total_cents: int
    committed_cents: int
    granted_cents: int
    remaining_cents: int
    exceeded: bool
    applications: list[BudgetApplication]


class Budget(Shape):
    items: list[BudgetPeriod]


def budget_of(user: User, periods: list[FundingPeriod]) -> Budget:
    current = FundingPeriod.current(user.alliance_id) if periods else None
    items = []
    for period in periods:
        figures = period.figures()
        items.append(
            BudgetPeriod(
                id=period.id,
                name=period.name,
                starts_on=period.starts_on,
                ends_on=period.ends_on,
                current=current is not None and current.id == period.id,
                total_cents=figures.total,
                committed_cents=figures.committed,
                granted_cents=figures.granted,
                remaining_cents=figures.remaining,
                exceeded=figures.exceeded,
                applications=[
                    BudgetApplication(
                        application_id=e.application_id,
                        reference=e.reference,
                        title=e.title,
                        applicant=e.applicant,
                        state=e.state,
                        status=e.status,
                        requested_cents=e.requested_cents,
                        granted_cents=e.granted_cents,
                        counted_cents=e.counted_cents,
                        endorsed_on=e.endorsed_on,
                    )
                    for e in figures.entries
                ],
            )
        )
    return Budget(items=items)


@route(
    bp,
    "GET",
    "/budget",
    summary="Das virtuelle Budget des Bündnisses je Förderperiode (Koordination und Bündnispartner)",
    description="Je Förderperiode: Budget, gebunden (positive Stellungnahme, noch kein Bescheid), "
    "bewilligt, verbleibend, in Cent, und die Anträge, die es binden. Ohne Förderperiode ist die "
    "Liste leer.",
    tag="Budget",
    errors=(403,),
    responses=ok(Budget),
)
def get_budget():
    user = caller()
    if not access.may(user, "see_budget"):
        raise NotAllowed("Das Budget sehen die Netzwerkkoordination und die Bündnispartner.")
    return jsonify(budget_of(user, budget.periods(user)).plain())
